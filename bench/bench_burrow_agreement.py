"""Benchmark: the workbench's Burrow status against a live Burrow 1.2.1 on the same consumers.

Starts Kafka 3.9.1 (``scripts/kafka-local``), ZooKeeper and Burrow 1.2.1 (``tests/parts_kafka.py``),
runs seven controlled consumers (keeping up, falling behind, stopped with and without a member,
stalled with and without a member, rewind), each committing every 10 s, while ``workbench collect
offsets --interval 5s`` records the log-end history. Every 10 s it asks Burrow for each group's
status. At the end ``workbench collect commits`` reads ``__consumer_offsets`` and the workbench
evaluates the same groups at the same instants: on commits with Burrow 1.2.1's rules, and (the
baseline) on the offsets snapshots with the snapshot path. Prints evaluations, agreements and
the percentage for each; writes ``bench/results/burrow_agreement.{json,txt}``.

Usage::

    python bench/bench_burrow_agreement.py               # 12 minutes (4 healthy, 8 in scenario)
    python bench/bench_burrow_agreement.py --minutes 6
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import polars as pl  # noqa: E402
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402
from kafka_local import KafkaLocal, create_topic  # noqa: E402
from parts import PartError  # noqa: E402
from parts_kafka import start_burrow, start_zookeeper  # noqa: E402

from workbench.analyze import BurrowConfig, group_status, partition_status  # noqa: E402
from workbench.analyze.burrow.commits import group_status_on_commits, partition_status_on_commits  # noqa: E402
from workbench.frames import add_lag_columns  # noqa: E402
from workbench.store import Store  # noqa: E402

SCENARIOS = ("keeps-up", "behind", "stop-member", "stop-nomember", "stall-member", "stall-nomember", "rewind")
TICK_S = 10.0
RATE = 20  # messages per second per topic
CONFIG = BurrowConfig(intervals=10, min_distance_s=1, minimum_complete=1.0)  # = BURROW_DEFAULTS
WORKBENCH = [sys.executable, "-m", "workbench"]


class Driver:
    """One scenario's consumer: commits every tick; behaviour switches at ``switch_at``."""

    def __init__(self, name: str, bootstrap: str, topic: str, switch_at: float) -> None:
        self.name, self.topic, self.switch_at, self.bootstrap = name, topic, switch_at, bootstrap
        self.group = f"bench-{name}"
        self.member = name not in ("stall-nomember",)
        conf = {"bootstrap.servers": bootstrap, "group.id": self.group, "enable.auto.commit": False}
        self.consumer: Consumer | None = Consumer(conf | {"auto.offset.reset": "earliest"})
        if self.member:
            self.consumer.subscribe([topic])
        self.position = 0
        self.fixed: int | None = None
        self.rewound = False

    def head(self) -> int:
        assert self.consumer is not None
        return self.consumer.get_watermark_offsets(TopicPartition(self.topic, 0), timeout=10)[1]

    def consume(self, limit: int | None) -> None:
        """Read up to ``limit`` messages (all available when None): the position moves."""
        assert self.consumer is not None
        if not self.member:
            self.position = self.head() if limit is None else min(self.head(), self.position + limit)
            return
        got, deadline = 0, time.monotonic() + 3
        while (limit is None or got < limit) and time.monotonic() < deadline:
            msgs = self.consumer.consume(min(500, limit - got) if limit else 500, timeout=0.3)
            got += len(msgs)
            for m in msgs:
                if m.error() is None:
                    self.position = m.offset() + 1
            if not msgs and limit is None:
                break

    def commit(self, offset: int) -> None:
        assert self.consumer is not None
        try:
            self.consumer.commit(offsets=[TopicPartition(self.topic, 0, offset)], asynchronous=False)
        except KafkaException as exc:
            print(f"{self.name}: commit failed: {exc}", file=sys.stderr)

    def tick(self, now: float) -> None:
        late = now >= self.switch_at
        if self.consumer is None:
            return
        if self.name == "behind":
            self.consume(RATE * int(TICK_S) // 2)
            return self.commit(self.position)
        if not late or self.name == "keeps-up":
            self.consume(None)
            return self.commit(self.position)
        if self.fixed is None:
            self.fixed = self.position
        if self.name == "stop-member":
            self.consume(None)  # keeps polling (stays a member), never commits
        elif self.name == "stop-nomember":
            self.consumer.close()
            self.consumer = None
        elif self.name in ("stall-member", "stall-nomember"):
            self.consume(None) if self.member else None
            self.commit(self.fixed)
        elif self.name == "rewind":
            self.consume(None)
            self.fixed = 0 if not self.rewound else self.fixed + 10
            self.rewound = True
            self.commit(self.fixed)


def every(period: float, stop: threading.Event, fn: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        next_at = time.monotonic()
        while not stop.is_set():
            fn()
            next_at += period
            stop.wait(max(0.0, next_at - time.monotonic()))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def burrow_status(burrow, group: str) -> str:
    try:
        return str(burrow.lag(group)["status"])
    except PartError:
        return "NOTFOUND"


def run_scenarios(bootstrap: str, burrow, data_dir: Path, minutes: float) -> list[dict]:
    """Run the consumers and the collector; return Burrow's answers [{ts, group, status}]."""
    stop, answers = threading.Event(), []
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50})
    topics = {name: f"bench-{name}" for name in SCENARIOS}
    args = ["--bootstrap-server", bootstrap, "--cluster", "local", "--data-dir", str(data_dir)]
    collector = subprocess.Popen(
        [*WORKBENCH, "collect", "offsets", *args, "--interval", "5s", "--include", "bench-.*"],
        stdout=subprocess.DEVNULL,
        cwd=REPO,
    )
    # both sides hold log-end readings before the first commit (each drops commits made earlier)
    time.sleep(12)
    total = minutes * 60
    switch_at = time.monotonic() + total / 3
    drivers = [Driver(name, bootstrap, topics[name], switch_at) for name in SCENARIOS]

    def produce() -> None:
        for topic in topics.values():
            for i in range(RATE // 2):
                producer.produce(topic, str(i).encode(), partition=0)
        producer.poll(0)

    def ask() -> None:
        now = dt.datetime.now(dt.UTC)
        answers.extend(
            {"ts": now, "group": d.group, "status": burrow_status(burrow, d.group)} for d in drivers
        )

    threads = [every(0.5, stop, produce)]
    threads += [every(TICK_S, stop, lambda d=d: d.tick(time.monotonic())) for d in drivers]
    time.sleep(TICK_S / 2)
    threads.append(every(TICK_S, stop, ask))
    stop.wait(total)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    collector.terminate()
    collector.wait(timeout=60)
    producer.flush(30)
    for d in drivers:
        if d.consumer is not None:
            d.consumer.close()
    return answers


def evaluate(data_dir: Path, answers: list[dict]) -> dict[str, pl.DataFrame]:
    """The workbench's group statuses at Burrow's instants: on commits, and on snapshots."""
    store = Store(data_dir)
    commits = store.read("commits", cluster="local")
    log_ends = store.read("partition_offsets", cluster="local")
    at = sorted({a["ts"] for a in answers})
    on_commits = group_status_on_commits(partition_status_on_commits(commits, log_ends, at, CONFIG, "1.2.1"))
    snaps = add_lag_columns(store.read("offsets", cluster="local"))
    on_snaps = group_status(partition_status(snaps, CONFIG)).sort("ts")
    burrow = pl.DataFrame(answers).with_columns(pl.col("ts").dt.cast_time_unit("us")).sort("ts")
    snap = burrow.join_asof(
        on_snaps.select("ts", "group", "status"), on="ts", by="group", suffix="_wb", check_sortedness=False
    )
    com = burrow.join(
        on_commits.select("ts", "group", pl.col("status").alias("status_wb")), on=["ts", "group"], how="left"
    )
    fill = pl.col("status_wb").fill_null("NOTFOUND")
    return {"commits": com.with_columns(fill), "snapshots": snap.with_columns(fill)}


def summarize(frames: dict[str, pl.DataFrame]) -> dict:
    seen = frames["commits"].group_by("group", "status").len().sort("group", "status")
    out: dict = {"burrow_statuses": {g: {} for g in seen["group"].unique().sort()}}
    for group, status, n in seen.iter_rows():
        out["burrow_statuses"][group][status] = n
    for path, frame in frames.items():
        agree = frame.with_columns(ok=pl.col("status") == pl.col("status_wb"))
        per = agree.group_by("group").agg(n=pl.len(), ok=pl.col("ok").sum()).sort("group")
        n, ok = agree.height, int(agree["ok"].sum())
        out[path] = {
            "evaluations": n,
            "agreements": ok,
            "percent": round(100 * ok / n, 1) if n else None,
            "per_group": {r["group"]: [r["ok"], r["n"]] for r in per.to_dicts()},
            "disagreements": agree.filter(~pl.col("ok"))
            .group_by("group", "status", "status_wb")
            .len()
            .sort("group")
            .rows(),
        }
    return out


def warm_up(bootstrap: str) -> None:
    """Commit once (retrying while the coordinator loads), so ``__consumer_offsets`` exists."""
    warm = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-warmup"})
    deadline = time.monotonic() + 60
    while True:
        try:
            warm.commit(offsets=[TopicPartition(f"bench-{SCENARIOS[0]}", 0, 0)], asynchronous=False)
            break
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    warm.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=12.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-burrow-") as tmp:
        root = Path(tmp)
        kafka = KafkaLocal(root / "kafka", version="3.9.1")
        zk = burrow = None
        try:
            bootstrap = kafka.start()
            for name in SCENARIOS:
                create_topic(kafka.admin(), f"bench-{name}", 1, 1)
            warm_up(bootstrap)
            zk = start_zookeeper(root / "zk")
            burrow = start_burrow(root / "burrow", bootstrap, zk.connect, **{"expire-cache": 1})
            time.sleep(5)  # Burrow ignores commits to topics younger than its topic-refresh (2 s)
            started = time.monotonic()
            answers = run_scenarios(bootstrap, burrow, root / "data", args.minutes)
            cmd = [*WORKBENCH, "collect", "commits", "--bootstrap-server", bootstrap, "--cluster", "local"]
            subprocess.run(
                [*cmd, "--data-dir", str(root / "data"), "--include", "bench-.*"], check=True, cwd=REPO
            )
            result = summarize(evaluate(root / "data", answers))
            result["run"] = {"minutes": args.minutes, "wall_s": round(time.monotonic() - started, 1)}
        finally:
            for part in (burrow, zk):
                if part is not None:
                    part.stop()
            kafka.stop()
    lines = [
        f"{path}: {r['evaluations']} evaluations, {r['agreements']} agreements, {r['percent']} %"
        for path, r in result.items()
        if path in ("commits", "snapshots")
    ]
    lines.append(f"Burrow's group statuses (group: status: evaluations): {result['burrow_statuses']}")
    for path in ("commits", "snapshots"):
        lines.append(f"{path} per group (agree/total): {result[path]['per_group']}")
        lines.append(f"{path} disagreements (group, burrow, workbench, n): {result[path]['disagreements']}")
    text = "\n".join(lines)
    print(text)
    out = REPO / "bench" / "results"
    (out / "burrow_agreement.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (out / "burrow_agreement.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
