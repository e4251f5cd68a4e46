"""librdkafka ``rdkafka_performance`` output (``-u`` tables) -> ``bench_runs`` / ``bench_intervals``.

Details: docs/importers.md (`workbench.importers.rdkafka_perf`).
"""

from __future__ import annotations

import datetime as dt
import re

from workbench.errors import InputFileError
from workbench.importers import InputText, Source, read_input, snapshot_time
from workbench.importers.bench_frames import BenchImport, RunBuilder, number

_PRODUCED_RE = re.compile(
    r"^% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset -?\d+, (\d+) failed\) in (\d+)ms"
)
_CONSUMED_RE = re.compile(r"^% (\d+) messages \((\d+) bytes\) consumed in (\d+)ms")


def read_rdkafka_perf(
    source: Source, cluster: str = "bench", at: dt.datetime | None = None, label: str | None = None
) -> BenchImport:
    """Parse ``rdkafka_performance -u`` output (see the module docstring)."""
    text = read_input(source)
    header: list[str] | None = None
    rows: list[dict[str, float]] = []
    summary: dict[str, float] | None = None
    for lineno, raw in enumerate(text.text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if "elapsed" in cells:
                header = cells
            elif header is None:
                raise InputFileError(text.name, lineno, "table row before the header row")
            elif len(cells) != len(header):
                raise InputFileError(text.name, lineno, f"{len(cells)} cells, the header has {len(header)}")
            else:
                rows.append({h: number(c, text, lineno, h) for h, c in zip(header, cells, strict=True)})
        elif m := _PRODUCED_RE.match(line):
            summary = {"records": int(m.group(3)), "bytes": int(m.group(2)), "errors": int(m.group(4))}
            summary["ms"] = int(m.group(5))
        elif m := _CONSUMED_RE.match(line):
            summary = {
                "records": int(m.group(1)),
                "bytes": int(m.group(2)),
                "errors": 0,
                "ms": int(m.group(3)),
            }
    if not rows and summary is None:
        raise InputFileError(text.name, None, "no rdkafka_performance table (-u) or summary line found")
    return _build(text, rows, summary, cluster, at, label)


def _build(
    text: InputText,
    rows: list[dict[str, float]],
    summary: dict[str, float] | None,
    cluster: str,
    at: dt.datetime | None,
    label: str | None,
) -> BenchImport:
    producer = bool(rows and "dr" in rows[0]) or bool(summary and "produced" in text.text)
    end = snapshot_time(at, text)
    elapsed_ms = summary["ms"] if summary else rows[-1]["elapsed"]
    start = end - dt.timedelta(milliseconds=elapsed_ms)
    kind = "producer" if producer else "consumer"
    run = RunBuilder(text, kind, "rdkafka_performance", "rdkafka-perf", cluster, start, label=label)
    prev = {"elapsed": 0.0, "msgs": 0.0, "bytes": 0.0, "dr": 0.0, "err": 0.0}
    for row in rows:
        count_col = "dr" if producer else "msgs"
        err = row.get("dr_err", 0.0) + row.get("tx_err", 0.0) + row.get("rx_err", 0.0)
        run.add(
            start + dt.timedelta(milliseconds=prev["elapsed"]),
            start + dt.timedelta(milliseconds=row["elapsed"]),
            latency="none",
            records=round(row[count_col] - prev["dr" if producer else "msgs"]),
            bytes=round(row["bytes"] - prev["bytes"]),
            errors=round(err - prev["err"]),
            backlog=round(row["outq"]) if "outq" in row else None,
        )
        prev = {
            "elapsed": row["elapsed"],
            "msgs": row["msgs"],
            "bytes": row["bytes"],
            "dr": row.get("dr", 0.0),
        }
        prev["err"] = err
    _add_summary(run, rows, summary, producer, start, end)
    return run.build()


def _add_summary(
    run: RunBuilder,
    rows: list[dict[str, float]],
    summary: dict[str, float] | None,
    producer: bool,
    start: dt.datetime,
    end: dt.datetime,
) -> None:
    counts = {k: round(summary[k]) for k in ("records", "bytes", "errors")} if summary else {}
    if not counts and rows:
        last = rows[-1]
        counts = {"records": round(last["dr"] if producer else last["msgs"]), "bytes": round(last["bytes"])}
    run.add(start, end, latency="none", cumulative=True, **counts)
    if rows and "lat_avg" in rows[-1]:
        kind = "send_to_ack" if producer else "end_to_end"
        last = rows[-1]
        run.add(
            start,
            end,
            latency=kind,
            cumulative=True,
            mean_ms=last["lat_avg"],
            max_ms=last["lat_hi"],
            **counts,
        )
