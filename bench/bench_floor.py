#!/usr/bin/env python3
"""The benchmark tool's own floor: what ``workbench bench producer`` adds to every measurement.

    python bench/bench_floor.py [--baseline COMMIT] [--seconds 20] [--rate 5000] [--stress-rate 50000]
                                [--bootstrap-server HOST:PORT] [--no-broker] [--no-variants] [--out FILE]

Set-ups, this tree's loop ("new") against ``--baseline``'s ("old", ``git archive``d), interleaved:
a bare loop that only waits on the clock (the machine's floor; spinning, and sleeping until
100 µs before); the real send loop and recorder with a no-op producer at ``--rate`` and
``--stress-rate``; the same at ``--rate`` probed (``floor_probe.py``: each record's gap split
into own CPU work, OS run-queue wait and blocked time), for old, new and new with one choice
undone (GC on, 5 ms switch interval, histograms on the worker thread); and the real command
(``python -m workbench bench producer --throughput RATE --json``) against a local broker
(``scripts/kafka-local``, started and stopped here unless ``--bootstrap-server`` is given).
Prints each set-up side by side with old/new ratios and the goal lines (schedule-delay p99.9
< 1 ms at ``--rate``, rotation < 1 ms, no own pause > 1 ms); writes ``bench/results/floor.json``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import floor_probe  # bench/, next to this script

ROOT = Path(__file__).resolve().parents[1]
#: The new loop with one of its choices undone (name -> floor_probe.variant).
VARIANTS = {"new, gc on": "gc-on", "new, switch 5 ms": "switch-5ms", "new, worker thread": "worker-thread"}
SCRIPT = ROOT / "scripts" / "kafka-local"


class NoopMessage:
    """What a delivery callback reads: the latency since produce()."""

    def __init__(self, latency: float) -> None:
        self._latency = latency

    def latency(self) -> float:
        return self._latency


class NoopProducer:
    """No broker: produce() queues the record, poll() acks every queued record at once."""

    def __init__(self, on_delivery: Any) -> None:
        self.on_delivery = on_delivery
        self.pending: collections.deque = collections.deque()

    def produce(self, topic: str, value: bytes, on_delivery: Any = None, headers: Any = None) -> None:
        self.pending.append((on_delivery or self.on_delivery, time.perf_counter()))

    def poll(self, timeout: float = 0) -> int:
        n = len(self.pending)
        now = time.perf_counter()
        while self.pending:
            cb, t = self.pending.popleft()
            cb(None, NoopMessage(now - t))
        if timeout > 0:
            time.sleep(timeout)
        return n

    def __len__(self) -> int:
        return len(self.pending)


def extract(commit: str, into: Path) -> Path:
    """``git archive COMMIT workbench`` unpacked under ``into``; returns that directory."""
    tar = into / "old.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(tar), commit, "workbench"], check=True)
    with tarfile.open(tar) as t:
        t.extractall(into, filter="data")
    return into


def load_loop(tree: Path) -> Any:
    """The ``workbench.collect.bench_loop`` module of ``tree`` (a fresh import each time)."""
    for name in [m for m in sys.modules if m == "workbench" or m.startswith("workbench.")]:
        del sys.modules[name]
    sys.path.insert(0, str(tree))
    try:
        return importlib.import_module("workbench.collect.bench_loop")
    finally:
        sys.path.remove(str(tree))


def noop_run(
    tree: Path, rate: float, seconds: float, probe: bool = False, variant: str = ""
) -> dict[str, float]:
    """One no-op-producer run of ``tree``'s loop: schedule delay and pause figures (ms); with
    ``probe``, each record's gap split into own work / queued by the OS / blocked."""
    mod = load_loop(tree)
    n = int(rate * seconds)
    producer_cls, loop_cls = (
        floor_probe.probed(mod, NoopProducer, n) if probe else (NoopProducer, mod.ProducerLoop)
    )
    rotations: list[int] = []
    kinds = ("send_to_ack", "schedule_delay")
    kinds += ("intended_to_ack",) if hasattr(mod.ProducerLoop, "on_delivery_from") else ()
    recorder = mod.Recorder(kinds)
    close = recorder.close

    def timed_close(*args: Any) -> None:
        t0 = time.perf_counter_ns()
        close(*args)
        rotations.append(time.perf_counter_ns() - t0)

    recorder.close = timed_close
    loop = loop_cls(None, "t", n, 100, rate, recorder, 1.0)
    loop.producer = producer_cls(loop.on_delivery)
    with floor_probe.variant(mod, variant) if variant else contextlib.nullcontext():
        loop.run()
    loop.drain(10)
    if hasattr(recorder, "finish"):
        recorder.finish()
    hdr = importlib.import_module("workbench.hdr")
    steady = recorder.cumulative["steady"]
    delay = hdr.summarize(steady["schedule_delay"])
    ack = hdr.summarize(steady["send_to_ack"])
    out = {k: delay[k] for k in ("p99_ms", "p999_ms", "max_ms")}
    out |= {"send_to_ack_p999_ms": ack["p999_ms"], "rotation_max_ms": max(rotations) / 1e6}
    if hasattr(loop, "max_pause_ns"):
        out["loop_pause_max_ms"] = loop.max_pause_ns / 1e6
    if hasattr(recorder, "max_step_ns"):
        out["build_step_max_ms"] = recorder.max_step_ns / 1e6
    if probe:
        out |= floor_probe.attribute(loop.producer, n, 1e9 / rate)
    return out


