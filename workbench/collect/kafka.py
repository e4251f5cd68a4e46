"""The narrow seam around confluent-kafka's AdminClient.

Only this module imports confluent_kafka for the collectors. It issues requests concurrently
(librdkafka runs every future in the background; we submit all of them, then wait), and it
translates ``KafkaException`` into the workbench's own errors with a message that says what to
do. One AdminClient is reused for the life of a collector (librdkafka#4605).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from confluent_kafka import (
    ConsumerGroupTopicPartitions,
    IsolationLevel,
    KafkaError,
    KafkaException,
    TopicCollection,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, OffsetSpec, ResourceType

from workbench.config import ClientSettings
from workbench.errors import KafkaAuthError, KafkaRequestError, KafkaUnavailableError

log = logging.getLogger(__name__)

#: librdkafka's "no offset" sentinel for a partition without a committed offset.
OFFSET_INVALID = -1001

_STATE_NAMES = {
    "STABLE": "Stable",
    "EMPTY": "Empty",
    "PREPARING_REBALANCING": "PreparingRebalance",
    "COMPLETING_REBALANCING": "CompletingRebalance",
    "DEAD": "Dead",
    "UNKNOWN": "Unknown",
}

_AUTH_CODES = {
    KafkaError._AUTHENTICATION,
    KafkaError.SASL_AUTHENTICATION_FAILED,
    KafkaError._SSL,
}


@dataclass(frozen=True)
class Member:
    """A consumer group member and the partitions assigned to it."""

    member_id: str
    client_id: str
    host: str
    partitions: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class BrokerInfo:
    """One live broker as DescribeCluster reports it."""

    broker_id: int
    host: str
    port: int
    rack: str | None


@dataclass(frozen=True)
class ClusterInfo:
    """DescribeCluster: the cluster id, the controller the cluster reports, the live brokers."""

    cluster_id: str | None
    controller_id: int | None
    brokers: tuple[BrokerInfo, ...]


@dataclass(frozen=True)
class PartitionInfo:
    """One partition of DescribeTopics; ``leader`` is None when the partition has no leader."""

    topic: str
    partition: int
    is_internal: bool
    leader: int | None
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


@dataclass(frozen=True)
class ConfigInfo:
    """One config entry. ``value`` is None for a sensitive entry (Kafka never sends those)."""

    resource_type: str
    resource_name: str
    name: str
    value: str | None
    source: str
    is_default: bool
    is_read_only: bool
    is_sensitive: bool


@dataclass(frozen=True)
class GroupDescription:
    """What DescribeGroups says about one group."""

    group: str
    state: str
    members: tuple[Member, ...]


def state_name(state: object) -> str:
    """Kafka's own spelling of a group state (``Stable``, ``Empty``, ...)."""
    name = getattr(state, "name", str(state))
    return _STATE_NAMES.get(name, name.title())


