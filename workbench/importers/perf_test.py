"""Kafka's own perf tools -> ``bench_runs`` / ``bench_intervals``.

* :func:`read_producer_perf` -- ``kafka-producer-perf-test`` (ProducerPerformance) stdout:
  window lines ``N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency.``
  and summary lines ``... A ms avg latency, X ms max latency, P ms 50th, ... 99.9th.``, the rate
  with one decimal (Kafka >= 3.9) or six (older, and 4.x with warm-up), optional ``ms`` before
  ``max latency`` (very old), and the warm-up variant: ``Warmup first N records...``, ``In
  steady state.``, and a second ``N steady state records sent`` summary. Latency is ms
  (send() -> callback, integer-ms percentiles); MB is MiB. No timestamps in the output: the
  run ends at ``at`` (default: the file's mtime) and windows are laid out by records / rate.
* :func:`read_consumer_perf` -- ``kafka-consumer-perf-test`` CSV, with or without
  ``--show-detailed-stats`` (and ``--hide-header``). Its times are the JVM's local time without
  a zone: read as UTC unless ``utc_offset_h`` says otherwise. Throughput only (``latency`` none).
* :func:`read_e2e_latency` -- EndToEndLatency: ``Avg latency: A ms`` and ``Percentiles: 50th =
  P, 99th = Q, 99.9th = R`` (integer ms), as latency ``end_to_end``.

A line that starts like a result line but does not parse raises :class:`InputFileError`
naming the file and line; other lines (log output on the same stream) are skipped.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from workbench.errors import InputFileError
from workbench.importers import InputText, Source, read_input, snapshot_time
from workbench.importers.bench_frames import BenchImport, RunBuilder, number

MIB = 1024 * 1024
_NUM = r"(-?[\d.]+|NaN)"
_WINDOW_RE = re.compile(
    rf"^(\d+) records sent, {_NUM} records/sec \({_NUM} MB/sec\), {_NUM} ms avg latency, "
    rf"{_NUM} (?:ms )?max latency\.$"
)
_SUMMARY_RE = re.compile(
    rf"^(\d+)( steady state)? records sent, {_NUM} records/sec \({_NUM} MB/sec\), {_NUM} ms avg latency, "
    rf"{_NUM} ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$"
)
_LOOKS_LIKE_RESULT = re.compile(r"^\d+( steady state)? records sent")
_WARMUP_RE = re.compile(r"^Warmup first (\d+) records")


def read_producer_perf(
    source: Source,
    cluster: str = "bench",
    at: dt.datetime | None = None,
    label: str | None = None,
    record_size: int | None = None,
) -> BenchImport:
    """Parse ``kafka-producer-perf-test`` output (see the module docstring); ``record_size``
    (the run's ``--record-size``) gives exact bytes, else they come from the printed MB/sec."""
    text = read_input(source)
    windows: list[tuple[int, str, tuple[float, ...]]] = []
    summaries: list[tuple[bool, tuple[float, ...]]] = []
    warmup, phase = 0, "steady"
    for lineno, raw in enumerate(text.text.splitlines(), 1):
        line = raw.strip()
        if m := _WARMUP_RE.match(line):
            warmup, phase = int(m.group(1)), "warmup"
        elif line == "In steady state.":
            phase = "steady"
        elif m := _SUMMARY_RE.match(line):
            summaries.append((bool(m.group(2)), _floats(m, (1, 3, 4, 5, 6, 7, 8, 9, 10), text, lineno)))
        elif m := _WINDOW_RE.match(line):
            windows.append((lineno, phase, _floats(m, (1, 2, 3, 4, 5), text, lineno)))
        elif _LOOKS_LIKE_RESULT.match(line):
            raise InputFileError(text.name, lineno, f"malformed perf-test result line: {line[:120]!r}")
    if not summaries and not windows:
        raise InputFileError(text.name, None, "no kafka-producer-perf-test result line found")
    total = next((s for steady, s in summaries if not steady), None)
    end = snapshot_time(at, text)
    duration = (
        total[0] / total[1] if total and total[1] > 0 else sum(w[2][0] / w[2][1] for w in windows if w[2][1])
    )
    run = RunBuilder(
        text, "producer", "kafka-producer-perf-test", "perf-test", cluster, end - _secs(duration)
    )
    run.label = label
    run.meta = {"warmup_records": warmup or None, "num_records": int(total[0]) if total else None}
    run.meta["record_size"] = record_size
    _add_windows(run, windows, record_size)
    for steady, values in summaries:
        _add_summary(run, values, "steady" if steady or not warmup else "all", end, record_size)
    if record_size is None:
        run.notes.append(_ROUGH_BYTES)
    if warmup and not any(steady for steady, _ in summaries):
        run.notes.append("warm-up announced but no steady-state summary line found")
    return run.build()


def _floats(m: re.Match[str], groups: tuple[int, ...], text: InputText, line: int) -> tuple[float, ...]:
    return tuple(number(m.group(g), text, line, "value") for g in groups)


def _secs(value: float) -> dt.timedelta:
    return dt.timedelta(seconds=value)


_ROUGH_BYTES = "bytes rebuilt from the printed MB/sec (2 decimals); give --record-size for exact bytes"


def _bytes(records: float, mb_per_s: float, secs: float, record_size: int | None) -> int:
    """records x size when the size is known, else the printed (rounded) MB/sec x seconds."""
    return int(records) * record_size if record_size else round(mb_per_s * MIB * secs)


def _add_windows(
    run: RunBuilder, windows: list[tuple[int, str, tuple[float, ...]]], record_size: int | None
) -> None:
    t = run.start
    for _lineno, phase, (records, rate, mb, avg, mx) in windows:
        secs = records / rate if rate > 0 else 0.0
        end = t + _secs(secs)
        run.add(
            t, end, phase=phase, records=int(records), bytes=_bytes(records, mb, secs, record_size),
            count=int(records), mean_ms=avg, max_ms=mx,
        )  # fmt: skip
        t = end


def _add_summary(
    run: RunBuilder, values: tuple[float, ...], phase: str, end: dt.datetime, record_size: int | None
) -> None:
    records, rate, mb, avg, mx, p50, p95, p99, p999 = values
    secs = records / rate if rate > 0 else 0.0
    stats = {"mean_ms": avg, "max_ms": mx, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "p999_ms": p999}
    run.add(
        end - _secs(secs), end, phase=phase, cumulative=True, records=int(records),
        bytes=_bytes(records, mb, secs, record_size), count=int(records), **stats,
    )  # fmt: skip


# -- kafka-consumer-perf-test ----------------------------------------------------------------
_CONSUMER_COLS = 10
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}:\d{3}$")
#: The tool's column names after the two time (or time, threadId) columns.
_FIGURES = (
    "data.consumed.in.MB", "MB.sec", "data.consumed.in.nMsg", "nMsg.sec", "rebalance.time.ms",
    "fetch.time.ms", "fetch.MB.sec", "fetch.nMsg.sec",
)  # fmt: skip
_NO_TOTAL = (
    "--show-detailed-stats prints no final total: records consumed after the last reporting "
    "interval are not counted (the tool's count of the whole run is unknown)"
)


