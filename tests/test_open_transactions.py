"""Open transactions named on the real broker (DescribeProducers, ListTransactions,
DescribeTransactions through kafka-python), the collector's record of them, lag to the LSO in
``workbench lag`` and the report's hanging-transaction finding that names them."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from workbench.analyze.lag import hanging_findings, hanging_over, held_findings, held_groups
from workbench.collect.kafka import KafkaAdmin
from workbench.collect.offsets import snapshot_offsets
from workbench.collect.open_transactions import StuckWatch, stuck_partitions
from workbench.config import load_settings
from workbench.frames import add_lag_columns, load_partition_offsets
from workbench.frames import lag as lag_frames
from workbench.report import render

WORKBENCH = [sys.executable, "-m", "workbench"]
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _frames(rows: list[tuple[str, int, int | None, int]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    stable = pl.DataFrame(
        [(t, p, lso) for t, p, lso, _ in rows],
        schema={"topic": pl.String, "partition": pl.Int32, "last_stable_offset": pl.Int64},
        orient="row",
    )
    parts = pl.DataFrame(
        [(t, p, end) for t, p, _, end in rows],
        schema={"topic": pl.String, "partition": pl.Int32, "log_end_offset": pl.Int64},
        orient="row",
    )
    return stable, parts


# (name, previous LSOs or None, now: (topic, partition, LSO, log end)) -> partitions asked about
STUCK = [
    ("no previous: every LSO below its log end", None, [("a", 0, 5, 9), ("a", 1, 9, 9)], [("a", 0)]),
    ("LSO unchanged below log end", {("a", 0): 5}, [("a", 0, 5, 9)], [("a", 0)]),
    ("LSO moved: a new short transaction", {("a", 0): 3}, [("a", 0, 5, 9)], []),
    ("LSO at log end: nothing open", {("a", 0): 9}, [("a", 0, 9, 9)], []),
    ("partition new since the previous snapshot", {("a", 0): 5}, [("b", 0, 1, 4)], []),
    ("unknown LSO (leader did not answer)", {("a", 0): 5}, [("a", 0, None, 9)], []),
]


@pytest.mark.parametrize(("name", "before", "now", "expected"), STUCK, ids=[s[0] for s in STUCK])
def test_stuck_partitions(name, before, now, expected) -> None:
    stable, parts = _frames(now)
    previous = None
    if before is not None:
        previous, _ = _frames([(t, p, lso, 0) for (t, p), lso in before.items()])
    assert stuck_partitions(previous, stable, parts) == expected


@dataclass
class Open:
    bootstrap: str
    topic: str
    group: str
    producer: Producer


def _commit(bootstrap: str, group: str, tps: list[TopicPartition]) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                consumer.commit(offsets=tps, asynchronous=False)
                return
            except KafkaException as exc:
                busy = (KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS)
                retry = exc.args[0].retriable() or exc.args[0].code() in busy
                if not retry or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        consumer.close()


@pytest.fixture
def open_txn(kafka, topic_factory) -> Iterator[Open]:
    """10 plain messages, a transaction opened at offset 10 (one message), 5 plain after it; a
    group committed at 8 on partition 0. The transaction is aborted at teardown."""
    topic = topic_factory(partitions=2)
    plain = Producer({"bootstrap.servers": kafka.bootstrap})
    for i in range(10):
        plain.produce(topic, str(i).encode(), partition=0)
    plain.flush(30)
    conf = {"bootstrap.servers": kafka.bootstrap, "transactional.id": f"tx-{topic}"}
    tx = Producer(conf | {"transaction.timeout.ms": 600_000})  # outlives a slow test run
    tx.init_transactions(60)
    tx.begin_transaction()
    tx.produce(topic, b"in-flight", partition=0)
    tx.flush(30)
    for i in range(5):
        plain.produce(topic, str(i).encode(), partition=0)
    plain.flush(30)
    group = f"g-{topic}"
    _commit(kafka.bootstrap, group, [TopicPartition(topic, 0, 8)])
    yield Open(kafka.bootstrap, topic, group, tx)
    tx.abort_transaction(30)


@pytest.mark.kafka
def test_stuck_watch_names_the_open_transaction(open_txn: Open) -> None:
    settings = load_settings(open_txn.bootstrap)
    admin = KafkaAdmin(settings)
    watch = StuckWatch(settings, 15.0)
    first = snapshot_offsets(admin, "c")
    assert watch.after("c", first) is None  # no previous snapshot: nothing is stuck yet
    second = snapshot_offsets(admin, "c")
    found = watch.after("c", second)
    assert found is not None
    row = found.filter(pl.col("topic") == open_txn.topic).to_dicts()
    assert [(r["partition"], r["start_offset"], r["transactional_id"], r["state"]) for r in row] == [
        (0, 10, f"tx-{open_txn.topic}", "Ongoing")
    ]
    assert row[0]["producer_id"] >= 0 and row[0]["producer_epoch"] >= 0
    assert row[0]["start_time"] <= second.ts and row[0]["timeout_ms"] > 0
    watch.client.close()


@pytest.mark.kafka
@pytest.mark.slow
def test_transactions_command(open_txn: Open) -> None:
    args = [*WORKBENCH, "transactions", "--bootstrap-server", open_txn.bootstrap]
    out = subprocess.run(
        [*args, "--topic", f"^{open_txn.topic}$", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [(r["partition"], r["last_stable_offset"], r["log_end_offset"], r["blocked"]) for r in rows] == [
        (0, 10, 16, 6)
    ]
    assert rows[0]["transactional_id"] == f"tx-{open_txn.topic}" and rows[0]["start_offset"] == 10
    bad = subprocess.run([*args, "--topic", "(unclosed"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr


@pytest.mark.kafka
@pytest.mark.slow
def test_collector_records_them_lag_and_report_name_them(open_txn: Open, tmp_path: Path) -> None:
    data = tmp_path / "data"
    args = ["--bootstrap-server", open_txn.bootstrap, "--cluster", "it", "--data-dir", str(data)]

    def collect(count: int) -> None:
        """``count`` snapshots, always at the 0.3 s interval: at the default 30 s, a snapshot 2-3 s
        after the last one is under a tenth of the interval, so it is flagged and left out of reads."""
        cmd = [*WORKBENCH, "collect", "offsets", *args, "--include", open_txn.group, "--interval", "0.3s"]
        done = subprocess.run([*cmd, "--count", str(count)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    collect(3)
    txns = lag_frames.load_open_transactions(data, "it", None)
    assert txns is not None
    mine = txns.filter(pl.col("topic") == open_txn.topic)
    assert mine["ts"].n_unique() == 2  # snapshots 2 and 3: the LSO did not move since the previous
    assert set(mine["transactional_id"]) == {f"tx-{open_txn.topic}"}
    # workbench lag from the stored history: lag 8 to the log end, 2 to the LSO, flagged
    lag = subprocess.run(
        [*WORKBENCH, "lag", "--data-dir", str(data), "--json"], capture_output=True, text=True, timeout=60
    )
    assert lag.returncode == 0, lag.stderr
    group = next(g for g in json.loads(lag.stdout) if g["group"] == open_txn.group)
    assert (group["total_lag"], group["readable_lag"], group["held_partitions"]) == (8, 2, 1)
    assert any("behind an open transaction" in f for f in group["flags"])
    # the report's finding names the transaction
    log_ends = load_partition_offsets(data, "it", since=None).filter(pl.col("topic") == open_txn.topic)
    stable = lag_frames.load_stable_offsets(data, "it", None)
    hanging = hanging_over(log_ends, stable, 0.0, txns)
    assert hanging is not None and hanging.height == 0  # the log end did not grow: not hanging
    # grow the log end behind the open transaction, snapshot again: now a hanging spell, named
    plain = Producer({"bootstrap.servers": open_txn.bootstrap})
    for i in range(4):
        plain.produce(open_txn.topic, str(i).encode(), partition=0)
    plain.flush(30)
    collect(1)
    log_ends = load_partition_offsets(data, "it", since=None).filter(pl.col("topic") == open_txn.topic)
    stable = lag_frames.load_stable_offsets(data, "it", None)
    hanging = hanging_over(log_ends, stable, 0.0, lag_frames.load_open_transactions(data, "it", None))
    assert hanging is not None and hanging.select("partition", "last_stable_offset", "blocked").rows() == [
        (0, 10, 10)
    ]
    (level, text), *_ = hanging_findings(hanging)
    assert level == "critical" and f"Held by tx-{open_txn.topic} (producer id" in text and "Ongoing" in text

    # the rendered lag-trend report and its findings JSON carry both findings
    rendered = render(
        "lag-trend",
        {"data_dir": str(data), "since": "None", "crit_time_lag_s": 0.001, "warn_time_lag_s": 0.0005},
        out_dir=tmp_path / "r",
    )
    doc = json.loads(next((tmp_path / "r" / "lag-trend").glob("*.findings.json")).read_text())
    texts = [f["text"] for f in doc["findings"]]
    assert any(f"Held by tx-{open_txn.topic}" in t for t in texts), texts
    assert any(
        t.startswith(f"{open_txn.group}: 12 messages behind") and "can read 2 now" in t for t in texts
    ), texts
    assert f"tx-{open_txn.topic}" in rendered.html.read_text()


def test_held_groups_and_their_finding() -> None:
    key = {"cluster": "c", "topic": "t", "log_start_offset": 0}
    offsets = pl.DataFrame(
        [
            {"ts": T0, "group": "g", "partition": 0, "committed_offset": 8, "log_end_offset": 16} | key,
            {"ts": T0, "group": "g", "partition": 1, "committed_offset": 5, "log_end_offset": 9} | key,
            {"ts": T0, "group": "idle", "partition": 1, "committed_offset": 9, "log_end_offset": 9} | key,
        ]
    ).with_columns(pl.col("partition").cast(pl.Int32))
    stable = pl.DataFrame(
        {"ts": [T0, T0], "cluster": "c", "topic": "t", "partition": [0, 1], "last_stable_offset": [10, 9]}
    ).with_columns(pl.col("partition").cast(pl.Int32))
    held = held_groups(add_lag_columns(offsets), stable)
    assert held is not None
    assert held.select("group", "lag", "readable_lag", "held_partitions").rows() == [("g", 12, 6, 1)]
    [(level, text)] = held_findings(held)
    assert level == "info" and "g: 12 messages behind the log end" in text and "can read 6 now" in text
    assert held_groups(add_lag_columns(offsets), None) is None
