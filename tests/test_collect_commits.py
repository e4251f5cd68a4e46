"""``__consumer_offsets`` read on the real broker: every commit with its timestamp, members,
resumed positions, transactions. Run with KAFKA_VERSION=3.9.1 too (3.x and 4.x record versions)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import polars as pl
import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from workbench.collect.commits import CommitBatch, PassResult, read_pass
from workbench.collect.offsets import GroupFilter
from workbench.config import load_settings
from workbench.store import Store

WORKBENCH = [sys.executable, "-m", "workbench"]
KAFKA4 = not os.environ.get("KAFKA_VERSION", "4").startswith("3.")


def _produce(bootstrap: str, topic: str, n: int) -> None:
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(n):
        p.produce(topic, str(i).encode(), partition=0)
    assert p.flush(30) == 0


def _commit(consumer: Consumer, tps: list[TopicPartition]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            consumer.commit(offsets=tps, asynchronous=False)
            return
        except KafkaException as exc:
            if time.monotonic() > deadline or not (
                exc.args[0].retriable() or exc.args[0].code() == KafkaError.NOT_COORDINATOR
            ):
                raise
            time.sleep(0.2)


def _read(
    bootstrap: str, group: str, start: dict[int, int] | None = None
) -> tuple[PassResult, pl.DataFrame, pl.DataFrame, dict]:
    batches: list[CommitBatch] = []
    res = read_pass(load_settings(bootstrap), "c", dict(start or {}), batches.append, GroupFilter((group,)))
    frames = [b.frames("c", dt.datetime.now(dt.UTC)) for b in batches]
    commits = pl.concat([f["commits"] for f in frames])
    members = pl.concat([f["group_members"] for f in frames])
    positions = {**(start or {})}
    for b in batches:
        positions.update(b.positions)
    return res, commits, members, positions


def test_commits_members_and_resume(kafka, topic_factory) -> None:
    topic, group = topic_factory(partitions=1), f"g-{uuid.uuid4().hex[:8]}"
    _produce(kafka.bootstrap, topic, 30)
    c = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": group, "enable.auto.commit": False})
    c.subscribe([topic])
    deadline = time.monotonic() + 30
    while not c.assignment() and time.monotonic() < deadline:
        c.poll(0.2)
    before = time.time()
    for off in (5, 10, 10, 25):
        _commit(c, [TopicPartition(topic, 0, off)])
    res, commits, members, positions = _read(kafka.bootstrap, group)
    assert res.undecodable == 0
    assert commits["committed_offset"].to_list() == [5, 10, 10, 25]
    assert commits["group"].unique().to_list() == [group] and commits["partition"].to_list() == [0] * 4
    ts = commits["ts"].to_list()
    assert ts == sorted(ts) and ts[0].timestamp() >= before - 5  # the coordinator's commit time
    assert commits["offsets_offset"].is_unique().all()
    owned = members.filter(pl.col("event") == "members")
    assert owned.select("topic", "partition").unique().rows() == [(topic, 0)]
    assert owned["client_id"].drop_nulls().len() > 0
    # a second pass from the stored position reads nothing; a new commit is read alone
    again, commits2, _, positions2 = _read(kafka.bootstrap, group, positions)
    assert commits2.height == 0 and again.records == 0
    _commit(c, [TopicPartition(topic, 0, 30)])
    _, commits3, _, _ = _read(kafka.bootstrap, group, positions2)
    assert commits3["committed_offset"].to_list() == [30]
    c.close()
    _, _, members4, _ = _read(kafka.bootstrap, group, positions2)
    assert "empty" in members4["event"].to_list()  # the group lost its last member


def test_aborted_transactional_commit_is_not_read(kafka, topic_factory) -> None:
    topic, group = topic_factory(partitions=1), f"tx-{uuid.uuid4().hex[:8]}"
    _produce(kafka.bootstrap, topic, 10)
    c = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": group, "enable.auto.commit": False})
    p = Producer({"bootstrap.servers": kafka.bootstrap, "transactional.id": f"tid-{group}"})
    p.init_transactions(30)
    for offset, commit in ((4, False), (7, True)):
        p.begin_transaction()
        p.send_offsets_to_transaction([TopicPartition(topic, 0, offset)], c.consumer_group_metadata(), 30)
        p.commit_transaction(30) if commit else p.abort_transaction(30)
    _, commits, _, _ = _read(kafka.bootstrap, group)
    assert commits["committed_offset"].to_list() == [7]
    c.close()


@pytest.mark.skipif(not KAFKA4, reason="the KIP-848 consumer protocol is GA from Kafka 4.0")
def test_consumer_protocol_group_commits_and_members_are_read(kafka, topic_factory) -> None:
    topic, group = topic_factory(partitions=2), f"k848-{uuid.uuid4().hex[:8]}"
    _produce(kafka.bootstrap, topic, 20)
    conf = {"bootstrap.servers": kafka.bootstrap, "group.id": group, "group.protocol": "consumer"}
    c = Consumer(
        conf | {"enable.auto.commit": False, "auto.offset.reset": "earliest", "client.id": "k848-client"}
    )
    c.subscribe([topic])
    deadline = time.monotonic() + 30
    while len(c.assignment()) < 2 and time.monotonic() < deadline:
        c.poll(0.2)
    _commit(c, [TopicPartition(topic, 0, 12)])
    _, commits, members, positions = _read(kafka.bootstrap, group)
    assert commits.select("partition", "committed_offset").rows() == [(0, 12)]
    member = members.filter(pl.col("event") == "member").select("client_id", "protocol_type").rows()
    assert (
        member == [("k848-client", "consumer")]
        and members["host"].drop_nulls().str.contains("127.0.0.1").all()
    )
    assigned = members.filter(pl.col("event") == "assignment").sort("partition")
    assert assigned.select("topic", "partition").rows() == [(topic, 0), (topic, 1)]  # ids named
    assert assigned["member_id"].n_unique() == 1 and assigned["generation"].min() >= 1
    assert members.filter(pl.col("event") == "epoch")["generation"].min() >= 1
    c.close()  # the member leaves: its metadata and assignment are deleted (tombstones)
    deadline, events = time.monotonic() + 30, set()
    while not {"left", "unassigned"} <= events and time.monotonic() < deadline:
        _, _, more, positions = _read(kafka.bootstrap, group, positions)
        events |= set(more["event"])
    assert {"left", "unassigned"} <= events


def test_cli_collect_commits_resumes_and_fails_cleanly(kafka, topic_factory, tmp_path: Path) -> None:
    topic, group = topic_factory(partitions=1), f"cli-{uuid.uuid4().hex[:8]}"
    c = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": group, "enable.auto.commit": False})
    _commit(c, [TopicPartition(topic, 0, 0)])
    c.close()
    args = [*WORKBENCH, "collect", "commits", "--bootstrap-server", kafka.bootstrap, "--cluster", "c"]
    args += ["--data-dir", str(tmp_path), "--include", group]
    first = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    second = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    assert " 1 commits" in first.stdout and " 0 commits" in second.stdout
    assert Store(tmp_path).read("commits", cluster="c")["group"].to_list() == [group]
    bad = [*args[:5], "--bootstrap-server", "127.0.0.1:1", "--timeout", "2s", *args[7:]]
    out = subprocess.run(bad, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.startswith("error: ") and "Traceback" not in out.stderr


def test_a_pass_killed_mid_way_rereads_and_loses_nothing(kafka, topic_factory) -> None:
    """Rows are handed over before the positions after them: a pass that dies after its first
    batch is resumed from the last stored position and every commit is there (duplicates share
    their ``__consumer_offsets`` position)."""
    topic, group = topic_factory(partitions=1), f"kill-{uuid.uuid4().hex[:8]}"
    c = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": group, "enable.auto.commit": False})
    for off in range(1, 6):
        _commit(c, [TopicPartition(topic, 0, off)])
    c.close()
    stored: list[CommitBatch] = []

    def dying_sink(batch: CommitBatch) -> None:
        if stored:
            raise RuntimeError("killed")
        stored.append(batch)

    settings, only = load_settings(kafka.bootstrap), GroupFilter((group,))
    with pytest.raises(RuntimeError):
        read_pass(settings, "c", {}, dying_sink, only, flush_every=2)
    positions = dict(stored[0].positions)
    rest: list[CommitBatch] = []
    read_pass(settings, "c", positions, rest.append, only)
    seen = [row["committed_offset"] for b in stored + rest for row in b.commits]
    assert sorted(set(seen)) == [1, 2, 3, 4, 5]