def read_consumer_perf(
    source: Source,
    cluster: str = "bench",
    label: str | None = None,
    utc_offset_h: float = 0.0,
    record_size: int | None = None,
) -> BenchImport:
    """Parse ``kafka-consumer-perf-test`` CSV output (see the module docstring). Every printed
    figure is kept in the run's ``params`` (``printed``); ``record_size`` gives exact bytes."""
    text = read_input(source)
    rows: list[tuple[int, list[str]]] = []
    detailed: bool | None = None
    notes: list[str] = []
    for lineno, raw in enumerate(text.text.splitlines(), 1):
        line = raw.strip()
        if line.startswith(("start.time,", "time,")):
            detailed = line.startswith("time,")
            continue
        if line.startswith("WARNING: Exiting before consuming"):
            notes.append(line)
            continue
        fields = [f.strip() for f in line.split(",")]
        if not _DATE_RE.match(fields[0]):
            continue
        if len(fields) != _CONSUMER_COLS:
            raise InputFileError(
                text.name, lineno, f"expected {_CONSUMER_COLS} comma-separated fields, got {len(fields)}"
            )
        rows.append((lineno, fields))
    if not rows:
        raise InputFileError(text.name, None, "no kafka-consumer-perf-test result row found")
    if detailed is None:  # --hide-header: the detailed rows have a thread id where end.time would be
        detailed = not _DATE_RE.match(rows[0][1][1])
    offset = dt.timedelta(hours=utc_offset_h)
    when = lambda s, n: _parse_time(s, text, n) - offset  # noqa: E731
    run = _consumer_run(text, rows, detailed, when, cluster, label, record_size)
    run.notes.extend(notes)
    if detailed:
        run.notes.append(_NO_TOTAL)
    if utc_offset_h == 0:
        run.notes.append("times read as UTC (the tool prints local time without a zone)")
    return run.build()


