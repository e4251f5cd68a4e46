"""HdrHistogram interval logs (``.hlog``) -> ``bench_intervals`` rows with histograms.

The format (HdrHistogram ``HistogramLogWriter``; jHiccup, OMB forks, wrk2, ``hdrh.log``)::

    #[Histogram log format version 1.3]
    #[StartTime: 1441812123.123 (seconds since epoch), Wed Sep 09 ...]
    "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
    0.127,1.007,2.769,HISTFAAAAEV42pNpmSz...
    Tag=A,1.134,0.999,0.442,HISTFAAAAEF42pNpmSz...

Timestamps are seconds, relative to ``StartTime`` (or ``BaseTime``) when one is given and
smaller than a year; absolute otherwise. The log does not say what unit its values are in, so
the caller must (``unit``: ``ns``, ``us`` or ``ms``); each source bucket is moved whole to the
workbench's µs histograms (:func:`workbench.hdr.scaled`: bucketed once, not twice). Each tag
becomes its own run. Every recorded value is one record.
"""

from __future__ import annotations

import datetime as dt
import re

from workbench import hdr
from workbench.errors import ConfigError, InputFileError
from workbench.importers import InputText, Source, read_input, snapshot_time
from workbench.importers.bench_frames import BenchImport, RunBuilder, concat, number

UNITS_TO_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3}
_TIME_RE = re.compile(r"^#\[(StartTime|BaseTime): ([\d.]+)")
_YEAR_S = 365 * 86400


def read_hlog(
    source: Source,
    unit: str,
    cluster: str = "bench",
    latency: str = "send_to_ack",
    at: dt.datetime | None = None,
    label: str | None = None,
) -> BenchImport:
    """Parse an HdrHistogram log whose values are in ``unit`` (see the module docstring)."""
    if unit not in UNITS_TO_US:
        raise ConfigError(f"unit {unit!r}: expected one of {', '.join(UNITS_TO_US)}")
    text = read_input(source)
    base: float | None = None
    entries: dict[str, list[tuple[float, float, object]]] = {}
    for lineno, raw in enumerate(text.text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if (m := _TIME_RE.match(line)) and (base is None or m.group(1) == "BaseTime"):
                base = float(m.group(2))
            continue
        if line.startswith('"StartTimestamp"'):
            continue
        tag, t0, length, hist = _entry(line, text, lineno, unit)
        entries.setdefault(tag, []).append((t0, length, hist))
    if not entries:
        raise InputFileError(text.name, None, "no histogram lines found (not an HdrHistogram log?)")
    fallback = snapshot_time(at, text).timestamp() - max(t + n for e in entries.values() for t, n, _ in e)
    parts = [_run(text, tag, rows, base, fallback, cluster, latency, label) for tag, rows in entries.items()]
    return concat(parts)


def _entry(line: str, text: InputText, lineno: int, unit: str) -> tuple[str, float, float, object]:
    fields = line.split(",")
    tag = ""
    if fields[0].startswith("Tag="):
        tag = fields.pop(0)[4:]
    if len(fields) != 4:
        raise InputFileError(
            text.name, lineno, f"expected start,length,max,histogram; got {len(fields)} fields"
        )
    t0 = number(fields[0], text, lineno, "StartTimestamp")
    length = number(fields[1], text, lineno, "Interval_Length")
    try:
        source = hdr.decode(fields[3].strip())
    except ValueError as exc:
        raise InputFileError(text.name, lineno, str(exc)) from exc
    return tag, t0, length, hdr.scaled(source, UNITS_TO_US[unit])


def _run(
    text: InputText,
    tag: str,
    rows: list[tuple[float, float, object]],
    base: float | None,
    fallback: float,
    cluster: str,
    latency: str,
    label: str | None,
) -> BenchImport:
    def when(t: float) -> dt.datetime:
        absolute = t if t >= _YEAR_S else (base if base is not None else fallback) + t
        return dt.datetime.fromtimestamp(absolute, dt.UTC)

    rows = sorted(rows, key=lambda r: r[0])
    start = when(rows[0][0])
    name = label or f"hlog {text.name}" + (f" tag {tag}" if tag else "")
    run = RunBuilder(text, "producer", "HdrHistogram log", "hlog", cluster, start, label=name)
    if tag:
        run.run_id = f"{run.run_id}-{tag}"
    for t0, length, hist in rows:
        count = hist.get_total_count()  # type: ignore[attr-defined]
        stats = hdr.summarize(hist)
        run.add(
            when(t0), when(t0 + length), latency=latency, records=count, **stats, histogram=hdr.encode(hist)
        )
    return run.build()
