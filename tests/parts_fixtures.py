"""Session-scoped pytest fixtures for the real servers (imported by tests/conftest.py; docs/parts.md).

Each starts on first use in the session's tmp dir, on free 127.0.0.1 ports, and stops at session end.
Tests using them get the `parts` marker automatically; mark them `slow` too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kafka_local import KafkaLocal
from parts import (
    Alertmanager,
    NodeExporter,
    Prometheus,
    SmtpServer,
    start_alertmanager,
    start_node_exporter,
    start_prometheus,
    start_smtp,
)
from parts_data import S3Server, SparkStandalone, start_s3, start_spark
from parts_kafka import Burrow, KlagExporter, ZooKeeper, start_burrow, start_klag_exporter, start_zookeeper
from session_clusters import session_cluster

PART_FIXTURES = frozenset(
    {"prometheus", "node_exporter", "alertmanager", "smtp_server", "s3_server", "spark_standalone",
     "jmx_kafka", "klag_exporter", "kafka391", "zookeeper", "burrow"}
)  # fmt: skip


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    """Prometheus 2.42 with no jobs; `prometheus.scrape(job, ["127.0.0.1:PORT"])` waits until they are up."""
    server = start_prometheus(tmp_path_factory.mktemp("prometheus"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def node_exporter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeExporter]:
    """node_exporter (filesystem and netdev collectors) at `node_exporter.target` (127.0.0.1:PORT)."""
    server = start_node_exporter(tmp_path_factory.mktemp("node-exporter"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """aiosmtpd on 127.0.0.1:`smtp_server.port`; mails in `.messages`, `.wait_for(match)`."""
    server = start_smtp()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory: pytest.TempPathFactory, smtp_server: SmtpServer) -> Iterator[Alertmanager]:
    """Alertmanager 0.25 whose one receiver mails every alert group to `smtp_server`."""
    server = start_alertmanager(tmp_path_factory.mktemp("alertmanager"), smtp_server)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """SeaweedFS S3 with one bucket: `.endpoint`, `.bucket`, `.uri(path)`, `.storage_options`."""
    server = start_s3(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def spark_standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkStandalone]:
    """Spark master + 1 worker (1 core) from pyspark: `.master_url` (spark://127.0.0.1:PORT), `.ui_url`."""
    cluster = start_spark(tmp_path_factory.mktemp("spark"))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def jmx_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaLocal]:
    """A broker running the JMX exporter agent: metrics at http://`jmx_kafka.jmx_exporter`/metrics."""
    yield from session_cluster(tmp_path_factory, "jmx_kafka")


@pytest.fixture(scope="session")
def kafka391(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaLocal]:
    """A Kafka 3.9.1 broker (the version Burrow 1.2.1 can read)."""
    yield from session_cluster(tmp_path_factory, "kafka391")


@pytest.fixture(scope="session")
def klag_exporter(tmp_path_factory: pytest.TempPathFactory, kafka: KafkaLocal) -> Iterator[KlagExporter]:
    """klag-exporter 0.1.29 polling the session's `kafka` every second (cluster label "local")."""
    server = start_klag_exporter(tmp_path_factory.mktemp("klag-exporter"), kafka.bootstrap)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeper]:
    """ZooKeeper 3.8.4 from the Kafka 3.9.1 jars: `.connect` is 127.0.0.1:PORT."""
    server = start_zookeeper(tmp_path_factory.mktemp("zookeeper"))
    yield server
    server.stop()


def ensure_offsets_topic(cluster: KafkaLocal) -> None:
    """Commit once, so `__consumer_offsets` exists (Burrow's first start fails without it)."""
    from confluent_kafka import Consumer, TopicPartition
    from kafka_local import create_topic, unique_topic_name, wait_until

    topic = create_topic(cluster.admin(), unique_topic_name("burrow-warmup"))
    consumer = Consumer(cluster.client_config(**{"group.id": f"{topic}-group"}))
    try:  # NOT_COORDINATOR until __consumer_offsets has a leader
        commit = [TopicPartition(topic, 0, 0)]
        wait_until(lambda: consumer.commit(offsets=commit, asynchronous=False), timeout=60, message="commit")
    finally:
        consumer.close()


@pytest.fixture(scope="session")
def burrow(
    tmp_path_factory: pytest.TempPathFactory, kafka391: KafkaLocal, zookeeper: ZooKeeper
) -> Iterator[Burrow]:
    """Burrow 1.2.1 on `kafka391` (cluster "local", BURROW_DEFAULTS); `.consumers()`, `.lag(group)`."""
    ensure_offsets_topic(kafka391)
    server = start_burrow(tmp_path_factory.mktemp("burrow"), kafka391.bootstrap, zookeeper.connect)
    yield server
    server.stop()
