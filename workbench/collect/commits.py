"""Read ``__consumer_offsets`` from a stored position to its end: offset commits and group members.

A plain consumer (no group: ``assign``, no commits of its own) reads every partition of the
topic with ``isolation.level=read_committed``, so offsets committed by an aborted transaction
are never seen. Each pass starts where the last one stopped (``offsets_topic_positions``) and
ends when every partition reports end-of-partition. Rows are handed to ``sink`` in batches and
the positions after them, so a crash re-reads (rows are keyed by their position), never skips.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from workbench.collect.offsets import GroupFilter
from workbench.collect.offsets_topic import DecodeError, GroupMetadata, OffsetCommit, decode
from workbench.collect.offsets_topic_848 import ConsumerAssignment, ConsumerGroupEpoch, ConsumerMember
from workbench.config import ClientSettings
from workbench.errors import KafkaAuthError, KafkaRequestError, KafkaUnavailableError, WorkbenchError
from workbench.schema import conform, empty
from workbench.store import Store

log = logging.getLogger(__name__)

OFFSETS_TOPIC = "__consumer_offsets"
_AUTH = {KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED}


@dataclass
class CommitBatch:
    """Rows decoded since the last flush and the positions after them."""

    commits: list[dict] = field(default_factory=list)
    members: list[dict] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)

    def frames(self, cluster: str, now: dt.datetime) -> dict[str, pl.DataFrame]:
        """The batch as frames of the ``commits``, ``group_members`` and positions datasets."""
        pos = [
            {"ts": now, "cluster": cluster, "partition": p, "next_offset": o}
            for p, o in self.positions.items()
        ]
        return {
            "commits": _frame(self.commits, "commits"),
            "group_members": _frame(self.members, "group_members"),
            "offsets_topic_positions": _frame(pos, "offsets_topic_positions"),
        }


@dataclass
class PassResult:
    """What one pass read."""

    records: int = 0
    commits: int = 0
    member_rows: int = 0
    skipped_types: dict[int, int] = field(default_factory=dict)
    undecodable: int = 0


def _frame(rows: list[dict], dataset: str) -> pl.DataFrame:
    return conform(pl.DataFrame(rows, infer_schema_length=None), dataset) if rows else empty(dataset)


def _ms(ms: int | None) -> dt.datetime | None:
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _consumer(settings: ClientSettings, timeout_s: float) -> Consumer:
    conf = settings.librdkafka(
        **{
            "group.id": "kafka-capacity-workbench-commits",  # never joined, never committed
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": True,
            "isolation.level": "read_committed",
            "auto.offset.reset": "earliest",
            "socket.connection.setup.timeout.ms": int(max(1000, timeout_s * 1000)),
            "logger": logging.getLogger("workbench.librdkafka"),
        }
    )
    conf.setdefault("client.id", "kafka-capacity-workbench")
    try:
        return Consumer(conf)
    except (KafkaException, ValueError, TypeError) as exc:
        raise KafkaRequestError(f"bad client configuration: {exc}; check --command-config") from exc


def _partitions(consumer: Consumer, timeout_s: float) -> list[int]:
    try:
        md = consumer.list_topics(OFFSETS_TOPIC, timeout=timeout_s)
    except KafkaException as exc:
        raise KafkaUnavailableError(f"cannot read metadata of {OFFSETS_TOPIC}: {_reason(exc)}") from exc
    topic = md.topics.get(OFFSETS_TOPIC)
    if topic is None or (topic.error is not None and topic.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART):
        return []  # no group ever committed: nothing to read
    if topic.error is not None:
        if topic.error.code() in _AUTH:
            raise KafkaAuthError(_denied(topic.error))
        raise KafkaRequestError(f"{OFFSETS_TOPIC}: {topic.error.str()}")
    return sorted(topic.partitions)


def _denied(err: KafkaError) -> str:
    return (
        f"not allowed to read {OFFSETS_TOPIC} ({err.str()}); commit history needs Read on that "
        "topic: without it the lag report estimates commit times from the snapshots"
    )


def stored_positions(store: Store, cluster: str) -> dict[int, int]:
    """The next offset of each ``__consumer_offsets`` partition after the last stored pass."""
    frame = (
        store.scan("offsets_topic_positions", cluster=cluster)
        .group_by("partition")
        .agg(pl.col("next_offset").max())
        .collect()
    )
    return dict(zip(frame["partition"].to_list(), frame["next_offset"].to_list(), strict=True))


def read_pass(
    settings: ClientSettings,
    cluster: str,
    start: dict[int, int],
    sink: Callable[[CommitBatch], None],
    groups: GroupFilter | None = None,
    timeout_s: float = 15.0,
    flush_every: int = 50_000,
) -> PassResult:
    """Read every partition of ``__consumer_offsets`` from ``start`` (next offset per partition;
    the beginning where absent) to its end, handing decoded rows to ``sink``."""
    consumer = _consumer(settings, timeout_s)
    try:
        parts = _partitions(consumer, timeout_s)
        if not parts:
            return PassResult()
        consumer.assign([TopicPartition(OFFSETS_TOPIC, p, start.get(p, -2)) for p in parts])
        keep = functools.lru_cache(maxsize=100_000)(groups or GroupFilter())  # one regex run per group
        names = TopicNames(settings, timeout_s)

        def named(batch: CommitBatch) -> None:
            name_topics(batch.members, names)
            sink(batch)

        return _drain(consumer, cluster, set(parts), named, keep, timeout_s, flush_every)
    finally:
        consumer.close()


def _drain(
    consumer: Consumer,
    cluster: str,
    pending: set[int],
    sink: Callable[[CommitBatch], None],
    groups: Callable[[str], bool],
    timeout_s: float,
    flush_every: int,
) -> PassResult:
    result, batch = PassResult(), CommitBatch()
    last_progress = time.monotonic()
    while pending:
        msgs = consumer.consume(1000, timeout=0.5)
        if msgs:
            last_progress = time.monotonic()
        elif time.monotonic() - last_progress > timeout_s:
            raise KafkaUnavailableError(
                f"reading {OFFSETS_TOPIC}: no progress for {timeout_s:g}s on partitions {sorted(pending)}"
            )
        for msg in msgs:
            err = msg.error()
            partition, offset = msg.partition(), msg.offset()
            if err is not None:
                _on_error(err, partition, pending)
                continue
            if partition is None or offset is None:  # a message without an error has both
                raise KafkaRequestError(f"reading {OFFSETS_TOPIC}: a record without partition or offset")
            batch.positions[partition] = offset + 1
            result.records += 1
            _add(batch, result, cluster, msg, groups)
        if len(batch.commits) + len(batch.members) >= flush_every:
            sink(batch)
            batch = CommitBatch()
    for tp in consumer.position(consumer.assignment()):
        if tp.offset >= 0:  # past trailing control records (transaction markers) too
            batch.positions[tp.partition] = tp.offset
    sink(batch)
    return result


def _on_error(err: KafkaError, partition: int | None, pending: set[int]) -> None:
    if err.code() == KafkaError._PARTITION_EOF:
        if partition is not None:
            pending.discard(partition)
        return
    if err.code() in _AUTH:
        raise KafkaAuthError(_denied(err))
    if err.fatal() or not err.retriable():
        raise KafkaRequestError(f"reading {OFFSETS_TOPIC} partition {partition}: {err.str()}")
    log.warning("reading %s partition %s: %s (retrying)", OFFSETS_TOPIC, partition, err.str())


def _add(batch: CommitBatch, result: PassResult, cluster: str, msg, groups: Callable[[str], bool]) -> None:
    try:
        rec = decode(msg.key(), msg.value())
    except DecodeError as exc:
        result.undecodable += 1
        log.debug("undecodable record at %d/%d: %s", msg.partition(), msg.offset(), exc)
        return
    where = {"cluster": cluster, "offsets_partition": msg.partition(), "offsets_offset": msg.offset()}
    where["source"] = "offsets_topic"
    if isinstance(rec, OffsetCommit):
        if not groups(rec.group):
            return
        ts = _ms(rec.commit_ts_ms) or _ms(msg.timestamp()[1])
        batch.commits.append(
            {"ts": ts, "group": rec.group, "topic": rec.topic, "partition": rec.partition}
            | {"committed_offset": rec.offset, "leader_epoch": rec.leader_epoch}
            | where
        )
        result.commits += 1
    elif isinstance(rec, GroupMetadata | ConsumerGroupEpoch | ConsumerMember | ConsumerAssignment):
        if not groups(rec.group):
            return
        ts = _ms(msg.timestamp()[1])
        rows = _member_rows(rec, ts, where) if isinstance(rec, GroupMetadata) else _rows_848(rec, ts, where)
        batch.members.extend(rows)
        result.member_rows += len(rows)
    else:
        result.skipped_types[rec.record_type] = result.skipped_types.get(rec.record_type, 0) + 1


def _member_rows(rec: GroupMetadata, ts: dt.datetime | None, where: dict) -> list[dict]:
    head = {"ts": ts, "group": rec.group, "generation": rec.generation, "protocol_type": rec.protocol_type}
    if rec.protocol_type is None:
        return [head | {"event": "removed"} | where]
    rows: list[dict[str, Any]] = []
    for m in rec.members:
        who = {"event": "members", "member_id": m.member_id, "client_id": m.client_id, "host": m.host}
        parts = m.partitions or ((None, None),)
        rows.extend(head | who | {"topic": t, "partition": p} | where for t, p in parts)
    return rows or [head | {"event": "empty"} | where]


def _rows_848(
    rec: ConsumerGroupEpoch | ConsumerMember | ConsumerAssignment, ts: dt.datetime | None, where: dict
) -> list[dict]:
    """``group_members`` rows of a KIP-848 record: events ``epoch``/``removed`` (type 3),
    ``member``/``left`` (5), ``assignment``/``unassigned`` (8; ``topic`` holds the topic id
    until :func:`name_topics` replaces it)."""
    head: dict[str, object] = {"ts": ts, "group": rec.group, "protocol_type": "consumer"} | where
    if isinstance(rec, ConsumerGroupEpoch):
        return [head | {"event": "epoch" if rec.epoch is not None else "removed", "generation": rec.epoch}]
    if isinstance(rec, ConsumerMember):
        gone = rec.client_id is None
        who = {"member_id": rec.member_id, "client_id": rec.client_id, "host": rec.host}
        return [head | who | {"event": "left" if gone else "member"}]
    owner: dict[str, object] = {"member_id": rec.member_id, "generation": rec.epoch}
    if rec.epoch is None:
        return [head | owner | {"event": "unassigned"}]
    parts = rec.partitions or ((None, None),)
    return [head | owner | {"event": "assignment", "topic": t, "partition": p} for t, p in parts]


def name_topics(rows: list[dict], names: Callable[[str], str | None]) -> None:
    """Replace topic ids in KIP-848 ``assignment`` rows by topic names (where ``names`` knows them)."""
    for row in rows:
        if row.get("event") == "assignment" and row.get("topic"):
            row["topic"] = names(row["topic"]) or row["topic"]


class TopicNames:
    """Topic id (as Kafka prints it) -> name, from DescribeTopics, fetched on the first unknown
    id and again (once per pass) when an id is still unknown; a deleted topic keeps its id."""

    def __init__(self, settings: ClientSettings, timeout_s: float) -> None:
        self.settings, self.timeout_s = settings, timeout_s
        self.names: dict[str, str] = {}
        self.refreshed = False

    def __call__(self, tid: str) -> str | None:
        if tid not in self.names and not self.refreshed:
            self.refreshed = True
            try:
                self.names.update(self._fetch())
            except (WorkbenchError, KafkaException) as exc:
                log.warning("topic ids of KIP-848 assignments not resolved: %s", exc)
        return self.names.get(tid)

    def _fetch(self) -> dict[str, str]:
        from workbench.collect.kafka import KafkaAdmin
        from workbench.collect.offsets_topic_848 import topic_id

        admin = KafkaAdmin(self.settings, self.timeout_s)
        futures = admin.submit_describe_topics(list(admin.metadata().topics))
        out = {}
        for name, fut in futures.items():
            uuid = fut.result(self.timeout_s).topic_id
            raw = (uuid.get_most_significant_bits() % 2**64).to_bytes(8, "big")
            raw += (uuid.get_least_significant_bits() % 2**64).to_bytes(8, "big")
            out[topic_id(raw)] = name
        return out


def _reason(exc: KafkaException) -> str:
    err = exc.args[0] if exc.args else None
    return err.str() if isinstance(err, KafkaError) else str(exc)
