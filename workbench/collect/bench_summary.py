"""A finished benchmark's frames and summary: ``bench_runs`` / ``bench_intervals`` rows, the
perf-test-shaped summary lines, and the note when start-up dominates a short run.

Rows are built from the :class:`workbench.collect.bench_recorder.Recorder`'s closed intervals
(one row per interval and latency kind, plus one cumulative row per phase and kind).
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from workbench import hdr, units
from workbench.collect import bench_clients as clients
from workbench.collect.bench_recorder import Recorder
from workbench.config import ClientSettings, mask_props
from workbench.schema import conform

if TYPE_CHECKING:
    from workbench.collect.bench import BenchSpec

MIB = units.MIB
#: The loop's own pauses (ms) a producer run reports in ``--json`` and its ``params``.
PAUSE_KEYS = ("loop_pause_max_ms", "rotation_max_ms", "build_step_max_ms")


def _ts(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(us / 1e6, dt.UTC)


def runs_frame(
    settings: ClientSettings, spec: BenchSpec, info: clients.TopicInfo, rec: Recorder, extra: dict
) -> pl.DataFrame:
    """The run's ``bench_runs`` row (``params`` also holds the loop's own longest pauses and
    the run's notes)."""
    first, last = rec.intervals[0], rec.intervals[-1]
    params = {
        "num_records": spec.num_records,
        "record_size": spec.record_size,
        "throughput": spec.throughput,
        "warmup_records": spec.warmup_records,
        "warmup_seconds": spec.warmup_s,
        "interval_s": spec.interval_s,
        "props": mask_props(spec.props),
    }
    params.update({k: extra[k] for k in (*PAUSE_KEYS, "notes") if extra.get(k)})
    row = {
        "ts": _ts(first["start_us"]),
        "cluster": spec.cluster,
        "run_id": spec.run_id,
        "kind": spec.kind,
        "label": spec.label or spec.kind,
        "source": "workbench",
        "tool": "workbench bench " + spec.kind,
        "params": json.dumps(params, sort_keys=True),
        "sweep": json.dumps(dict(spec.sweep)) if spec.sweep else None,
        "sweep_id": spec.sweep_id,
        "client_config": json.dumps({**settings.describe(), **mask_props(spec.props)}, sort_keys=True),
        "librdkafka_version": clients.librdkafka_version(),
        "topic": spec.topic,
        "partitions": info.partitions,
        "replication": info.replication,
        "brokers": info.brokers,
        "record_size": spec.record_size,
        "num_records": spec.num_records,
        "target_throughput": spec.throughput if spec.throughput > 0 else None,
        "warmup_records": spec.warmup_records,
        "host": socket.gethostname(),
        "duration_s": (last["end_us"] - first["start_us"]) / 1e6,
        "records": sum(e["records"] for e in rec.intervals),
        "bytes": sum(e["bytes"] for e in rec.intervals),
        "errors": sum(e["errors"] for e in rec.intervals),
        "buffer_full": extra["buffer_full"],
    }
    return conform(pl.DataFrame([row]), "bench_runs")


def _interval_row(spec: BenchSpec, entry: dict, kind: str, hist: Any, cumulative: bool) -> dict:
    stats = hdr.summarize(hist) if hist is not None else {}
    return {
        "ts": _ts(entry["start_us"]),
        "end": _ts(entry["end_us"]),
        "cluster": spec.cluster,
        "run_id": spec.run_id,
        "phase": entry["phase"],
        "cumulative": cumulative,
        "latency": kind,
        "records": entry["records"],
        "bytes": entry["bytes"],
        "errors": entry["errors"],
        "backlog": entry["backlog"],
        **stats,
        "histogram": hdr.encode(hist) if hist is not None and hist.get_total_count() else None,
    }


def intervals_frame(spec: BenchSpec, rec: Recorder) -> pl.DataFrame:
    """One ``bench_intervals`` row per interval and kind, and one cumulative row per phase."""
    rows = []
    kinds = spec.latency_kinds or ("none",)
    for entry in rec.intervals:
        for kind in kinds:
            rows.append(_interval_row(spec, entry, kind, entry["histograms"].get(kind), False))
    for phase, entry in _phase_totals(rec).items():
        for kind in kinds:
            rows.append(_interval_row(spec, entry, kind, rec.cumulative.get(phase, {}).get(kind), True))
    frame = pl.DataFrame(rows, infer_schema_length=None)
    return conform(frame, "bench_intervals")


def _phase_totals(rec: Recorder) -> dict[str, dict]:
    totals: dict[str, dict] = {}
    for e in rec.intervals:
        t = totals.setdefault(e["phase"], {**e, "records": 0, "bytes": 0, "errors": 0, "backlog": None})
        t["end_us"] = e["end_us"]
        for key in ("records", "bytes", "errors"):
            t[key] += e[key]
    return totals


