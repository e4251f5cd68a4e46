"""The offsets collector against a real Kafka broker: exact offsets and lags for known groups."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import polars as pl
import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from workbench.collect.kafka import KafkaAdmin
from workbench.collect.offsets import GroupFilter, snapshot_offsets
from workbench.config import load_settings
from workbench.frames import add_lag_columns, load_offsets, load_partition_offsets
from workbench.store import Store

pytestmark = pytest.mark.kafka

WORKBENCH = [sys.executable, "-m", "workbench"]


def _wait_for(cond, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _commit(consumer: Consumer, offsets: list[TopicPartition]) -> None:
    """Commit, retrying while a fresh broker is still loading __consumer_offsets (NOT_COORDINATOR,
    COORDINATOR_LOAD_IN_PROGRESS: librdkafka does not mark the latter retriable on a commit)."""
    loading = (KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS)

    def attempt() -> bool:
        try:
            result = consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            if exc.args[0].retriable() or exc.args[0].code() in loading:
                return False
            raise
        assert all(tp.error is None for tp in result)
        return True

    _wait_for(attempt, "a successful offset commit")


class Scenario:
    """Topics with known message counts and groups with known commits."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.prefix = f"wbt-{uuid.uuid4().hex[:8]}"
        self.t_main, self.t_idle, self.t_ret = (f"{self.prefix}-{n}" for n in ("main", "idle", "ret"))
        self.g_active, self.g_empty, self.g_ret = (f"{self.prefix}-{n}" for n in ("active", "empty", "ret"))
        self.admin = AdminClient({"bootstrap.servers": bootstrap})
        self.consumer: Consumer | None = None

    def build(self) -> None:
        futs = self.admin.create_topics(
            [NewTopic(self.t_main, 3, 1), NewTopic(self.t_idle, 2, 1), NewTopic(self.t_ret, 1, 1)]
        )
        for f in futs.values():
            f.result(timeout=30)
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 5})
        for topic, partition, n in [
            (self.t_main, 0, 100),
            (self.t_main, 1, 50),
            (self.t_idle, 0, 7),
            (self.t_ret, 0, 100),
        ]:
            for i in range(n):
                producer.produce(topic, f"m{i}".encode(), partition=partition)
        assert producer.flush(30) == 0
        self._simple_commit(self.g_empty, [TopicPartition(self.t_main, 0, 30)])
        self._simple_commit(self.g_ret, [TopicPartition(self.t_ret, 0, 10)])
        deleted = self.admin.delete_records([TopicPartition(self.t_ret, 0, 40)])
        for f in deleted.values():
            assert f.result(timeout=30).low_watermark == 40
        self._active_member()

    def _simple_commit(self, group: str, offsets: list[TopicPartition]) -> None:
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group, "enable.auto.commit": False})
        try:
            _commit(c, offsets)
        finally:
            c.close()

    def _active_member(self) -> None:
        c = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": self.g_active,
                "client.id": "active-client",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        c.subscribe([self.t_main])
        _wait_for(lambda: (c.poll(0.1), len(c.assignment()) == 3)[1], "assignment of 3 partitions")
        c.commit(
            offsets=[TopicPartition(self.t_main, 0, 80), TopicPartition(self.t_main, 1, 50)],
            asynchronous=False,
        )
        self.consumer = c

    def close(self) -> None:
        if self.consumer is not None:
            self.consumer.close()


@pytest.fixture(scope="module")
def scenario(kafka):
    s = Scenario(kafka.bootstrap)
    s.build()
    yield s
    s.close()


@pytest.fixture(scope="module")
def snap(scenario):
    admin = KafkaAdmin(load_settings(scenario.bootstrap), timeout_s=20)
    return snapshot_offsets(admin, "test", GroupFilter(include=(f"{scenario.prefix}-.*",)))


def _rows(frame: pl.DataFrame, group: str) -> dict[tuple[str, int], dict]:
    return {
        (r["topic"], r["partition"]): r for r in frame.filter(pl.col("group") == group).iter_rows(named=True)
    }


def test_snapshot_has_one_timestamp_and_only_the_filtered_groups(snap, scenario):
    assert snap.offsets["ts"].n_unique() == 1
    assert snap.partitions["ts"].n_unique() == 1
    assert set(snap.offsets["group"]) == {scenario.g_active, scenario.g_empty, scenario.g_ret}
    assert snap.groups == 3
    assert set(snap.offsets["cluster"]) == {"test"}