class KafkaAdmin:
    """A reusable AdminClient with bounded timeouts and translated errors."""

    def __init__(self, settings: ClientSettings, timeout_s: float = 15.0) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self._errors: list[KafkaError] = []
        conf = settings.librdkafka(
            **{
                "error_cb": self._on_error,
                "socket.connection.setup.timeout.ms": int(max(1000, timeout_s * 1000)),
                "reconnect.backoff.max.ms": 1000,
                # librdkafka's own log lines go to Python logging (DEBUG), not raw to stderr;
                # connection failures reach the user once, as our error message.
                "logger": logging.getLogger("workbench.librdkafka"),
                "log.connection.close": False,
            }
        )
        conf.setdefault("client.id", "kafka-capacity-workbench")
        try:
            self._admin = AdminClient(conf)
        except (KafkaException, ValueError, TypeError) as exc:
            raise KafkaRequestError(
                f"bad client configuration: {_reason(exc)}; check --command-config"
            ) from exc

    # -- connectivity ------------------------------------------------------------------------
    def _on_error(self, err: KafkaError) -> None:
        self._errors.append(err)
        log.debug("librdkafka: %s", err)

    def metadata(self, timeout_s: float | None = None):
        """Cluster metadata (brokers, topics, partitions), failing within ``timeout_s``.

        Raises KafkaAuthError at once when the cluster refuses our credentials, and
        KafkaUnavailableError naming the last connection error when nothing answers in time.
        """
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while True:
            self._admin.poll(0)
            self._raise_auth_error()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                return self._admin.list_topics(timeout=min(1.0, remaining))
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                if isinstance(err, KafkaError) and err.code() in _AUTH_CODES:
                    raise self._auth_error(err) from exc
        last = self._errors[-1].str() if self._errors else "no answer"
        waited = timeout_s or self.timeout_s
        raise KafkaUnavailableError(
            f"cannot reach Kafka at {self.settings.bootstrap_servers} within {waited:g}s "
            f"({last}); check --bootstrap-server, the network and the listener's security protocol"
        )

    def _raise_auth_error(self) -> None:
        for err in self._errors:
            if err.code() in _AUTH_CODES:
                raise self._auth_error(err)

    def _auth_error(self, err: KafkaError) -> KafkaAuthError:
        where = f"Kafka at {self.settings.bootstrap_servers}"
        if "SSL handshake failed" in err.str():  # librdkafka reports TLS failures as authentication
            return KafkaAuthError(
                f"TLS handshake with {where} failed ({err.str()}); check ssl.ca.location (the PEM of the "
                "CA that signed the brokers' certificates) and the client certificate in --command-config"
            )
        return KafkaAuthError(
            f"{where} refused authentication ({err.str()}); "
            "check the username, password and sasl.mechanism in --command-config"
        )

    # -- requests ----------------------------------------------------------------------------
    def list_groups(self) -> list[str]:
        """Every consumer group id (ListGroups to every broker; a partial answer is logged)."""
        result = self._wait(self._admin.list_consumer_groups(request_timeout=self.timeout_s), "list groups")
        for err in result.errors:
            log.warning("list groups: a broker did not answer (%s); the group list may be partial", err)
        return sorted({g.group_id for g in result.valid})

    def describe_groups(self, groups: Iterable[str]) -> dict[str, GroupDescription]:
        """Describe many groups at once; a group that fails to describe is logged and left out."""
        return self.resolve_descriptions(self.submit_describe(list(groups)))

    def committed_offsets(self, groups: Iterable[str]) -> dict[str, dict[tuple[str, int], int | None]]:
        """Committed offsets of many groups; ``None`` marks a partition without a commit."""
        return self.resolve_committed(self.submit_committed(list(groups)))

    def watermarks(
        self, partitions: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], tuple[int | None, int | None]]:
        """(log_start, log_end) of many partitions; ``(None, None)`` where the leader is away."""
        return self.resolve_watermarks(self.submit_watermarks(list(partitions)))

    # Each request comes as submit_* (returns futures at once) and resolve_* (waits), so a
    # snapshot can put every request in flight before it waits for any.
    def submit_describe(self, ids: list[str]) -> dict[str, Future]:
        """DescribeGroups for every id, in flight."""
        if not ids:
            return {}
        return self._admin.describe_consumer_groups(ids, request_timeout=self.timeout_s)

    def resolve_descriptions(self, futures: Mapping[str, Future]) -> dict[str, GroupDescription]:
        out: dict[str, GroupDescription] = {}
        for gid, fut in futures.items():
            try:
                desc = self._wait(fut, f"describe group {gid!r}")
            except KafkaRequestError as exc:
                log.warning("%s", exc)
                continue
            members = tuple(
                Member(
                    member_id=m.member_id,
                    client_id=m.client_id,
                    host=m.host,
                    partitions=tuple(
                        (tp.topic, tp.partition)
                        for tp in (m.assignment.topic_partitions if m.assignment else [])
                    ),
                )
                for m in desc.members
            )
            out[gid] = GroupDescription(gid, state_name(desc.state), members)
        return out

    def submit_committed(self, ids: list[str]) -> dict[str, Future]:
        """One OffsetFetch per group (the API takes one group a call), all in flight at once."""
        pending: dict[str, Future] = {}
        for gid in ids:
            futmap = self._admin.list_consumer_group_offsets(
                [ConsumerGroupTopicPartitions(gid)], request_timeout=self.timeout_s
            )
            pending[gid] = futmap[gid]
        return pending

    def resolve_committed(
        self, futures: Mapping[str, Future]
    ) -> dict[str, dict[tuple[str, int], int | None]]:
        out: dict[str, dict[tuple[str, int], int | None]] = {}
        for gid, fut in futures.items():
            try:
                res = self._wait(fut, f"committed offsets of group {gid!r}")
            except KafkaRequestError as exc:
                log.warning("%s", exc)
                continue
            out[gid] = {
                (tp.topic, tp.partition): (None if tp.offset < 0 else tp.offset)
                for tp in res.topic_partitions
                if tp.error is None
            }
        return out

    def submit_watermarks(self, partitions: list[tuple[str, int]]) -> tuple[list[TopicPartition], dict, dict]:
        """Two ListOffsets fan-outs (earliest, latest), one request per leader each, in flight."""
        tps = [TopicPartition(t, p) for t, p in partitions]
        if not tps:
            return tps, {}, {}
        earliest = self._admin.list_offsets(
            {tp: OffsetSpec.earliest() for tp in tps}, request_timeout=self.timeout_s
        )
        latest = self._admin.list_offsets(
            {tp: OffsetSpec.latest() for tp in tps}, request_timeout=self.timeout_s
        )
        return tps, earliest, latest

    def resolve_watermarks(
        self, submitted: tuple[list[TopicPartition], dict, dict]
    ) -> dict[tuple[str, int], tuple[int | None, int | None]]:
        tps, earliest, latest = submitted
        out: dict[tuple[str, int], tuple[int | None, int | None]] = {}
        failed = 0
        for tp in tps:
            start = self._offset_or_none(earliest, tp)
            end = self._offset_or_none(latest, tp)
            failed += start is None or end is None
            out[(tp.topic, tp.partition)] = (start, end)
        if failed:
            log.warning(
                "watermarks: %d of %d partitions did not answer (leader unavailable?)", failed, len(tps)
            )
        return out

    def submit_stable_offsets(self, partitions: list[tuple[str, int]]) -> tuple[list[TopicPartition], dict]:
        """ListOffsets(latest) with read_committed isolation: the last stable offset, in flight."""
        tps = [TopicPartition(t, p) for t, p in partitions]
        if not tps:
            return tps, {}
        spec = {tp: OffsetSpec.latest() for tp in tps}
        return tps, self._admin.list_offsets(
            spec, isolation_level=IsolationLevel.READ_COMMITTED, request_timeout=self.timeout_s
        )

    def resolve_stable_offsets(
        self, submitted: tuple[list[TopicPartition], dict]
    ) -> dict[tuple[str, int], int | None]:
        tps, futmap = submitted
        return {(tp.topic, tp.partition): self._offset_or_none(futmap, tp) for tp in tps}

    def _offset_or_none(self, futmap: Mapping[TopicPartition, Future], tp: TopicPartition) -> int | None:
        try:
            value = futmap[tp].result(timeout=self.timeout_s + 5).offset
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            if isinstance(err, KafkaError) and err.code() in (KafkaError._TIMED_OUT, KafkaError._TRANSPORT):
                raise self._unavailable(exc, "list offsets") from exc
            return None
        except TimeoutError as exc:
            raise self._unavailable(exc, "list offsets") from exc
        return value if value >= 0 else None

    # -- cluster, topics and configs (config health) ------------------------------------------
    def submit_describe_cluster(self) -> Future:
        """DescribeCluster, in flight."""
        return self._admin.describe_cluster(request_timeout=self.timeout_s)

    def resolve_cluster(self, fut: Future) -> ClusterInfo:
        """The cluster id, controller and live brokers."""
        res = self._wait(fut, "describe cluster")
        brokers = tuple(
            sorted((BrokerInfo(n.id, n.host, n.port, n.rack) for n in res.nodes), key=lambda b: b.broker_id)
        )
        controller = res.controller.id if res.controller is not None else None
        return ClusterInfo(res.cluster_id, controller, brokers)

    def submit_describe_topics(self, topics: list[str]) -> dict[str, Future]:
        """DescribeTopics for every name, in flight (one Metadata request)."""
        if not topics:
            return {}
        return self._admin.describe_topics(TopicCollection(topics), request_timeout=self.timeout_s)

    def resolve_topics(self, futures: Mapping[str, Future]) -> list[PartitionInfo]:
        """Every partition of the described topics; a topic that fails to describe is logged."""
        out: list[PartitionInfo] = []
        for name, fut in futures.items():
            try:
                desc = self._wait(fut, f"describe topic {name!r}")
            except KafkaRequestError as exc:
                log.warning("%s", exc)
                continue
            for p in desc.partitions:
                leader = p.leader.id if p.leader is not None else None
                out.append(
                    PartitionInfo(
                        desc.name,
                        p.id,
                        bool(desc.is_internal),
                        leader,
                        tuple(n.id for n in p.replicas),
                        tuple(n.id for n in p.isr),
                    )
                )
        return out

    def submit_describe_configs(
        self, brokers: Iterable[int], topics: Iterable[str]
    ) -> dict[ConfigResource, Future[Any]]:
        """DescribeConfigs: one request per broker (each goes to that broker), one for all topics."""
        futures: dict[ConfigResource, Future[Any]] = {}
        for broker in brokers:
            res = ConfigResource(ResourceType.BROKER, str(broker))
            futures.update(self._admin.describe_configs([res], request_timeout=self.timeout_s))
        topic_res = [ConfigResource(ResourceType.TOPIC, t) for t in topics]
        if topic_res:
            futures.update(self._admin.describe_configs(topic_res, request_timeout=self.timeout_s))
        return futures

    def resolve_configs(self, futures: Mapping[ConfigResource, Future[Any]]) -> list[ConfigInfo]:
        """Every entry of every described resource. Sensitive values stay None."""
        out: list[ConfigInfo] = []
        for resource, fut in futures.items():
            kind = "broker" if resource.restype == ResourceType.BROKER else "topic"
            name = resource.name
            try:
                entries = self._wait(fut, f"describe configs of {kind} {name!r}")
            except KafkaRequestError as exc:
                log.warning("%s", exc)
                continue
            out.extend(_config_info(kind, name, e) for e in entries.values())
        return out

    # -- plumbing ----------------------------------------------------------------------------
    def _wait(self, fut: Future, what: str):
        try:
            return fut.result(timeout=self.timeout_s + 5)
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            if isinstance(err, KafkaError) and err.code() in _AUTH_CODES:
                raise self._auth_error(err) from exc
            if isinstance(err, KafkaError) and err.code() in (KafkaError._TIMED_OUT, KafkaError._TRANSPORT):
                raise self._unavailable(exc, what) from exc
            raise KafkaRequestError(f"{what} failed: {_reason(exc)}") from exc
        except TimeoutError as exc:
            raise self._unavailable(exc, what) from exc

    def _unavailable(self, exc: BaseException, what: str) -> KafkaUnavailableError:
        return KafkaUnavailableError(
            f"{what}: Kafka at {self.settings.bootstrap_servers} did not answer within {self.timeout_s:g}s "
            f"({_reason(exc)}); check that the brokers are up"
        )


def _reason(exc: BaseException) -> str:
    err = exc.args[0] if exc.args else None
    if isinstance(err, KafkaError):
        return err.str()
    return str(exc) or type(exc).__name__


def _config_info(kind: str, resource: str, entry) -> ConfigInfo:
    """A ConfigEntry as plain data; the value is dropped when Kafka flags it sensitive."""
    try:
        source = ConfigSource(entry.source).name
    except ValueError:
        source = str(entry.source)
    sensitive = bool(entry.is_sensitive)
    return ConfigInfo(
        resource_type=kind,
        resource_name=resource,
        name=entry.name,
        value=None if sensitive else entry.value,
        source=source,
        is_default=bool(entry.is_default),
        is_read_only=bool(entry.is_read_only),
        is_sensitive=sensitive,
    )
