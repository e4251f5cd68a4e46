"""__consumer_offsets refused by an ACL: ``collect commits`` fails in one line and stores
nothing; the lag report then estimates commits from the snapshots and says so."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)
from kafka_local import KafkaLocal, create_topic, unique_topic_name, wait_until

from workbench.analyze import burrow, lag
from workbench.collect.commits import read_pass
from workbench.config import ClientSettings
from workbench.errors import KafkaAuthError
from workbench.frames import lag as lag_frames
from workbench.store import Store

WORKBENCH = [sys.executable, "-m", "workbench"]


def _deny_alice(admin) -> AclBinding:
    acl = AclBinding(
        ResourceType.TOPIC,
        "__consumer_offsets",
        ResourcePatternType.LITERAL,
        "User:alice",
        "*",
        AclOperation.READ,
        AclPermissionType.DENY,
    )
    for fut in admin.create_acls([acl]).values():
        fut.result()
    return acl


def _refused(settings: ClientSettings) -> bool:
    try:
        read_pass(settings, "it", {}, lambda _batch: None, timeout_s=10)
    except KafkaAuthError:
        return True
    return False


@pytest.mark.kafka
@pytest.mark.slow
def test_unreadable_offsets_topic_falls_back_to_estimated_commits(
    kafka_sasl: KafkaLocal, tmp_path: Path
) -> None:
    admin = kafka_sasl.admin()
    _deny_alice(admin)
    try:
        alice = {k: str(v) for k, v in kafka_sasl.sasl_config("PLAIN").items() if k != "log_level"}
        settings = ClientSettings(alice.pop("bootstrap.servers"), alice)
        wait_until(lambda: _refused(settings), timeout=30, message="the DENY ACL to apply")
        props = tmp_path / "alice.properties"
        props.write_text("".join(f"{k}={v}\n" for k, v in alice.items()))
        data = tmp_path / "data"
        args = ["--bootstrap-server", kafka_sasl.bootstrap_sasl, "--command-config", str(props)]
        args += ["--cluster", "it", "--data-dir", str(data)]
        out = subprocess.run(
            [*WORKBENCH, "collect", "commits", *args], capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        [line] = out.stderr.strip().splitlines()
        assert line.startswith("error: not allowed to read __consumer_offsets") and "estimates commit" in line
        assert not Store(data).clusters("commits")
        _history_as_alice(kafka_sasl, args, tmp_path)
        offsets, log_ends, shown_from = lag_frames.load_lag_window(data, "it", None, None, None, None, 10)
        assert lag_frames.load_commits(data, "it", None) is None
        window = lag.analyze_window(offsets, log_ends, shown_from, burrow.BurrowConfig(intervals=3))
        sources = set(window.analysis.group_status["status_source"])
        assert sources == {"estimated"}
        assert "from commits estimated from the offsets snapshots" in lag.source_finding(window.analysis)[1]
    finally:
        filt = AclBindingFilter(
            ResourceType.TOPIC,
            "__consumer_offsets",
            ResourcePatternType.LITERAL,
            None,
            None,
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        for fut in admin.delete_acls([filt]).values():
            fut.result()


def _history_as_alice(kafka: KafkaLocal, args: list[str], tmp_path: Path) -> None:
    """A group of alice's that reads and commits while ``collect offsets`` takes snapshots as alice."""
    topic = create_topic(kafka.admin(), unique_topic_name("acl-orders"), partitions=1)
    group = f"g-{topic}"
    producer = Producer(kafka.sasl_config("PLAIN"))
    consumer = Consumer(kafka.sasl_config("PLAIN", **{"group.id": group, "enable.auto.commit": False}))
    collector = subprocess.Popen(
        [*WORKBENCH, "collect", "offsets", *args, "--include", group, "--interval", "0.5s", "--count", "6"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for k in range(1, 40):
            producer.produce(topic, b"x" * 10, partition=0)
            producer.flush(10)
            wait_until(
                lambda k=k: consumer.commit(offsets=[TopicPartition(topic, 0, k)], asynchronous=False),
                timeout=30,
                message="a commit",
            )
            if collector.poll() is not None:
                break
            time.sleep(0.1)  # paces the commits between snapshots; no result depends on it
        _, err = collector.communicate(timeout=120)
        assert collector.returncode == 0, err
    finally:
        consumer.close()
