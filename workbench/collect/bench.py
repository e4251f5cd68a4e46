"""Benchmarks against a real cluster: ``workbench bench producer|consumer|e2e`` (stage 1).

A :class:`BenchSpec` (Kafka perf-test vocabulary: topic, num_records, record_size, throughput,
producer props, warm-up, interval) runs with :func:`run_bench` and comes back as a
:class:`BenchResult`: one ``bench_runs`` row and the ``bench_intervals`` rows (per interval and
latency kind, with encoded HdrHistograms, plus one cumulative row per phase). Nothing here
writes to the data directory; the CLI stores the frames. ``--sweep`` matrices expand with
:func:`sweep_specs`. How latencies are measured: :mod:`workbench.collect.bench_loop`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from workbench import hdr
from workbench.collect import bench_clients as clients
from workbench.collect.bench_loop import ConsumerLoop, ProducerLoop, Recorder
from workbench.config import ClientSettings, mask_props, mask_text
from workbench.errors import ConfigError, KafkaRequestError
from workbench.schema import conform

KINDS = ("producer", "consumer", "e2e")
MIB = 1024 * 1024
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BenchSpec:
    """One benchmark run. ``throughput`` is msg/s (<= 0: unthrottled); ``props`` are client
    properties for this run (``--producer-props`` plus the run's ``--sweep`` values)."""

    kind: str
    topic: str
    num_records: int
    record_size: int = 100
    throughput: float = -1.0
    props: Mapping[str, str] = field(default_factory=dict)
    warmup_records: int = 0
    warmup_s: float = 0.0
    interval_s: float = 1.0
    run_id: str = ""
    label: str | None = None
    cluster: str = "bench"
    sweep: Mapping[str, str] = field(default_factory=dict)
    sweep_id: str | None = None
    record_latency: bool = True
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"unknown benchmark {self.kind!r}: expected one of {', '.join(KINDS)}")
        if self.num_records <= 0 or self.record_size <= 0 or self.interval_s <= 0:
            raise ConfigError("--num-records, --record-size and --interval must be positive")
        if not self.run_id:
            object.__setattr__(self, "run_id", new_run_id())

    @property
    def latency_kinds(self) -> tuple[str, ...]:
        """The latencies this run measures."""
        if not self.record_latency or self.kind == "consumer":
            return ()
        base = ("send_to_ack", "schedule_delay")
        return (*base, "end_to_end") if self.kind == "e2e" else base


