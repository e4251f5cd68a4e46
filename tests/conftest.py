"""Shared pytest fixtures.

Kafka: a real local KRaft cluster run by scripts/kafka-local (see tests/kafka_local.py).
  kafka          session-scoped, 1 broker in the session's pytest tmp dir
  kafka3         session-scoped, 3 brokers, only when a selected test requests it
                 (both, and kafka_sasl, jmx_kafka, kafka391, start as soon as collection ends, side
                 by side in threads, and stop side by side at the end: tests/session_clusters.py)
  topic_factory  function-scoped: topic_factory(partitions=1, replication_factor=1, cluster=None, ...)
                 creates a uniquely named, ready topic (on `kafka` unless cluster= is given) and
                 deletes it after the test
Tests that use `kafka`/`kafka3` get the `kafka`/`kafka3` marker automatically (`-m "not kafka"`).
If java or mvn is missing these fixtures ERROR (they never skip: CI must not pass without Kafka).
KAFKA_VERSION=3.9.1 in the environment runs the whole suite against Kafka 3.9.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka_local import KafkaLocal, create_topic, delete_topics, unique_topic_name, wait_for_stops
from parts_fixtures import (  # noqa: F401  (fixtures: real servers, docs/parts.md)
    PART_FIXTURES,
    alertmanager,
    burrow,
    jmx_kafka,
    kafka391,
    klag_exporter,
    node_exporter,
    prometheus,
    s3_server,
    smtp_server,
    spark_standalone,
    zookeeper,
)
from session_clusters import session_cluster, start_early, stop_unused

import workbench

workbench.skip_slow_imports()  # before any test module loads nbformat or altair (jsonschema)


SERVER_MARKERS = ("kafka", "fleet", "parts")  # tests that share a session's brokers, S3 or Spark


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--tests",
        choices=("all", "local", "servers"),
        default="all",
        help="local: only tests with none of the markers kafka, fleet, parts (safe under xdist -n); "
        "servers: only those (one session shares the brokers and Spark); scripts/test runs both",
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "kafka" in names or "kafka3" in names:  # `-m "not kafka"` leaves out every broker test
            item.add_marker(pytest.mark.kafka)
        if "kafka3" in names:
            item.add_marker(pytest.mark.kafka3)
        if PART_FIXTURES.intersection(names):
            item.add_marker(pytest.mark.parts)
        if "s3_server" in names or "spark_standalone" in names:  # `-m "not fleet"` leaves them out
            item.add_marker(pytest.mark.fleet)
    group = config.getoption("--tests")
    if group != "all":
        wanted = group == "servers"
        keep, drop = [], []
        for item in items:
            on_servers = any(item.get_closest_marker(m) for m in SERVER_MARKERS)
            (keep if on_servers == wanted else drop).append(item)
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    start_early(session.config, session.items)


@pytest.hookimpl(tryfirst=True)  # before anything removes the clusters' temp dirs
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The session's clusters, stopping side by side since their fixtures' teardown: wait for them.
    A failed stop fails the session, as it failed its fixture's teardown before."""
    stop_unused()
    failures = wait_for_stops()
    if failures:
        sys.stderr.write("\n".join(failures) + "\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaLocal]:
    """One local Kafka broker for the whole session (started early: tests/session_clusters.py)."""
    yield from session_cluster(tmp_path_factory, "kafka")


@pytest.fixture(scope="session")
def kafka3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaLocal]:
    """A 3-broker local Kafka cluster (all nodes broker+controller), started only if a test asks for it.

    Tests that stop a broker must start it again (kafka3.start_broker(id)) before they finish."""
    yield from session_cluster(tmp_path_factory, "kafka3")


@pytest.fixture
def topic_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., str]]:
    """make(partitions=1, replication_factor=1, *, cluster=None, config=None, prefix=None) -> topic name."""
    created: list[tuple[KafkaLocal, str]] = []

    def make(
        partitions: int = 1,
        replication_factor: int = 1,
        *,
        cluster: KafkaLocal | None = None,
        config: dict[str, str] | None = None,
        prefix: str | None = None,
    ) -> str:
        target = cluster if cluster is not None else request.getfixturevalue("kafka")
        name = unique_topic_name(prefix or request.node.name)
        create_topic(target.admin(), name, partitions, replication_factor, config)
        created.append((target, name))
        return name

    yield make
    for target in {id(c): c for c, _ in created}.values():
        delete_topics(target.admin(), [n for c, n in created if c is target])


# ---- Other fixtures (owner) below this line. ----


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped sample (``data/sample``, read only), or the same simulation in a temp dir.

    test_simulate checks that a fresh simulation equals the shipped one, so reading it is the same."""
    shipped = Path(__file__).resolve().parents[1] / "data" / "sample"
    if (shipped / "offsets").is_dir():
        return shipped
    from workbench.simulate import simulate

    target = tmp_path_factory.mktemp("sample")
    simulate(target, cluster="sample", scale="sample", days=7, interval="5m")
    return target


# ---- SASL (issue 7: secured clusters) ----
@pytest.fixture(scope="session")
def kafka_sasl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaLocal]:
    """One local broker with SASL_PLAINTEXT and SSL listeners besides PLAINTEXT (started early).

    `kafka_sasl.bootstrap_sasl` is the SASL listener; users admin/admin-secret and alice/alice-secret
    for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 (`kafka_local.SASL_USERS`). `kafka_sasl.admin()` talks
    PLAINTEXT (for setup). `kafka_sasl.bootstrap_ssl` is the SSL listener, its self-signed certificate's
    PEM is `kafka_sasl.ssl_ca`. Mark tests using it with `pytest.mark.kafka`."""
    yield from session_cluster(tmp_path_factory, "kafka_sasl")