def bare_run(rate: float, seconds: float, sleep_tail_ns: int = 0) -> dict[str, float]:
    """The machine's own floor: the same wait (spin on the clock) with no producer and no
    recorder, delays kept in a preallocated numpy array. With ``sleep_tail_ns``, sleep until
    that long before each intended time, then spin (a thread that sleeps is queued less)."""
    import numpy as np

    n = int(rate * seconds)
    delays = np.zeros(n, dtype=np.int64)
    period = 1e9 / rate
    fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
    queued0 = floor_probe.rq_wait_ns(fd)
    start = time.perf_counter_ns()
    for i in range(n):
        intended = start + int(i * period)
        now = time.perf_counter_ns()
        if sleep_tail_ns and intended - now > sleep_tail_ns + 50_000:
            time.sleep((intended - now - sleep_tail_ns) / 1e9)
            now = time.perf_counter_ns()
        while now < intended:
            now = time.perf_counter_ns()
        delays[i] = now - intended
    queued = (floor_probe.rq_wait_ns(fd) - queued0) / 1e9
    os.close(fd)
    q = np.percentile(delays, [99, 99.9, 100], method="inverted_cdf") / 1e6
    return {"p99_ms": float(q[0]), "p999_ms": float(q[1]), "max_ms": float(q[2]), "thread_queued_s": queued}


def kafka_local(*args: str) -> str:
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise SystemExit(f"kafka-local {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout


def new_topic(bootstrap: str) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"bench-floor-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(30)
    return name


def cli_run(tree: Path, bootstrap: str, rate: float, seconds: float, data: Path) -> dict[str, float]:
    """The real command of ``tree`` against the broker; figures from its --json summary (ms)."""
    cmd = [
        sys.executable, "-m", "workbench", "bench", "producer", "--bootstrap-server", bootstrap,
        "--topic", new_topic(bootstrap), "--num-records", str(int(rate * seconds)), "--throughput",
        str(rate), "--producer-props", "linger.ms=0", "--json", "--data-dir", str(data),
    ]  # fmt: skip
    env = os.environ | {"PYTHONPATH": str(tree)}
    # cwd=tree: ``python -m`` puts the working directory first on sys.path
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tree, timeout=seconds * 10 + 120)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    stats = json.loads(proc.stdout)
    delay, ack = stats["latency"]["schedule_delay"], stats["latency"]["send_to_ack"]
    out = {k: delay[k] for k in ("p99_ms", "p999_ms", "max_ms")}
    out["send_to_ack_p999_ms"] = ack["p999_ms"]
    out |= {k: stats[k] for k in ("loop_pause_max_ms", "rotation_max_ms", "build_step_max_ms") if k in stats}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", default="065afd7", help="commit holding the old recorder")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=5000.0)
    parser.add_argument("--stress-rate", type=float, default=50000.0)
    parser.add_argument("--bootstrap-server")
    parser.add_argument("--no-broker", action="store_true", help="skip the loopback-broker set-up")
    parser.add_argument("--no-variants", action="store_true", help="skip the probed variants")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "floor.json")
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        old = extract(args.baseline, Path(tmp))
        trees = {"old": old, "new": ROOT}
        for rate in (args.rate, args.stress_rate):
            results.setdefault(f"bare loop {rate:g}/s", {})["spin"] = bare_run(rate, args.seconds)
            for name, tree in trees.items():
                results.setdefault(f"noop {rate:g}/s", {})[name] = noop_run(tree, rate, args.seconds)
        bare = results[f"bare loop {args.rate:g}/s"]
        bare["sleep, spin last 100 us"] = bare_run(args.rate, args.seconds, sleep_tail_ns=100_000)
        probes = results.setdefault(f"noop {args.rate:g}/s, probed (where the delay comes from)", {})
        for name in ("old", "new", *(() if args.no_variants else VARIANTS)):
            tree = trees.get(name, ROOT)
            probes[name] = noop_run(tree, args.rate, args.seconds, probe=True, variant=VARIANTS.get(name, ""))
        if not args.no_broker:
            loopback(trees, args, Path(tmp), results)
    report(results, args)


