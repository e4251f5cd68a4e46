#!/usr/bin/env python3
"""Python producer benchmark vs kafka-producer-perf-test, and the cost of recording latencies.

    python bench/bench_producer.py [--bootstrap-server HOST:PORT] [--num-records N] [--record-size B]
                                   [--acks 1] [--linger-ms 5] [--repeat 2]

Without --bootstrap-server a throw-away broker is started with ``scripts/kafka-local`` and
stopped at the end. Every contender is the real command, run unthrottled against a fresh
1-partition topic with the same record size, acks and linger.ms, long enough (2 M records by
default) that start-up (JVM, connections, metadata) does not count; each tool's own printed
throughput is compared (the perf-test summary line, ``workbench bench producer --json``), and
each command's wall time is kept beside it. The best of ``--repeat`` interleaved runs counts.
Prints and writes ``bench/results/producer.json``:

* ``workbench bench producer`` records/s vs ``kafka-producer-perf-test`` records/s (goal >= 80 %);
* recording every latency sample vs recording none (goal: <= 10 % fewer records/s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "kafka-local"
PERF = "org.apache.kafka.tools.ProducerPerformance"


def kafka_local(*args: str, timeout: float = 300) -> str:
    """Run scripts/kafka-local and return its stdout."""
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise SystemExit(f"kafka-local {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout


def new_topic(bootstrap: str) -> str:
    """A fresh 1-partition topic."""
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"bench-producer-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the future resolves
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(30)
    time.sleep(0.5)
    return name


_SUMMARY = re.compile(r"^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\)", re.M)


def java_rate(bootstrap: str, args: argparse.Namespace) -> dict[str, float]:
    """kafka-producer-perf-test's own figures (its summary line) and the command's wall time."""
    t0 = time.monotonic()
    out = kafka_local(
        "tool", PERF, "--topic", new_topic(bootstrap), "--num-records", str(args.num_records),
        "--record-size", str(args.record_size), "--throughput", "-1", "--producer-props",
        f"bootstrap.servers={bootstrap}", f"acks={args.acks}", f"linger.ms={args.linger_ms}",
    )  # fmt: skip
    wall = time.monotonic() - t0
    summary = _SUMMARY.findall(out)[-1]  # the summary line follows the 5 s window lines
    return {"records_per_s": float(summary[1]), "mb_per_s": float(summary[2]), "wall_s": wall}


def python_rate(bootstrap: str, args: argparse.Namespace, record: bool) -> dict[str, float]:
    """``workbench bench producer --json``'s own figures (every latency sample or none)."""
    cmd = [
        sys.executable, "-m", "workbench", "bench", "producer", "--bootstrap-server", bootstrap,
        "--topic", new_topic(bootstrap), "--num-records", str(args.num_records), "--record-size",
        str(args.record_size), "--producer-props", f"acks={args.acks}", f"linger.ms={args.linger_ms}",
        "--json", "--data-dir", tempfile.mkdtemp(prefix="bench-producer-data-"),
    ]  # fmt: skip
    t0 = time.monotonic()
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.run([*cmd, *([] if record else ["--no-latency"])], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=900)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"workbench bench producer failed:\n{proc.stderr[-2000:]}")
    stats = json.loads(proc.stdout)
    wall = time.monotonic() - t0
    return {"records_per_s": stats["records_per_s"], "mb_per_s": stats["mb_per_s"], "wall_s": wall}


def measure(bootstrap: str, args: argparse.Namespace) -> dict[str, list[dict[str, float]]]:
    """All contenders, interleaved per repetition so machine noise hits each alike."""
    runs: dict[str, list[dict[str, float]]] = {"java": [], "python_record_all": [], "python_record_none": []}
    for _ in range(args.repeat):
        runs["java"].append(java_rate(bootstrap, args))
        runs["python_record_all"].append(python_rate(bootstrap, args, True))
        runs["python_record_none"].append(python_rate(bootstrap, args, False))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bootstrap-server")
    parser.add_argument("--num-records", type=int, default=2_000_000)
    parser.add_argument("--record-size", type=int, default=100)
    parser.add_argument("--acks", default="1")
    parser.add_argument("--linger-ms", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    state = None
    bootstrap = args.bootstrap_server
    if bootstrap is None:
        state = tempfile.mkdtemp(prefix="bench-producer-")
        bootstrap = kafka_local("start", "--dir", state).strip().splitlines()[-1]
    try:
        runs = measure(bootstrap, args)
    finally:
        if state is not None:
            kafka_local("stop", "--dir", state)
    report(runs, args)


def report(runs: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    """Print the figures and write bench/results/producer.json."""
    best = {k: max(v, key=lambda r: r["records_per_s"]) for k, v in runs.items()}
    rates = {k: r["records_per_s"] for k, r in best.items()}
    vs_java = rates["python_record_all"] / rates["java"]
    cost = 1 - rates["python_record_all"] / rates["python_record_none"]
    result = {
        "params": vars(args) | {"throughput": -1},
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "records_per_s": rates,
        "best": best,
        "runs": runs,
        "python_vs_java": vs_java,
        "recording_cost": cost,
        "goals": {"python_vs_java >= 0.80": vs_java >= 0.8, "recording_cost <= 0.10": cost <= 0.10},
    }
    names = {"java": "kafka-producer-perf-test", "python_record_all": "workbench bench (every sample)",
             "python_record_none": "workbench bench (no samples)"}  # fmt: skip
    for key, name in names.items():
        b = best[key]
        print(f"{name:31} {b['records_per_s']:>10,.0f} records/s {b['mb_per_s']:>7.2f} MB/s "
              f"(its own figures; command wall time {b['wall_s']:.1f} s)")  # fmt: skip
    print(f"python / java                   {vs_java:>12.1%}  (goal >= 80%)")
    print(f"cost of recording every sample  {cost:>12.1%}  (goal <= 10%)")
    out = ROOT / "bench" / "results" / "producer.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
