"""OpenMessaging Benchmark result JSON (``TestResult.java``) -> ``bench_runs`` / ``bench_intervals``.

OMB samples every 10 s; each array is one value per sample. Rates (``publishRate``,
``publishErrorRate``, ``consumeRate``) are msg/s summed over every producer/consumer;
``backlog`` is messages. Units differ per field group and are converted here:

* ``publishLatency*`` and ``endToEndLatency*``: **milliseconds** -> ``send_to_ack`` / ``end_to_end``;
* ``publishDelayLatency*``: **microseconds** (intended -> actual send) -> ``schedule_delay`` (ms).

Details: docs/importers.md (`workbench.importers.omb`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from workbench.errors import InputFileError
from workbench.importers import Source, read_input, snapshot_time
from workbench.importers.bench_frames import BenchImport, RunBuilder

SAMPLE_S = 10.0
#: latency kind -> (field prefix, aggregated prefix, factor to ms)
_GROUPS = {
    "send_to_ack": ("publishLatency", "aggregatedPublishLatency", 1.0),
    "schedule_delay": ("publishDelayLatency", "aggregatedPublishDelayLatency", 1e-3),
    "end_to_end": ("endToEndLatency", "aggregatedEndToEndLatency", 1.0),
}
_SUFFIXES = {
    "mean_ms": "Avg",
    "p50_ms": "50pct",
    "p75_ms": "75pct",
    "p95_ms": "95pct",
    "p99_ms": "99pct",
    "p999_ms": "999pct",
    "p9999_ms": "9999pct",
    "max_ms": "Max",
}
_STAMP_RE = re.compile(r"(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})\.json$")


def read_omb(
    source: Source, cluster: str = "bench", at: dt.datetime | None = None, label: str | None = None
) -> BenchImport:
    """Parse one OMB result JSON file (see the module docstring)."""
    text = read_input(source)
    try:
        doc = json.loads(text.text)
    except json.JSONDecodeError as exc:
        raise InputFileError(text.name, exc.lineno, f"not JSON: {exc.msg}") from exc
    except (RecursionError, ValueError) as exc:  # nested too deeply, or an integer of 4,300+ digits
        raise InputFileError(text.name, None, f"not an OMB result: {str(exc).split(':')[0]}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("publishRate"), list):
        raise InputFileError(text.name, 1, "not an OpenMessaging Benchmark result (no 'publishRate' array)")
    n = len(doc["publishRate"])
    start = _start(text.name, n) or snapshot_time(at, text) - dt.timedelta(seconds=n * SAMPLE_S)
    run = RunBuilder(text, "producer", "openmessaging-benchmark", "omb", cluster, start, label=label)
    size = _num(doc.get("messageSize"))
    run.meta = _meta(doc, size, n)
    kinds = [k for k, (prefix, agg, _f) in _GROUPS.items() if _has(doc, prefix) or _has(doc, agg)]
    for i in range(n):
        t0 = start + dt.timedelta(seconds=i * SAMPLE_S)
        counts = _counts(doc, i, size)
        for kind in kinds or ["none"]:
            stats = _stats(doc, kind, lambda name, i=i: _at(doc.get(name), i)) if kind != "none" else {}
            run.add(t0, t0 + dt.timedelta(seconds=SAMPLE_S), latency=kind, **counts, **stats)
    end = start + dt.timedelta(seconds=n * SAMPLE_S)
    total = _total_counts(doc, size)
    for kind in kinds:
        stats = _stats(doc, kind, lambda name: _num(doc.get(name)), aggregated=True)
        run.add(start, end, latency=kind, cumulative=True, **total, **stats)
    if "publishDelayLatencyAvg" not in doc:
        run.notes.append("no publishDelay* fields (an older OMB): no schedule-delay series")
    return run.build()


def _has(doc: dict[str, Any], prefix: str) -> bool:
    return any(f"{prefix}{s}" in doc for s in _SUFFIXES.values())


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _at(values: Any, i: int) -> float | None:
    return _num(values[i]) if isinstance(values, list) and i < len(values) else None


def _stats(doc: dict[str, Any], kind: str, get: Any, aggregated: bool = False) -> dict[str, float | None]:
    prefix, agg, factor = _GROUPS[kind]
    base = agg if aggregated else prefix
    out = {}
    for col, suffix in _SUFFIXES.items():
        v = get(f"{base}{suffix}")
        out[col] = None if v is None else v * factor
    return out


def _counts(doc: dict[str, Any], i: int, size: float | None) -> dict[str, Any]:
    rate, err, backlog = (_at(doc.get(k), i) for k in ("publishRate", "publishErrorRate", "backlog"))
    records = None if rate is None else round(rate * SAMPLE_S)
    return {
        "records": records,
        "bytes": None if records is None or size is None else round(records * size),
        "errors": None if err is None else round(err * SAMPLE_S),
        "backlog": None if backlog is None else round(backlog),
    }


def _total_counts(doc: dict[str, Any], size: float | None) -> dict[str, Any]:
    rates = [r for r in (_num(v) for v in doc.get("publishRate", [])) if r is not None]
    records = round(sum(rates) * SAMPLE_S)
    errs = [e for e in (_num(v) for v in doc.get("publishErrorRate") or []) if e is not None]
    return {
        "records": records,
        "bytes": None if size is None else round(records * size),
        "errors": round(sum(errs) * SAMPLE_S),
    }


def _meta(doc: dict[str, Any], size: float | None, n: int) -> dict[str, Any]:
    keys = ("workload", "driver", "topics", "producersPerTopic", "consumersPerTopic")
    return {
        "record_size": None if size is None else int(size),
        "partitions": int(doc["partitions"]) if _num(doc.get("partitions")) is not None else None,
        "num_records": round(sum(_num(v) or 0.0 for v in doc["publishRate"]) * SAMPLE_S),
        "params": {k: doc[k] for k in keys if k in doc} | {"samples": n, "sample_s": SAMPLE_S},
    }


def _start(name: str, n: int) -> dt.datetime | None:
    m = _STAMP_RE.search(name)
    if not m:
        return None
    return dt.datetime.strptime(m.group(1), "%Y-%m-%d-%H-%M-%S").replace(tzinfo=dt.UTC)