def _printed(fields: list[str], text: InputText, line: int, detailed: bool) -> dict[str, Any]:
    """One printed row as ``{column name: value}``, numbers as the tool printed them."""
    head = {"time": fields[0], "threadId": fields[1]} if detailed else {
        "start.time": fields[0], "end.time": fields[1]}  # fmt: skip
    return head | {name: number(v, text, line, name) for name, v in zip(_FIGURES, fields[2:], strict=True)}


def _consumer_bytes(records: float, mb: float, record_size: int | None) -> int:
    return int(records) * record_size if record_size else round(mb * MIB)


def _consumer_run(text, rows, detailed, when, cluster, label, record_size) -> RunBuilder:
    printed = [_printed(f, text, n, detailed) for n, f in rows]
    first_no, first = rows[0]
    if not detailed:
        start, end = when(first[0], first_no), when(first[1], first_no)
        total = RunBuilder(
            text, "consumer", "kafka-consumer-perf-test", "perf-test", cluster, start, label=label
        )
        mb, msgs = printed[0]["data.consumed.in.MB"], printed[0]["data.consumed.in.nMsg"]
        total.add(
            start, end, latency="none", cumulative=True, records=int(msgs),
            bytes=_consumer_bytes(msgs, mb, record_size),
        )  # fmt: skip
        total.meta = {"params": {"printed": printed[0]}, "record_size": record_size}
        return total
    prev_msgs, prev_mb, prev_t = 0.0, 0.0, None
    run: RunBuilder | None = None
    for (lineno, f), row in zip(rows, printed, strict=True):
        t = when(f[0], lineno)
        mb, msgs, rate = (row[k] for k in ("data.consumed.in.MB", "data.consumed.in.nMsg", "nMsg.sec"))
        if prev_t is None:
            secs = (msgs / rate) if rate > 0 else 0.0
            prev_t = t - dt.timedelta(seconds=secs)
            run = RunBuilder(
                text, "consumer", "kafka-consumer-perf-test", "perf-test", cluster, prev_t, label=label
            )
        assert run is not None
        size = _consumer_bytes(msgs, mb, record_size) - _consumer_bytes(prev_msgs, prev_mb, record_size)
        run.add(prev_t, t, latency="none", records=int(msgs - prev_msgs), bytes=size)
        prev_msgs, prev_mb, prev_t = msgs, mb, t
    assert run is not None
    run.meta = {"params": {"printed": printed}, "record_size": record_size}
    return run


def _parse_time(value: str, text: InputText, line: int) -> dt.datetime:
    try:
        return dt.datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S:%f").replace(tzinfo=dt.UTC)
    except ValueError:
        raise InputFileError(
            text.name, line, f"bad time {value.strip()!r} (want yyyy-MM-dd HH:mm:ss:SSS)"
        ) from None


# -- EndToEndLatency -------------------------------------------------------------------------
_AVG_RE = re.compile(rf"^Avg latency: {_NUM} ms$")
_PCT_RE = re.compile(r"^Percentiles: 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)$")
_SAMPLE_RE = re.compile(r"^(\d+)\t([\d.]+)$")


def read_e2e_latency(
    source: Source, cluster: str = "bench", at: dt.datetime | None = None, label: str | None = None
) -> BenchImport:
    """Parse EndToEndLatency output (see the module docstring)."""
    text = read_input(source)
    avg, pcts, last_index = None, None, None
    for lineno, raw in enumerate(text.text.splitlines(), 1):
        line = raw.strip()
        if m := _SAMPLE_RE.match(raw.rstrip("\r\n")):
            last_index = int(m.group(1))
        elif line.startswith("Avg latency:"):
            if not (m := _AVG_RE.match(line)):
                raise InputFileError(text.name, lineno, f"malformed average line: {line[:120]!r}")
            avg = number(m.group(1), text, lineno, "avg latency")
        elif line.startswith("Percentiles:"):
            if not (m := _PCT_RE.match(line)):
                raise InputFileError(text.name, lineno, f"malformed percentiles line: {line[:120]!r}")
            pcts = [float(g) for g in m.groups()]
    if avg is None or pcts is None:
        raise InputFileError(
            text.name, None, "no EndToEndLatency result ('Avg latency:' and 'Percentiles:') found"
        )
    end = snapshot_time(at, text)
    run = RunBuilder(text, "e2e", "EndToEndLatency", "perf-test", cluster, end, label=label)
    stats = {"mean_ms": avg, "p50_ms": pcts[0], "p99_ms": pcts[1], "p999_ms": pcts[2]}
    run.add(end, end, latency="end_to_end", cumulative=True, **stats)
    if last_index is not None:
        run.notes.append(f"at least {last_index + 1} records (the tool does not print the count)")
    return run.build()
