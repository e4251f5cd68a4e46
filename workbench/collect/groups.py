"""Every consumer group's state, members and committed offsets in a few batched requests.

confluent-kafka takes one group per ``list_consumer_group_offsets`` call and sends one
FindCoordinator plus one or two describe requests per group (CKP #1947, LRK FIXME), and its
coordinator error path can abort the process (librdkafka#5397). kafka-python 3.x speaks the
batched forms: FindCoordinator v4 (KIP-699) and OffsetFetch v8 (KIP-709) carry many groups
per request, DescribeGroups has always taken a list. This module sends them itself, a bounded
window in flight, and turns each decoded response into columns at once (no per-row objects
kept). Rationale and measurements: docs/collector.md.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from workbench.collect.logdirs import kafka_python_config, no_kafka_deprecations, quiet_kafka_python
from workbench.config import ClientSettings
from workbench.errors import KafkaAuthError, KafkaRequestError, KafkaUnavailableError

if TYPE_CHECKING:
    from workbench.collect.offsets import GroupFilter

log = logging.getLogger(__name__)

#: Groups per DescribeGroups / OffsetFetch request, and requests in flight per broker.
CHUNK = 500
WINDOW = 8
#: Only these protocol types are consumer groups (offset-only groups have ``""``), as librdkafka.
_CONSUMER_PROTOCOLS = {"", "consumer"}
#: Group states without members: nothing to describe.
_MEMBERLESS = {"Empty", "Dead"}

COMMITTED = {"group": pl.String, "topic": pl.String, "partition": pl.Int32, "committed_offset": pl.Int64}
ASSIGNED = {
    "group": pl.String,
    "topic": pl.String,
    "partition": pl.Int32,
    "member_id": pl.String,
    "client_id": pl.String,
    "host": pl.String,
}
STATES = {"group": pl.String, "group_state": pl.String}


@dataclass
class GroupColumns:
    """Column lists filled response by response; ``failed`` maps group -> reason."""

    committed: dict[str, list] = field(default_factory=lambda: {k: [] for k in COMMITTED})
    assigned: dict[str, list] = field(default_factory=lambda: {k: [] for k in ASSIGNED})
    states: dict[str, list] = field(default_factory=lambda: {k: [] for k in STATES})
    failed: dict[str, str] = field(default_factory=dict)
    described: dict[str, str] = field(default_factory=dict)

    def pop_frames(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """(committed, assigned, states) as typed frames; the column lists are emptied, so their
        memory (about 60 MB at 1 M rows) is free before the frames are joined."""
        frames = (
            pl.DataFrame(self.committed, schema=COMMITTED),
            pl.DataFrame(self.assigned, schema=ASSIGNED),
            pl.DataFrame(self.states, schema=STATES).update(
                pl.DataFrame(
                    {"group": list(self.described), "group_state": list(self.described.values())},
                    schema=STATES,
                ),
                on="group",
            ),
        )
        for columns in (self.committed, self.assigned, self.states):
            for values in columns.values():
                values.clear()
        return frames


class GroupsClient:
    """A kafka-python connection manager kept for the life of a collector (created on first use)."""

    def __init__(self, settings: ClientSettings, timeout_s: float = 15.0) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self._admin: Any = None

    def _client(self) -> Any:
        if self._admin is None:
            with no_kafka_deprecations():  # load every protocol module used below, once
                import kafka.protocol.admin
                import kafka.protocol.consumer
                import kafka.protocol.consumer.metadata
                import kafka.protocol.metadata  # noqa: F401
                from kafka.admin import KafkaAdminClient
                from kafka.errors import KafkaError as KPError

            quiet_kafka_python()
            conf = kafka_python_config(self.settings, self.timeout_s)
            conf["max_in_flight_requests_per_connection"] = WINDOW * 2
            try:
                self._admin = KafkaAdminClient(**conf)
            except KPError as exc:
                raise _translate(exc, self.settings.bootstrap_servers, "connect") from exc
        return self._admin

    def close(self) -> None:
        """Close the connections (safe to call twice)."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None

    def fetch(self, keep: GroupFilter) -> tuple[list[str], GroupColumns]:
        """Group ids kept by ``keep`` and their columns. A group whose coordinator does not
        answer lands in ``failed``; a broker whose group list fails raises."""
        admin = self._client()
        from kafka.errors import KafkaError as KPError

        try:
            return admin._manager.run(_fetch_all, admin, keep, self.timeout_s)
        except KPError as exc:
            self.close()  # a fresh manager next time: no stale coordinator or connection state
            raise _translate(exc, self.settings.bootstrap_servers, "consumer groups") from exc


async def _fetch_all(admin: Any, keep: GroupFilter, timeout_s: float):
    every = await _list_groups(admin, timeout_s)
    ids = sorted(keep.select(list(every)))
    listed = {g: every[g] for g in ids}
    cols = GroupColumns()
    cols.states["group"].extend(ids)
    cols.states["group_state"].extend(listed[g] or None for g in ids)
    by_coordinator = await _coordinators(admin, ids, cols, timeout_s)
    chunks = [(node, c) for node, groups in by_coordinator.items() for c in _chunks(groups, CHUNK)]
    # Only a group with members has assignments to describe; ListGroups v4+ already gave the state.
    busy = [
        (node, c)
        for node, groups in by_coordinator.items()
        for c in _chunks([g for g in groups if listed[g] not in _MEMBERLESS], CHUNK)
    ]
    await _windowed(admin, busy, _describe_request, lambda r, _: _describe_columns(r, cols), timeout_s, cols)
    await _windowed(
        admin, chunks, _offsets_request, lambda r, c: _offset_columns(r, c, cols), timeout_s, cols
    )
    return ids, cols