def test_active_group_offsets_members_and_uncommitted_partition(snap, scenario):
    rows = _rows(add_lag_columns(snap.offsets), scenario.g_active)
    assert set(rows) == {(scenario.t_main, 0), (scenario.t_main, 1), (scenario.t_main, 2)}
    p0, p1, p2 = (rows[(scenario.t_main, p)] for p in range(3))
    assert (p0["committed_offset"], p0["log_end_offset"], p0["log_start_offset"], p0["lag"]) == (
        80,
        100,
        0,
        20,
    )
    assert (p1["committed_offset"], p1["log_end_offset"], p1["lag"]) == (50, 50, 0)
    # assigned but never committed: null, never 0, and no lag invented
    assert p2["committed_offset"] is None and p2["lag"] is None and p2["log_end_offset"] == 0
    for r in (p0, p1, p2):
        assert r["group_state"] == "Stable"
        assert r["client_id"] == "active-client"
        assert r["member_id"] and r["host"]


def test_empty_group_has_no_members(snap, scenario):
    rows = _rows(add_lag_columns(snap.offsets), scenario.g_empty)
    assert list(rows) == [(scenario.t_main, 0)]
    r = rows[(scenario.t_main, 0)]
    assert r["group_state"] == "Empty"
    assert (r["committed_offset"], r["log_end_offset"], r["lag"]) == (30, 100, 70)
    assert r["member_id"] is None and r["client_id"] is None and r["host"] is None


def test_commit_below_log_start_after_delete_records(snap, scenario):
    r = _rows(add_lag_columns(snap.offsets), scenario.g_ret)[(scenario.t_ret, 0)]
    assert (r["committed_offset"], r["log_start_offset"], r["log_end_offset"]) == (10, 40, 100)
    assert r["lag"] == 60  # what is still on disk to read
    assert r["lag_raw"] == 90  # what kafka-consumer-groups would print
    assert r["retention_gap"] is True and r["lost_messages"] == 30


def test_every_partition_of_the_cluster_is_recorded(snap, scenario):
    parts = {
        (r["topic"], r["partition"]): (r["log_start_offset"], r["log_end_offset"])
        for r in snap.partitions.iter_rows(named=True)
        if r["topic"].startswith(scenario.prefix)
    }
    assert parts == {
        (scenario.t_main, 0): (0, 100),
        (scenario.t_main, 1): (0, 50),
        (scenario.t_main, 2): (0, 0),
        (scenario.t_idle, 0): (0, 7),  # a topic no group reads
        (scenario.t_idle, 1): (0, 0),
        (scenario.t_ret, 0): (40, 100),
    }
    assert not any(t.startswith("__") for t in snap.partitions["topic"])


