"""Deterministic synthetic benchmark runs (``workbench bench simulate``): the sample's sweep.

Eight producer runs against a made-up 3-broker cluster, 100-byte records, topic ``bench``
(12 partitions, replication 3), open loop at a target of 80,000 msg/s, 3 s warm-up + 30 s:

* a sweep ``linger.ms`` = 0, 5, 20 x ``acks`` = 1, all (2026-11-18 from 09:00 UTC, 2 min apart).
  Batching raises capacity and adds about ``linger.ms`` to the latency. ``linger.ms=0 acks=all``
  cannot keep up (capacity ~62,000 msg/s): its backlog and schedule delay grow through the run
  while its send->ack latency looks only moderately worse -- the coordinated-omission lesson;
* a rerun of ``linger.ms=5 acks=all`` on 2026-11-19 10:00 UTC with a slower tail (p99.9 about
  +55 %, max about 2x; e.g. after a broker upgrade): what the run-vs-run comparison flags;
* a maximum-throughput run (2026-11-18 09:30 UTC): unthrottled, 1 KiB records, ``linger.ms=20
  acks=all``, about 90,000 msg/s (~7.7 MB/s per partition): the per-partition producer capacity P
  that the capacity report sizes partitions with (the throttled sweep only shows a lower bound).

Latencies are lognormal around a per-configuration median with a 1 % slow tail; end-to-end
adds a consumer fetch delay. The throttled (open-loop) runs also record schedule delay and
intended-to-ack (each record's schedule delay plus its send->ack). Same seed, same frames.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench import hdr
from workbench.schema import conform
from workbench.store import Store

TARGET = 80_000.0
RECORD_SIZE = 100
WARMUP_S, STEADY_S = 3, 30
START = dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC)
_SERVERS = "broker-1:9092,broker-2:9092,broker-3:9092"


@dataclass(frozen=True)
class SimRun:
    """One simulated configuration: capacity (msg/s), median send->ack (ms), tail factor."""

    linger_ms: int
    acks: str
    capacity: float
    median_ms: float
    tail: float = 4.0
    start: dt.datetime = START
    rerun: bool = False
    target: float = TARGET  # msg/s; -1 = unthrottled
    record_size: int = RECORD_SIZE

    @property
    def label(self) -> str:
        base = f"linger.ms={self.linger_ms} acks={self.acks}"
        return f"{base} unthrottled {self.record_size} B" if self.unthrottled else base

    @property
    def unthrottled(self) -> bool:
        return self.target < 0

    @property
    def in_sweep(self) -> bool:
        return not self.rerun and not self.unthrottled


def sample_runs() -> list[SimRun]:
    """The eight runs of ``data/sample`` (see the module docstring)."""
    grid = [
        (0, "1", 95_000, 1.1),
        (0, "all", 62_000, 2.4),
        (5, "1", 160_000, 5.9),
        (5, "all", 130_000, 6.8),
        (20, "1", 215_000, 20.7),
        (20, "all", 180_000, 21.9),
    ]
    runs = [
        SimRun(lg, acks, cap, med, start=START + dt.timedelta(minutes=2 * i))
        for i, (lg, acks, cap, med) in enumerate(grid)
    ]
    rerun = SimRun(5, "all", 128_000, 7.0, tail=6.5, start=START + dt.timedelta(days=1, hours=1), rerun=True)
    peak = SimRun(
        20, "all", 90_000, 24.0, start=START + dt.timedelta(minutes=30), target=-1.0, record_size=1024
    )
    return [*runs, peak, rerun]


def write_bench(store: Store, cluster: str = "sample", seed: int = 0) -> tuple[int, int]:
    """Append :func:`simulate_bench`'s frames to ``store``; returns (runs, interval rows)."""
    runs, intervals = simulate_bench(cluster=cluster, seed=seed)
    store.append("bench_runs", runs)
    store.append("bench_intervals", intervals)
    return runs.height, intervals.height


