#!/usr/bin/env python3
"""One offsets snapshot of 100 groups over 1,000 partitions vs ``kafka-consumer-groups --describe
--all-groups`` (the real tool, run from the resolved jars), in the same script, same broker.

    python bench/bench_snapshot.py                 # starts its own broker with scripts/kafka-local
    python bench/bench_snapshot.py --bootstrap-server 127.0.0.1:9092   # use a running one

Prints each measurement (median of --repeat runs) and the ratios; writes
bench/results/snapshot.json. Goal (issue 2): at least 5x faster than the Kafka tool.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[1]
KAFKA_LOCAL = ROOT / "scripts" / "kafka-local"
CGC = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"


def setup(bootstrap: str, topics: int, partitions: int, groups: int) -> str:
    """Topics x partitions with a few messages each; each group commits every partition of one topic."""
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    names = [f"{prefix}-t{i}" for i in range(topics)]
    for fut in admin.create_topics([NewTopic(n, partitions, 1) for n in names]).values():
        fut.result(timeout=120)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for n in names:
        for p in range(partitions):
            for _ in range(5):
                producer.produce(n, b"x" * 100, partition=p)
        producer.poll(0)
    assert producer.flush(120) == 0
    for g in range(groups):
        c = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": f"{prefix}-g{g}", "enable.auto.commit": False}
        )
        topic = names[g % topics]
        c.commit(offsets=[TopicPartition(topic, p, 3) for p in range(partitions)], asynchronous=False)
        c.close()
    return prefix


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap-server")
    ap.add_argument("--topics", type=int, default=10)
    ap.add_argument("--partitions", type=int, default=100)
    ap.add_argument("--groups", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "snapshot.json"))
    args = ap.parse_args()

    state = Path(tempfile.mkdtemp(prefix="wb-bench-kafka-"))
    bootstrap = args.bootstrap_server
    if not bootstrap:
        start = subprocess.run(
            [str(KAFKA_LOCAL), "start", "--dir", str(state)], capture_output=True, text=True
        )
        if start.returncode != 0:
            print(start.stderr, file=sys.stderr)
            return 2
        bootstrap = start.stdout.strip().splitlines()[-1]
    try:
        return run(args, bootstrap)
    finally:
        if not args.bootstrap_server:
            subprocess.run([str(KAFKA_LOCAL), "stop", "--dir", str(state)], capture_output=True)


def run(args: argparse.Namespace, bootstrap: str) -> int:
    import workbench

    workbench.tune_allocator()  # before Polars, as the CLI does
    from workbench.collect.kafka import KafkaAdmin
    from workbench.collect.offsets import GroupFilter, snapshot_offsets
    from workbench.config import load_settings

    prefix = setup(bootstrap, args.topics, args.partitions, args.groups)
    rows_expected = args.groups * args.partitions
    admin = KafkaAdmin(load_settings(bootstrap), timeout_s=60)
    keep = GroupFilter(include=(f"{prefix}-.*",))
    snap = snapshot_offsets(admin, "bench", keep)  # warm-up, and check the answer
    assert snap.offsets.height == rows_expected, snap.offsets.height
    in_process = timed(lambda: snapshot_offsets(admin, "bench", keep), args.repeat)

    data = Path(tempfile.mkdtemp(prefix="wb-bench-data-"))
    cli = [
        sys.executable,
        "-m",
        "workbench",
        "collect",
        "offsets",
        "--bootstrap-server",
        bootstrap,
        "--cluster",
        "bench",
        "--data-dir",
        str(data),
        "--count",
        "1",
        "--include",
        f"{prefix}-.*",
    ]
    cli_times = timed(lambda: subprocess.run(cli, check=True, capture_output=True), args.repeat)

    tool = [str(KAFKA_LOCAL), "tool", CGC, "--bootstrap-server", bootstrap, "--describe", "--all-groups"]
    first = subprocess.run(tool, capture_output=True, text=True, check=True)
    tool_rows = sum(1 for line in first.stdout.splitlines() if line.startswith(prefix))
    assert tool_rows == rows_expected, tool_rows
    tool_times = timed(lambda: subprocess.run(tool, check=True, capture_output=True), args.repeat)

    med = {
        k: statistics.median(v)
        for k, v in {
            "workbench_in_process_s": in_process,
            "workbench_cli_s": cli_times,
            "kafka_consumer_groups_s": tool_times,
        }.items()
    }
    result = {
        "what": f"one offsets snapshot: {args.groups} groups, {args.topics * args.partitions} partitions, "
        f"{rows_expected} group-partition rows; median of {args.repeat}",
        **{k: round(v, 3) for k, v in med.items()},
        "ratio_in_process": round(med["kafka_consumer_groups_s"] / med["workbench_in_process_s"], 1),
        "ratio_cli": round(med["kafka_consumer_groups_s"] / med["workbench_cli_s"], 1),
        "goal": ">= 5x faster than kafka-consumer-groups --describe --all-groups",
        "host": f"{platform.node()} {platform.machine()} python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"kafka-consumer-groups --describe --all-groups : {med['kafka_consumer_groups_s']:.3f} s")
    print(
        f"workbench snapshot (in process, warm client)  : {med['workbench_in_process_s']:.3f} s  "
        f"-> {result['ratio_in_process']}x faster"
    )
    print(
        f"workbench collect offsets --count 1 (new CLI) : {med['workbench_cli_s']:.3f} s  "
        f"-> {result['ratio_cli']}x faster"
    )
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