def test_cli_collects_a_history_then_lag_and_compact_read_it(scenario, tmp_path: Path):
    data = tmp_path / "data"
    args = ["--bootstrap-server", scenario.bootstrap, "--cluster", "it", "--data-dir", str(data)]
    inc = ["--include", f"{scenario.prefix}-.*"]
    out = subprocess.run(
        [*WORKBENCH, "collect", "offsets", *args, *inc, "--interval", "0.2s", "--count", "3"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 3 and all("3 groups, 5 group partitions" in line for line in lines)
    history = load_offsets(data, cluster="it", since=None)
    assert history["ts"].n_unique() == 3 and history.height == 15
    # each snapshot's duration is stored; every one over half the 0.2 s interval printed a warning
    runs = Store(data).scan("collections", cluster="it").collect()
    assert runs.height == 3 and runs["duration_ms"].min() > 0
    slow = runs.filter(pl.col("duration_ms") > 100).height
    assert out.stderr.count("over half the 0.2s interval") == slow, out.stderr
    assert load_partition_offsets(data, since=None).filter(pl.col("topic") == scenario.t_idle).height == 6
    lag = subprocess.run(
        [*WORKBENCH, "lag", "--data-dir", str(data), "--json", "--fail-on", "critical"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert lag.returncode == 0, lag.stderr
    assert (
        '"total_lag": 70' in lag.stdout
        and '"total_lag": 60' in lag.stdout
        and '"total_lag": 20' in lag.stdout
    )
    warn = subprocess.run(
        [*WORKBENCH, "lag", "--data-dir", str(data), "--warn", "50", "--crit", "65", "--fail-on", "warning"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert warn.returncode == 1 and "critical" in warn.stdout and "warning" in warn.stdout
    files_before = Store(data).files("offsets")
    comp = subprocess.run(
        [*WORKBENCH, "compact", "--data-dir", str(data), "--all-days"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert comp.returncode == 0, comp.stderr
    assert len(files_before) == 3 and len(Store(data).files("offsets")) == 1
    assert load_offsets(data, cluster="it", since=None).equals(history)


def test_live_lag_view(scenario):
    out = subprocess.run(
        [
            *WORKBENCH,
            "lag",
            "--bootstrap-server",
            scenario.bootstrap,
            "--group",
            f"{scenario.prefix}-.*",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count('"group"') == 3


def test_sigterm_finishes_the_write_and_exits_zero(scenario, tmp_path: Path):
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [
            *WORKBENCH,
            "collect",
            "offsets",
            "--bootstrap-server",
            scenario.bootstrap,
            "--cluster",
            "sig",
            "--data-dir",
            str(data),
            "--interval",
            "1h",
            "--include",
            f"{scenario.prefix}-.*",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        assert "3 groups" in first
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    assert "stopped by signal" in proc.stderr.read()  # type: ignore[union-attr]
    assert not list(data.rglob("*.tmp-*"))
    assert load_offsets(data, since=None).height == 5


def test_unreachable_broker_fails_fast_with_one_line(tmp_path: Path):
    out = subprocess.run(
        [
            *WORKBENCH,
            "collect",
            "offsets",
            "--bootstrap-server",
            "127.0.0.1:1",
            "--cluster",
            "x",
            "--data-dir",
            str(tmp_path),
            "--count",
            "1",
            "--timeout",
            "2s",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "cannot reach Kafka at 127.0.0.1:1" in out.stdout
    # the failure is recorded as data, and nothing else was written
    from workbench.store import Store

    record = Store(tmp_path).read("collections")
    assert record["ok"].to_list() == [False] and "cannot reach Kafka" in record["error"][0]
    assert Store(tmp_path).read("offsets").is_empty()
    live = subprocess.run(
        [*WORKBENCH, "lag", "--bootstrap-server", "127.0.0.1:1", "--timeout", "2s"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert live.returncode == 2
    assert live.stderr.strip().count("\n") == 0 and live.stderr.startswith("error: cannot reach Kafka")


def test_secrets_from_command_config_reach_no_output_or_data(scenario, tmp_path: Path):
    secret = "pw-" + uuid.uuid4().hex
    props = tmp_path / "client.properties"
    props.write_text(
        "# the broker listener is PLAINTEXT: the credentials are parsed, mapped, and unused\n"
        "security.protocol=PLAINTEXT\n"
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
        'username="alice" password="${env:WB_TEST_SECRET}";\n'
    )
    data = tmp_path / "data"
    out = subprocess.run(
        [
            *WORKBENCH,
            "-vv",
            "collect",
            "offsets",
            "--bootstrap-server",
            scenario.bootstrap,
            "--cluster",
            "s",
            "--command-config",
            str(props),
            "--data-dir",
            str(data),
            "--count",
            "1",
            "--include",
            f"{scenario.prefix}-.*",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WB_TEST_SECRET": secret},
    )
    assert out.returncode == 0, out.stderr
    assert secret not in out.stdout + out.stderr
    for f in data.rglob("*"):
        if f.is_file():
            assert secret.encode() not in f.read_bytes()


def test_malformed_command_config_names_the_line(tmp_path: Path):
    props = tmp_path / "client.properties"
    props.write_text("security.protocol=PLAINTEXT\n\nsasl.password hun\\uZZter2\n")
    out = subprocess.run(
        [
            *WORKBENCH,
            "collect",
            "offsets",
            "--bootstrap-server",
            "127.0.0.1:1",
            "--cluster",
            "x",
            "--command-config",
            str(props),
            "--data-dir",
            str(tmp_path / "d"),
            "--count",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert (
        out.stderr.strip() == f"error: {props}:3: malformed \\uXXXX escape (four hex digits expected); "
        "write a backslash as \\\\"
    )
    assert "hun" not in out.stderr and "ter2" not in out.stderr and not (tmp_path / "d").exists()
