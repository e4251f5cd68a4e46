"""The benchmark's seam to confluent-kafka: producer and consumer construction, topic metadata.

Like :mod:`workbench.collect.kafka` for the admin side, this is the only benchmark module that
imports ``confluent_kafka`` at module level; it translates ``KafkaException`` (and librdkafka's
``ValueError``/``TypeError`` for bad properties) into the workbench's errors.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import confluent_kafka
from confluent_kafka import OFFSET_END, Consumer, KafkaException, Producer, TopicPartition

from workbench.config import ClientSettings
from workbench.errors import ConfigError, KafkaUnavailableError, NotFoundError

#: Where librdkafka's own log lines go (quiet unless -vv, as for the collectors).
LIBRDKAFKA_LOG = logging.getLogger("workbench.librdkafka")


@dataclass(frozen=True)
class TopicInfo:
    """What the benchmark records about its topic and cluster."""

    partitions: int
    replication: int
    brokers: int


def librdkafka_version() -> str:
    """The librdkafka version string (``2.16.1``) and the Python client's."""
    return f"{confluent_kafka.libversion()[0]} (confluent-kafka {confluent_kafka.__version__})"


def make_producer(
    settings: ClientSettings, props: Mapping[str, str], on_delivery: Callable[..., None]
) -> Producer:
    """A producer with ``props`` over the settings and ``on_delivery`` as its delivery callback."""
    conf = settings.librdkafka(**dict(props))
    conf.setdefault("client.id", "workbench-bench-producer")
    conf.update({"on_delivery": on_delivery, "logger": LIBRDKAFKA_LOG})
    try:
        return Producer(conf)
    except (KafkaException, ValueError, TypeError) as exc:
        raise ConfigError(f"bad producer property: {exc}; check --producer-props and --sweep") from exc


def make_consumer(settings: ClientSettings, props: Mapping[str, str] | None = None) -> Consumer:
    """A consumer in a fresh group that never commits (it is assigned partitions explicitly)."""
    conf = settings.librdkafka(
        **{
            "group.id": f"workbench-bench-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 10,
            "logger": LIBRDKAFKA_LOG,
            **dict(props or {}),
        }
    )
    try:
        return Consumer(conf)
    except (KafkaException, ValueError, TypeError) as exc:
        raise ConfigError(f"bad consumer property: {exc}; check --consumer-props") from exc


def topic_info(client: Producer | Consumer, topic: str, timeout_s: float, servers: str) -> TopicInfo:
    """Partitions, replication factor and broker count; waits for an auto-created topic until
    every partition has a leader (the client then knows where to send: the clock starts after).

    Raises :class:`KafkaUnavailableError` when the cluster does not answer and
    :class:`NotFoundError` when the topic does not exist within ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            md = client.list_topics(topic, timeout=min(2.0, max(0.1, deadline - time.monotonic())))
        except KafkaException as exc:
            last = str(exc.args[0] if exc.args else exc)
            continue
        meta = md.topics.get(topic)
        if meta is not None and meta.error is None and meta.partitions and _led(meta):
            first = meta.partitions[min(meta.partitions)]
            return TopicInfo(len(meta.partitions), len(first.replicas), len(md.brokers))
        last = str(meta.error) if meta is not None and meta.error else "no partitions"
        if meta is not None and meta.partitions and not meta.error:
            last = "partitions without a leader"
        time.sleep(0.2)
    if "UNKNOWN_TOPIC" in last or "no partitions" in last:
        raise NotFoundError(f"topic {topic!r} does not exist ({last}): create it with kafka-topics --create")
    raise KafkaUnavailableError(
        f"cannot reach Kafka at {servers} within {timeout_s:g}s ({last}); check --bootstrap-server"
    )


def _led(meta: object) -> bool:
    return all(p.leader >= 0 and p.error is None for p in meta.partitions.values())  # type: ignore[attr-defined]


def assign_from(consumer: Consumer, topic: str, partitions: int, start: str, timeout_s: float) -> None:
    """Assign every partition of ``topic`` at its current end (``start="end"``) or beginning.

    For ``end`` the high watermarks are read first, so records produced after this call are
    all consumed even before the consumer's first fetch.
    """
    tps = []
    for p in range(partitions):
        if start == "end":
            try:
                _low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s)
            except KafkaException as exc:
                raise KafkaUnavailableError(f"cannot read the end offsets of {topic!r}: {exc}") from exc
            tps.append(TopicPartition(topic, p, high if high >= 0 else OFFSET_END))
        else:
            tps.append(TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING))
    consumer.assign(tps)