async def _list_groups(admin: Any, timeout_s: float) -> dict[str, str]:
    """ListGroups on every broker at once: group id -> state ("" before Kafka 2.6)."""
    from kafka.protocol.admin import ListGroupsRequest

    nodes = [b.node_id for b in admin._manager.cluster.brokers()]
    futures = [(n, admin._manager.send(ListGroupsRequest(), node_id=n)) for n in nodes]
    found: dict[str, str] = {}
    for node, fut in futures:
        resp = await admin._manager.wait_for(fut, int(timeout_s * 1000))
        _raise_for(resp.error_code, f"list groups on broker {node}")
        for g in resp.groups:
            if g.protocol_type in _CONSUMER_PROTOCOLS:
                found[g.group_id] = getattr(g, "group_state", "") or ""
    return found


async def _coordinators(
    admin: Any, ids: list[str], cols: GroupColumns, timeout_s: float
) -> dict[int, list[str]]:
    """FindCoordinator v4 for many groups per request (KIP-699); the answer is not cached."""
    from kafka.errors import for_code
    from kafka.protocol.metadata import FindCoordinatorRequest

    out: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(ids, 10 * CHUNK):
        req = FindCoordinatorRequest(key_type=0, coordinator_keys=chunk, min_version=4)
        resp = await admin._manager.wait_for(admin._manager.send(req), int(timeout_s * 1000))
        for c in resp.coordinators:
            if c.error_code:
                cols.failed[c.key] = for_code(c.error_code).__name__
                continue
            out[c.node_id].append(c.key)
    return out


async def _windowed(admin, chunks, make_request, consume, timeout_s: float, cols: GroupColumns) -> None:
    """Send one request per (coordinator, chunk), ``WINDOW`` in flight, consuming answers in
    order; a chunk whose coordinator fails marks its groups failed."""
    pending: list[tuple[list[str], Any]] = []

    async def drain(limit: int) -> None:
        while len(pending) > limit:
            chunk, fut = pending.pop(0)
            try:
                consume(await admin._manager.wait_for(fut, int(timeout_s * 1000)), chunk)
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"[:200]
                cols.failed.update(dict.fromkeys(chunk, reason))

    for node, chunk in chunks:
        pending.append((chunk, admin._manager.send(make_request(chunk), node_id=node)))
        await drain(WINDOW - 1)
    await drain(0)


def _describe_request(chunk: list[str]):
    from kafka.protocol.admin import DescribeGroupsRequest

    return DescribeGroupsRequest(groups=chunk, include_authorized_operations=False)


def _offsets_request(chunk: list[str]):
    from kafka.protocol.consumer import OffsetFetchRequest

    group = OffsetFetchRequest.OffsetFetchRequestGroup
    return OffsetFetchRequest(
        groups=[group(group_id=g, topics=None) for g in chunk],
        require_stable=False,
        min_version=8,
        max_version=8,
    )


def _describe_columns(resp: Any, cols: GroupColumns) -> None:
    from kafka.errors import for_code
    from kafka.protocol.consumer.metadata import ConsumerProtocolAssignment

    asg = cols.assigned
    for g in resp.groups:
        if g.error_code:
            cols.failed[g.group_id] = for_code(g.error_code).__name__
            continue
        cols.described[g.group_id] = g.group_state
        for m in g.members:
            if not m.member_assignment:
                continue
            try:
                parts = ConsumerProtocolAssignment.decode(m.member_assignment).assigned_partitions
            except Exception:
                continue
            for topic, partitions in parts:
                n = len(partitions)
                asg["group"].extend([g.group_id] * n)
                asg["topic"].extend([topic] * n)
                asg["partition"].extend(partitions)
                asg["member_id"].extend([m.member_id] * n)
                asg["client_id"].extend([m.client_id] * n)
                asg["host"].extend([m.client_host] * n)


def _offset_columns(resp: Any, chunk: list[str], cols: GroupColumns) -> None:
    from kafka.errors import for_code

    if resp.error_code:
        cols.failed.update(dict.fromkeys(chunk, for_code(resp.error_code).__name__))
        return
    c = cols.committed
    for g in resp.groups:
        if g.error_code:
            cols.failed[g.group_id] = for_code(g.error_code).__name__
            continue
        for t in g.topics:
            ok = [p for p in t.partitions if not p.error_code]
            c["group"].extend([g.group_id] * len(ok))
            c["topic"].extend([t.name] * len(ok))
            c["partition"].extend([p.partition_index for p in ok])
            c["committed_offset"].extend(
                [p.committed_offset if p.committed_offset >= 0 else None for p in ok]
            )


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _raise_for(code: int, what: str) -> None:
    if code:
        from kafka.errors import for_code

        raise for_code(code)(what)


def _translate(exc: Exception, where: str, what: str) -> Exception:
    from kafka import errors as e

    name = type(exc).__name__
    if isinstance(exc, e.SaslAuthenticationFailedError):
        return KafkaAuthError(
            f"Kafka at {where} refused authentication ({name}: {exc}); "
            "check the username, password and sasl.mechanism in --command-config"
        )
    if isinstance(
        exc, e.KafkaTimeoutError | e.KafkaConnectionError | e.BrokerNotAvailableError | e.NodeNotReadyError
    ):
        return KafkaUnavailableError(
            f"{what}: Kafka at {where} did not answer ({name}); check that the brokers are up"
        )
    return KafkaRequestError(f"{what} failed: {name}: {exc}")