def new_run_id(now: dt.datetime | None = None) -> str:
    """``bench-20261127T110500-1a2b3c``: sortable by time, unique."""
    now = now or dt.datetime.now(dt.UTC)
    return f"bench-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def parse_props(items: Sequence[str], what: str = "--producer-props") -> dict[str, str]:
    """``["k=v", ...]`` -> dict; :class:`ConfigError` naming the bad item."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{what}: {mask_text(item)!r} is not KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def expand_sweep(items: Sequence[str]) -> list[dict[str, str]]:
    """``["linger.ms=0,5", "acks=1,all"]`` -> every combination, first key varying slowest."""
    axes = []
    for key, values in parse_props(items, "--sweep").items():
        choices = [v.strip() for v in values.split(",") if v.strip()]
        if not choices:
            raise ConfigError(f"--sweep {key}=: give at least one value")
        axes.append([(key, v) for v in choices])
    return [dict(combo) for combo in itertools.product(*axes)] if axes else [{}]


def sweep_specs(base: BenchSpec, sweep: Sequence[str]) -> list[BenchSpec]:
    """One spec per sweep combination (just ``base`` without a sweep). Run ids get ``-1..n``."""
    combos = expand_sweep(sweep)
    if combos == [{}]:
        return [base]
    sweep_id = base.run_id
    out = []
    for i, combo in enumerate(combos, 1):
        label = " ".join(f"{k}={v}" for k, v in combo.items())
        if base.label:
            label = f"{base.label} {label}"
        props = {**base.props, **combo}
        out.append(
            replace(base, props=props, sweep=combo, sweep_id=sweep_id, run_id=f"{sweep_id}-{i}", label=label)
        )
    return out


@dataclass
class BenchResult:
    """A finished run: its ``bench_runs`` row, its ``bench_intervals`` rows and summary stats."""

    spec: BenchSpec
    runs: pl.DataFrame
    intervals: pl.DataFrame
    stats: dict[str, Any]
    notes: tuple[str, ...] = ()

    def summary_lines(self) -> list[str]:
        """kafka-producer-perf-test's summary shape (latencies in ms with µs resolution)."""
        return summary_lines(self.stats, self.spec.kind)

    def to_json(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict."""
        return {"run_id": self.spec.run_id, "label": self.spec.label, "kind": self.spec.kind, **self.stats}


def run_bench(settings: ClientSettings, spec: BenchSpec, progress: Progress | None = None) -> BenchResult:
    """Run ``spec`` against the cluster; :class:`workbench.errors.WorkbenchError` on failure."""
    if spec.kind == "consumer":
        recorder, info, extra = _run_consumer(settings, spec, progress)
    else:
        recorder, info, extra = _run_producer(settings, spec, progress)
    runs = _runs_frame(settings, spec, info, recorder, extra)
    intervals = _intervals_frame(spec, recorder)
    stats = _stats(recorder, spec, extra)
    notes = (extra["error"],) if extra.get("error") else ()
    return BenchResult(spec, runs, intervals, stats, notes)


def _run_producer(
    settings: ClientSettings, spec: BenchSpec, progress: Progress | None
) -> tuple[Recorder, clients.TopicInfo, dict]:
    recorder = Recorder(spec.latency_kinds)
    loop = ProducerLoop(
        None, spec.topic, spec.num_records, spec.record_size, spec.throughput, recorder,
        spec.interval_s, spec.warmup_records, spec.warmup_s, spec.record_latency, spec.kind == "e2e",
    )  # fmt: skip
    loop.producer = clients.make_producer(settings, spec.props, loop.on_delivery)
    info = clients.topic_info(loop.producer, spec.topic, spec.timeout_s, settings.bootstrap_servers)
    consumer, thread = (
        _start_e2e_consumer(settings, spec, info, recorder) if spec.kind == "e2e" else (None, None)
    )
    if consumer is not None:
        loop.backlog_fn = lambda: loop.sent - consumer.consumed
    if progress is not None:
        recorder.on_interval = lambda _entry: progress(loop.sent, spec.num_records)
    try:
        loop.run()
        loop.drain(spec.timeout_s, (lambda: consumer.consumed >= loop.sent) if consumer else None)
    finally:
        if consumer is not None and thread is not None:
            consumer.stop.set()
            thread.join(timeout=10)
            consumer.consumer.close()
    unacked = len(loop.producer)
    error = f"{unacked} records not acknowledged within {spec.timeout_s:g}s" if unacked else None
    if consumer is not None and consumer.consumed < loop.sent:
        error = f"only {consumer.consumed} of {loop.sent} records consumed within {spec.timeout_s:g}s"
    return recorder, info, {"buffer_full": loop.buffer_full, "sent": loop.sent, "error": error}


def _start_e2e_consumer(
    settings: ClientSettings, spec: BenchSpec, info: clients.TopicInfo, recorder: Recorder
) -> tuple[ConsumerLoop, threading.Thread]:
    consumer = clients.make_consumer(settings)
    clients.assign_from(consumer, spec.topic, info.partitions, "end", spec.timeout_s)
    loop = ConsumerLoop(consumer, recorder, spec.num_records, spec.timeout_s, end_to_end=True)
    thread = threading.Thread(target=loop.run, name="workbench-bench-consumer", daemon=True)
    thread.start()
    return loop, thread


def _run_consumer(
    settings: ClientSettings, spec: BenchSpec, progress: Progress | None
) -> tuple[Recorder, clients.TopicInfo, dict]:
    recorder = Recorder(())
    consumer = clients.make_consumer(settings, spec.props)
    try:
        info = clients.topic_info(consumer, spec.topic, spec.timeout_s, settings.bootstrap_servers)
        clients.assign_from(consumer, spec.topic, info.partitions, "beginning", spec.timeout_s)
        loop = ConsumerLoop(consumer, recorder, spec.num_records, spec.timeout_s)
        interval_ns = int(spec.interval_s * 1e9)
        state = {"tick": time.perf_counter_ns() + interval_ns}

        def tick(now: int) -> None:
            if now >= state["tick"]:
                recorder.close(now, "steady", None)
                state["tick"] = now + interval_ns
                if progress is not None:
                    progress(loop.consumed, spec.num_records)

        loop.run(tick)
        recorder.close(time.perf_counter_ns(), "steady", None)
    finally:
        consumer.close()
    if loop.error and loop.consumed == 0:
        raise KafkaRequestError(f"consumer benchmark on {spec.topic!r}: {loop.error}")
    return recorder, info, {"buffer_full": 0, "sent": loop.consumed, "error": loop.error}


# -- frames ----------------------------------------------------------------------------------
def _ts(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(us / 1e6, dt.UTC)


def _runs_frame(
    settings: ClientSettings, spec: BenchSpec, info: clients.TopicInfo, rec: Recorder, extra: dict
) -> pl.DataFrame:
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


def _intervals_frame(spec: BenchSpec, rec: Recorder) -> pl.DataFrame:
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


def _stats(rec: Recorder, spec: BenchSpec, extra: dict) -> dict[str, Any]:
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
    return out


def summary_lines(stats: Mapping[str, Any], kind: str) -> list[str]:
    """``N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, p50 ms 50th,
    ... 99.9th.`` plus one line per other latency and a note on errors and full buffers."""
    verb = "consumed" if kind == "consumer" else "sent"
    steady = " steady state" if stats.get("warmup") else ""
    rate = f"{stats['records_per_s']:.1f} records/sec ({stats['mb_per_s']:.2f} MB/sec)"
    head = f"{stats['records']}{steady} records {verb}, {rate}"
    lat = stats["latency"]
    ack = lat.get("send_to_ack")
    if not ack or not ack.get("count"):
        return [head + "."]
    lines = [head + ", " + _latency_text(ack, "latency") + "."]
    for name, label in (("schedule_delay", "schedule delay"), ("end_to_end", "end-to-end")):
        if lat.get(name, {}).get("count"):
            lines.append(f"{label}: " + _latency_text(lat[name], label) + ".")
    if stats.get("errors") or stats.get("buffer_full"):
        lines.append(f"{stats['errors']} delivery errors, {stats['buffer_full']} BufferError retries.")
    return lines


def _latency_text(s: Mapping[str, Any], what: str) -> str:
    return (
        f"{s['mean_ms']:.2f} ms avg {what}, {s['max_ms']:.2f} ms max {what}, {s['p50_ms']:.2f} ms 50th, "
        f"{s['p95_ms']:.2f} ms 95th, {s['p99_ms']:.2f} ms 99th, {s['p999_ms']:.2f} ms 99.9th"
    )
