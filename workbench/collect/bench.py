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
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from workbench.collect import bench_clients as clients
from workbench.collect import bench_summary as summary
from workbench.collect.bench_loop import ConsumerLoop, ProducerLoop, Recorder
from workbench.config import ClientSettings, mask_text
from workbench.errors import ConfigError, KafkaRequestError

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
        base: tuple[str, ...] = ("send_to_ack", "schedule_delay")
        if self.throughput > 0:
            base += ("intended_to_ack",)
        if self.kind == "e2e":
            base += ("end_to_end", "intended_end_to_end") if self.throughput > 0 else ("end_to_end",)
        return base


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
        return summary.summary_lines(self.stats, self.spec.kind)

    def to_json(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict."""
        head = {"run_id": self.spec.run_id, "label": self.spec.label, "kind": self.spec.kind}
        return {**head, **self.stats, "notes": list(self.notes)}


def run_bench(settings: ClientSettings, spec: BenchSpec, progress: Progress | None = None) -> BenchResult:
    """Run ``spec`` against the cluster; :class:`workbench.errors.WorkbenchError` on failure."""
    if spec.kind == "consumer":
        recorder, info, extra = _run_consumer(settings, spec, progress)
    else:
        recorder, info, extra = _run_producer(settings, spec, progress)
    notes = tuple(n for n in (extra.get("error"), summary.startup_note(recorder, spec)) if n)
    runs = summary.runs_frame(settings, spec, info, recorder, {**extra, "notes": list(notes)})
    intervals = summary.intervals_frame(spec, recorder)
    stats = summary.stats(recorder, spec, extra)
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
        recorder.finish()
    unacked = len(loop.producer)
    error = f"{unacked} records not acknowledged within {spec.timeout_s:g}s" if unacked else None
    if consumer is not None and consumer.consumed < loop.sent:
        error = f"only {consumer.consumed} of {loop.sent} records consumed within {spec.timeout_s:g}s"
    pauses = {
        "loop_pause_max_ms": loop.max_pause_ns / 1e6,
        "rotation_max_ms": recorder.max_close_ns / 1e6,
        "build_step_max_ms": recorder.max_step_ns / 1e6,
    }
    return recorder, info, {"buffer_full": loop.buffer_full, "sent": loop.sent, "error": error, **pauses}


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

        recorder.begin(time.perf_counter_ns())
        loop.run(tick)
        recorder.close(time.perf_counter_ns(), "steady", None)
    finally:
        consumer.close()
        recorder.finish()
    if loop.error and loop.consumed == 0:
        raise KafkaRequestError(f"consumer benchmark on {spec.topic!r}: {loop.error}")
    return recorder, info, {"buffer_full": 0, "sent": loop.consumed, "error": loop.error}