def simulate_bench(cluster: str = "sample", seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ``bench_runs`` and ``bench_intervals`` frames of :func:`sample_runs`."""
    rng = np.random.default_rng(seed)
    runs, intervals = [], []
    for i, sim in enumerate(sample_runs()):
        run_id = f"sample-{sim.start:%Y%m%dT%H%M}-{i + 1}"
        rows = _intervals(sim, run_id, cluster, rng)
        intervals.extend(rows)
        runs.append(_run_row(sim, run_id, cluster, rows))
    return (
        conform(pl.DataFrame(runs, infer_schema_length=None), "bench_runs"),
        conform(pl.DataFrame(intervals, infer_schema_length=None), "bench_intervals"),
    )


def _latencies(sim: SimRun, n: int, slow: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` send->ack latencies (µs): lognormal body, 1 % tail ``sim.tail`` times slower."""
    body = rng.lognormal(np.log(sim.median_ms * slow * 1000), 0.35, n)
    tail = rng.random(n) < 0.01
    body[tail] *= rng.uniform(1.5, sim.tail, int(tail.sum()))
    return body


def _intervals(sim: SimRun, run_id: str, cluster: str, rng: np.random.Generator) -> list[dict]:
    rows: list[dict] = []
    target = sim.capacity if sim.unthrottled else sim.target
    achieved = min(target, sim.capacity)
    delay_s = 0.0
    cumulative: dict[tuple[str, str], object] = {}
    for sec in range(WARMUP_S + STEADY_S):
        phase = "warmup" if sec < WARMUP_S else "steady"
        rate = achieved * rng.uniform(0.97, 1.0) if sim.capacity <= target else target
        n = int(rate)
        saturated = sim.capacity < target
        slow = (1.6 if phase == "warmup" else 1.0) * (3.0 if saturated else 1.0)
        ack = _latencies(sim, n, slow, rng)
        behind = max(0.0, (target - sim.capacity) / sim.capacity)
        delays = np.linspace(delay_s, delay_s + behind, n) * 1e6 + rng.exponential(30, n)
        delay_s += behind
        e2e = ack + rng.exponential(1500, n) + 500
        t0 = sim.start + dt.timedelta(seconds=sec)
        counts = {
            "records": n,
            "bytes": n * sim.record_size,
            "errors": 0,
            "backlog": int(target * (sec + 1) - achieved * (sec + 1)) or int(rate * sim.median_ms / 1000),
        }
        kinds = [("send_to_ack", ack), ("end_to_end", e2e)]
        if not sim.unthrottled:  # open loop: each record's wait for its turn, and that wait + its ack
            kinds += [("schedule_delay", delays), ("intended_to_ack", delays + ack)]
        for kind, values in kinds:
            hist = hdr.from_values(values)
            key = (phase, kind)
            cumulative.setdefault(key, hdr.new_histogram()).add(hist)  # type: ignore[attr-defined]
            rows.append(
                _row(run_id, cluster, t0, t0 + dt.timedelta(seconds=1), phase, False, kind, counts, hist)
            )
    rows.extend(_cumulative_rows(sim, run_id, cluster, rows, cumulative))
    return rows


def _cumulative_rows(
    sim: SimRun, run_id: str, cluster: str, rows: list[dict], cumulative: dict
) -> list[dict]:
    out = []
    for (phase, kind), hist in cumulative.items():
        mine = [r for r in rows if r["phase"] == phase and r["latency"] == kind]
        counts = {k: sum(r[k] for r in mine) for k in ("records", "bytes", "errors")} | {"backlog": None}
        out.append(_row(run_id, cluster, mine[0]["ts"], mine[-1]["end"], phase, True, kind, counts, hist))
    return out


def _row(
    run_id: str,
    cluster: str,
    t0: dt.datetime,
    t1: dt.datetime,
    phase: str,
    cum: bool,
    kind: str,
    counts: dict,
    hist: object,
) -> dict:
    return {
        "ts": t0, "end": t1, "cluster": cluster, "run_id": run_id, "phase": phase, "cumulative": cum,
        "latency": kind, **counts, **hdr.summarize(hist), "histogram": hdr.encode(hist),
    }  # fmt: skip


def _run_row(sim: SimRun, run_id: str, cluster: str, rows: list[dict]) -> dict:
    per = [r for r in rows if not r["cumulative"] and r["latency"] == "send_to_ack"]
    props = {"linger.ms": str(sim.linger_ms), "acks": sim.acks, "compression.type": "lz4"}
    params = {"num_records": sum(r["records"] for r in per), "record_size": sim.record_size,
              "throughput": sim.target,
              "warmup_seconds": WARMUP_S, "interval_s": 1.0, "props": props}  # fmt: skip
    return {
        "ts": per[0]["ts"], "cluster": cluster, "run_id": run_id, "kind": "producer",
        "label": sim.label, "source": "simulate", "tool": "workbench bench simulate",
        "params": json.dumps(params, sort_keys=True),
        "sweep": json.dumps({"linger.ms": str(sim.linger_ms), "acks": sim.acks}) if sim.in_sweep else None,
        "sweep_id": "sample-sweep" if sim.in_sweep else None,
        "client_config": json.dumps({"bootstrap.servers": _SERVERS, **props}),
        "librdkafka_version": "2.16.0 (simulated)", "topic": "bench", "partitions": 12, "replication": 3,
        "brokers": 3, "record_size": sim.record_size, "num_records": params["num_records"],
        "target_throughput": sim.target,
        "warmup_records": None, "host": "bench-host-1", "duration_s": float(len(per)),
        "records": sum(r["records"] for r in per), "bytes": sum(r["bytes"] for r in per),
        "errors": 0, "buffer_full": 0,
    }  # fmt: skip