def stats(rec: Recorder, spec: BenchSpec, extra: dict) -> dict[str, Any]:
    """The steady phase's counts, rates and latency summaries (the JSON and summary lines)."""
    totals = _phase_totals(rec)
    steady = totals.get("steady") or next(iter(totals.values()))
    secs = max(1e-9, (steady["end_us"] - steady["start_us"]) / 1e6)
    latencies = {
        k: hdr.summarize(rec.cumulative.get("steady", {}).get(k, hdr.new_histogram()))
        for k in spec.latency_kinds
    }
    out = {
        "records": steady["records"],
        "records_total": sum(t["records"] for t in totals.values()),
        "records_per_s": steady["records"] / secs,
        "mb_per_s": steady["bytes"] / MIB / secs,
        "errors": sum(t["errors"] for t in totals.values()),
        "buffer_full": extra["buffer_full"],
        "warmup": "warmup" in totals,
        "latency": latencies,
    }
    out.update({k: extra[k] for k in PAUSE_KEYS if k in extra})
    return out


def summary_lines(stats: Mapping[str, Any], kind: str) -> list[str]:
    """``N records sent, X records/sec (Y MiB/s), A ms avg latency, M ms max latency, p50 ms 50th,
    ... 99.9th.`` (perf-test's shape; the rate in IEC units, :func:`workbench.units.rate_iec`, the
    figure perf-test labels MB/sec) plus one line per other latency and a note on errors and full
    buffers."""
    verb = "consumed" if kind == "consumer" else "sent"
    steady = " steady state" if stats.get("warmup") else ""
    rate = f"{stats['records_per_s']:.1f} records/sec ({units.rate_iec(stats['mb_per_s'] * MIB)})"
    head = f"{stats['records']}{steady} records {verb}, {rate}"
    lat = stats["latency"]
    ack = lat.get("send_to_ack")
    if not ack or not ack.get("count"):
        return [head + "."]
    lines = [head + ", " + _latency_text(ack, "latency") + "."]
    for name, label in _OTHER_LATENCIES:
        if lat.get(name, {}).get("count"):
            lines.append(f"{label}: " + _latency_text(lat[name], label) + ".")
    if stats.get("errors") or stats.get("buffer_full"):
        lines.append(f"{stats['errors']} delivery errors, {stats['buffer_full']} BufferError retries.")
    return lines


#: The latencies printed after send-to-ack, and their words.
_OTHER_LATENCIES = (
    ("schedule_delay", "schedule delay"),
    ("intended_to_ack", "intended-to-ack"),
    ("end_to_end", "end-to-end"),
    ("intended_end_to_end", "end-to-end from the intended time"),
)
#: A first interval holding more than this share of a run without warm-up gets the note.
STARTUP_SHARE = 0.2
#: ... or whose median send-to-ack is more than this many times the rest's.
STARTUP_RATIO = 2.0


def startup_note(rec: Recorder, spec: BenchSpec) -> str | None:
    """A warning when start-up (connections, metadata, first batches) weighs on a run that
    excluded no warm-up: its first interval holds a large share of the records, or its median
    send-to-ack is far above the rest's. None otherwise."""
    if spec.warmup_records or spec.warmup_s or not rec.intervals:
        return None
    first, rest = rec.intervals[0], rec.intervals[1:]
    total = sum(e["records"] for e in rec.intervals)
    secs = (first["end_us"] - first["start_us"]) / 1e6
    share = first["records"] / total if total else 0.0
    slow = _median_ratio(first, rest)
    if share <= STARTUP_SHARE and (slow is None or slow <= STARTUP_RATIO):
        return None
    what = f"the first {secs:.2g} s held {share:.0%} of the records"
    if slow is not None and slow > STARTUP_RATIO:
        what += f" at {slow:.1f}x the later median send-to-ack"
    return (
        f"{what}: start-up weighs on these figures; run longer (for tens of intervals) "
        "or exclude it with --warmup-seconds or --warmup-records"
    )


def _median_ratio(first: dict, rest: list[dict]) -> float | None:
    hists = [e["histograms"].get("send_to_ack") for e in rest]
    head = first["histograms"].get("send_to_ack")
    if head is None or not head.get_total_count() or not any(h and h.get_total_count() for h in hists):
        return None
    tail = hdr.new_histogram()
    for h in hists:
        if h is not None:
            tail.add(h)
    later = float(hdr.values_at_percentiles(tail, [50.0])[0])
    return float(hdr.values_at_percentiles(head, [50.0])[0]) / later if later > 0 else None


def _latency_text(s: Mapping[str, Any], what: str) -> str:
    return (
        f"{s['mean_ms']:.2f} ms avg {what}, {s['max_ms']:.2f} ms max {what}, {s['p50_ms']:.2f} ms 50th, "
        f"{s['p95_ms']:.2f} ms 95th, {s['p99_ms']:.2f} ms 99th, {s['p999_ms']:.2f} ms 99.9th"
    )