def loopback(trees: dict[str, Path], args: argparse.Namespace, tmp: Path, results: dict) -> None:
    """The real command of each tree against a broker (a local one started here unless given)."""
    bootstrap, state = args.bootstrap_server, None
    if bootstrap is None:
        state = tmp / "kafka"
        bootstrap = kafka_local("start", "--dir", str(state)).strip().splitlines()[-1]
    try:
        for name, tree in trees.items():
            data = tmp / f"data-{name}"
            results.setdefault(f"loopback broker {args.rate:g}/s", {})[name] = cli_run(
                tree, bootstrap, args.rate, args.seconds, data
            )
    finally:
        if state is not None:
            kafka_local("stop", "--dir", str(state))


def report(results: dict[str, dict[str, dict[str, float]]], args: argparse.Namespace) -> None:
    """Print each set-up's contenders side by side (old/new ratio); write bench/results/floor.json."""
    for setup, runs in results.items():
        names = list(runs)
        print(
            f"\n{setup} ({args.seconds:g} s per run)\n  {'ms':26}" + "".join(f"{n:>26}" for n in names),
            end="",
        )
        print(f"{'old/new':>10}" if {"old", "new"} <= set(runs) else "")
        for key in dict.fromkeys(k for r in runs.values() for k in r):
            cells = [runs[n].get(key) for n in names]
            line = "".join(f"{'-':>26}" if v is None else f"{v:26.3f}" for v in cells)
            o, n = runs.get("old", {}).get(key), runs.get("new", {}).get(key)
            ratio = f"{o / n:9.1f}x" if o is not None and n and "old" in runs else ""
            print(f"  {key:26}{line}{ratio}")
    first = results[f"noop {args.rate:g}/s"]["new"]
    own_pause = max(first.get("loop_pause_max_ms", 1e9), first.get("build_step_max_ms", 0.0))
    goals = {
        "noop schedule-delay p99.9 < 1 ms": first["p999_ms"] < 1.0,
        "noop rotation < 1 ms": first["rotation_max_ms"] < 1.0,
        "noop send loop never paused > 1 ms by its own work (wall, build steps included)": own_pause < 1.0,
    }
    probed = next((r["new"] for k, r in results.items() if "probed" in k), None)
    if probed is not None:
        goals["noop own work (CPU) per record < 1 ms, build steps included"] = (
            max(probed["own_work_max_ms"], probed["build_step_cpu_max_ms"]) < 1.0
        )
        goals["noop schedule-delay p99.9 < 1 ms from the loop's own CPU alone"] = (
            probed.get("own_only_delay_p999_ms", 1e9) < 1.0
        )
    print(
        f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; compare with the bare loop's row"
    )
    print("\n".join(f"{'met ' if ok else 'MISSED'} {goal}" for goal, ok in goals.items()))
    out = args.out
    params = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    payload = {
        "params": params, "host": platform.node(), "cpus": os.cpu_count(), "load": os.getloadavg(),
        "python": platform.python_version(), "results": results, "goals": goals,
    }  # fmt: skip
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
