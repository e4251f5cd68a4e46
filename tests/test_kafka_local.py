"""Tests of scripts/kafka-local against real local Kafka clusters."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient
from kafka_local import (
    CONSUMER_GROUP_COMMAND,
    SCRIPT,
    TOPIC_COMMAND,
    KafkaLocal,
    partition_isrs,
    require_prerequisites,
    wait_until,
)

DEADLINE = 60.0


def produce(config: dict, topic: str, n: int) -> list[tuple[bytes, bytes]]:
    sent = [(f"k{i}".encode(), f"value-{i}".encode()) for i in range(n)]
    errors: list = []
    producer = Producer({**config, "acks": "all", "linger.ms": 5})
    for key, value in sent:
        producer.produce(
            topic, value=value, key=key, on_delivery=lambda err, _msg: err and errors.append(err)
        )
    assert producer.flush(DEADLINE) == 0, "messages still in the producer queue"
    assert not errors
    return sent


def consume(config: dict, topic: str, n: int, group: str) -> list[tuple[bytes, bytes]]:
    consumer = Consumer(
        {**config, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False}
    )
    got: list[tuple[bytes, bytes]] = []
    try:
        consumer.subscribe([topic])

        def all_received():
            msg = consumer.poll(0.5)
            if msg is not None:
                assert msg.error() is None or msg.error().code() == KafkaError._PARTITION_EOF, msg.error()
                if msg.error() is None:
                    got.append((msg.key(), msg.value()))
            return len(got) >= n

        wait_until(all_received, timeout=DEADLINE, interval=0, message=f"{n} messages from {topic}")
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return got


def test_script_stop_is_idempotent_on_an_empty_dir(tmp_path):
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, str(SCRIPT), "stop", "--dir", str(tmp_path / "nothing")],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 0, proc.stderr


def test_produce_consume_and_tools(kafka, topic_factory):
    topic = topic_factory(partitions=3)
    group = f"g-{uuid.uuid4().hex[:8]}"
    sent = produce(kafka.client_config(), topic, 10)
    got = consume(kafka.client_config(), topic, 10, group)
    assert sorted(got) == sorted(sent)

    listed = kafka.run_tool(TOPIC_COMMAND, "--bootstrap-server", kafka.bootstrap, "--list")
    assert listed.returncode == 0, listed.stderr
    assert topic in listed.stdout.split()

    described = kafka.run_tool(
        CONSUMER_GROUP_COMMAND, "--bootstrap-server", kafka.bootstrap, "--describe", "--group", group
    )
    assert described.returncode == 0, described.stderr
    rows = [line.split() for line in described.stdout.splitlines() if line.startswith(group)]
    # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
    assert {(r[1], int(r[2])) for r in rows} == {(topic, p) for p in range(3)}
    assert sum(int(r[3]) for r in rows) == 10
    assert all(r[5] == "0" for r in rows), described.stdout


def test_tool_reports_failure(kafka):
    proc = kafka.run_tool(TOPIC_COMMAND, "--bootstrap-server", kafka.bootstrap, "--no-such-option")
    assert proc.returncode != 0
    assert "no-such-option" in proc.stdout + proc.stderr


def test_bootstrap_file_matches(kafka):
    assert (kafka.dir / "bootstrap").read_text().strip() == kafka.bootstrap
    assert re.fullmatch(r"127\.0\.0\.1:\d+", kafka.bootstrap)
    assert kafka.status().returncode == 0


@pytest.mark.kafka3
@pytest.mark.slow
def test_three_brokers_isr_shrinks_and_recovers(kafka3, topic_factory):
    assert len(kafka3.bootstrap.split(",")) == 3
    topic = topic_factory(partitions=3, replication_factor=3, cluster=kafka3)
    admin = kafka3.admin()
    assert all(isr == [1, 2, 3] for isr in partition_isrs(admin, topic).values())
    produce(kafka3.client_config(), topic, 20)

    kafka3.stop_broker(2)
    try:
        wait_until(
            lambda: all(v == [1, 3] for v in partition_isrs(admin, topic).values()),
            timeout=DEADLINE,
            message="broker 2 to leave every ISR",
        )
        urp = kafka3.run_tool(
            TOPIC_COMMAND,
            "--bootstrap-server",
            kafka3.bootstrap,
            "--describe",
            "--under-replicated-partitions",
            "--topic",
            topic,
        )
        assert urp.returncode == 0, urp.stderr
        assert len([ln for ln in urp.stdout.splitlines() if "Partition:" in ln]) == 3, urp.stdout
        # Still writable and readable with 2 of 3 replicas.
        produce(kafka3.client_config(), topic, 5)
    finally:
        kafka3.start_broker(2)

    wait_until(
        lambda: all(v == [1, 2, 3] for v in partition_isrs(admin, topic).values()),
        timeout=DEADLINE,
        message="broker 2 to rejoin every ISR",
    )
    got = consume(kafka3.client_config(), topic, 25, f"g-{uuid.uuid4().hex[:8]}")
    assert len(got) == 25


@pytest.mark.slow
def test_sasl_plain_and_scram(tmp_path):
    require_prerequisites()
    cluster = KafkaLocal(tmp_path / "sasl")
    try:
        cluster.start(brokers=1, sasl=True)
        assert (cluster.dir / "bootstrap-sasl").read_text().strip() == cluster.bootstrap_sasl
        for mechanism in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"):
            md = AdminClient(cluster.sasl_config(mechanism)).list_topics(timeout=DEADLINE)
            assert list(md.brokers) == [1], mechanism

        errors: list[KafkaError] = []
        bad = AdminClient(
            {**cluster.sasl_config("SCRAM-SHA-256"), "sasl.password": "wrong", "error_cb": errors.append}
        )

        def auth_failed():
            bad.poll(0.2)
            return any(e.code() == KafkaError._AUTHENTICATION for e in errors)

        with pytest.raises(Exception):  # noqa: B017 - any failure will do, the error_cb tells which
            bad.list_topics(timeout=2)
        wait_until(auth_failed, timeout=DEADLINE, interval=0, message="an authentication error")
    finally:
        cluster.stop()
