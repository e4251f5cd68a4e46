"""``workbench collect configs`` and ``workbench validate`` against real brokers.

One broker with defaults gives the expected findings; on three brokers a replicated topic is
clean, stopping a broker makes it under-replicated and restarting clears it; a sensitive broker
config is reported as set but its value never reaches the data files, the logs or the report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType
from kafka_local import wait_until

from workbench.analyze.config import ConfigView, evaluate
from workbench.cli import main
from workbench.collect.configs import snapshot_configs
from workbench.collect.kafka import KafkaAdmin
from workbench.collect.logdirs import LogDirsClient
from workbench.config import load_settings
from workbench.store import Store

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SECRET = "Zq9-very-secret-key-password-4711"
SECRET_KEY = "listener.name.plaintext.ssl.key.password"


def _validate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args])
    return result.exit_code, result.output


def _topic_findings(bootstrap: str, topic: str) -> pl.DataFrame:
    settings = load_settings(bootstrap)
    log_dirs = LogDirsClient(settings, timeout_s=10)
    try:
        snap = snapshot_configs(KafkaAdmin(settings, timeout_s=10), "k3", log_dirs, topics=[topic])
    finally:
        log_dirs.close()
    return evaluate(ConfigView.of(snap.frames)).filter(pl.col("entity") == topic)


def test_single_broker_with_defaults(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=2, replication_factor=1)
    code, out = _validate("--bootstrap-server", kafka.bootstrap, "--topics", topic, "--json")
    assert code == 1, out
    findings = {(f["rule_id"], f["entity"]): f["severity"] for f in json.loads(out)["findings"]}
    assert findings[("topic.replication-factor", topic)] == "critical"
    assert findings[("cluster.broker-count", "live")] == "critical"
    assert ("replication.under-replicated", topic) not in findings


def test_collect_then_validate_from_history(kafka, topic_factory, tmp_path: Path) -> None:
    topic_factory(partitions=3)
    args = ["collect", "configs", "--bootstrap-server", kafka.bootstrap, "--cluster", "one"]
    result = CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    store = Store(tmp_path)
    for name in ("cluster_info", "brokers", "configs", "topic_partitions", "log_dirs", "collections"):
        assert store.read(name, cluster="one").height > 0, name
    assert store.read("collections", cluster="one")["kind"].to_list() == ["configs"]
    # DescribeLogDirs v4 (KIP-827): the broker's own volume, as the filesystem reports it
    volumes = store.read("log_dir_volumes", cluster="one")
    assert volumes.height == 1 and Path(volumes["log_dir"].item()).is_dir()
    fs = os.statvfs(volumes["log_dir"].item())
    assert volumes["total_bytes"].item() == fs.f_blocks * fs.f_frsize
    assert 0 < volumes["usable_bytes"].item() <= volumes["total_bytes"].item()
    code, out = _validate("--data-dir", str(tmp_path), "--cluster", "one")
    assert code == 1 and "CRITICAL" in out and "topic.replication-factor" in out, out
    code, out = _validate("--data-dir", str(tmp_path), "--cluster", "one", "--at", "2000-01-01T00:00Z")
    assert code == 2 and "no config snapshot" in out


@pytest.mark.slow  # a second or more: out of the fast loop
def test_unreachable_cluster_is_exit_2() -> None:
    code, out = _validate("--bootstrap-server", "127.0.0.1:1", "--timeout", "2s")
    assert code == 2 and "cannot reach Kafka" in out


def test_unknown_rule_id_in_the_rule_file_is_exit_2(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('disable = ["broker.not-a-rule"]\n')
    code, out = _validate("--data-dir", str(SAMPLE), "--rules", str(rules))
    assert code == 2 and "broker.not-a-rule" in out


@pytest.fixture
def secret_on_broker(kafka):
    """A sensitive dynamic config on broker 1, removed again after the test."""
    admin = kafka.admin()

    def alter(op: AlterConfigOpType, value: str | None) -> None:
        entry = ConfigEntry(SECRET_KEY, value, incremental_operation=op)
        res = ConfigResource(ResourceType.BROKER, "1", incremental_configs=[entry])
        for fut in admin.incremental_alter_configs([res]).values():
            fut.result(timeout=30)

    alter(AlterConfigOpType.SET, SECRET)

    def visible() -> bool:
        # dynamic broker configs reach the broker through the metadata log: wait until it describes it
        res = ConfigResource(ResourceType.BROKER, "1")
        entries = next(iter(admin.describe_configs([res]).values())).result(timeout=30)
        return SECRET_KEY in entries

    wait_until(visible, timeout=30, interval=0.2, message=f"{SECRET_KEY} to be described by broker 1")
    yield
    alter(AlterConfigOpType.DELETE, None)


def test_sensitive_config_is_reported_but_never_stored_logged_or_rendered(
    kafka, secret_on_broker, tmp_path: Path
) -> None:
    from workbench.report import render

    data = tmp_path / "data"
    args = ["-vv", "collect", "configs", "--bootstrap-server", kafka.bootstrap, "--cluster", "s"]
    result = CliRunner().invoke(main, [*args, "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    configs = Store(data).read("configs", cluster="s")
    row = configs.filter(pl.col("name") == SECRET_KEY).row(0, named=True)
    assert row["is_sensitive"] and row["value"] is None and row["config_source"] == "DYNAMIC_BROKER_CONFIG"
    _, out = _validate("--bootstrap-server", kafka.bootstrap, "--json")
    rendered = render("config-health", {"data_dir": str(data)}, out_dir=tmp_path / "reports")
    html = rendered.html.read_text(encoding="utf-8")
    assert "Config health" in html and "replication factor" in html
    assert SECRET not in result.output and SECRET not in out
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_three_brokers_under_replicated_while_one_is_down(kafka3, topic_factory) -> None:
    topic = topic_factory(3, 3, cluster=kafka3, config={"min.insync.replicas": "2"})
    assert _topic_findings(kafka3.bootstrap, topic).is_empty()
    kafka3.stop_broker(3)
    try:

        def under_replicated():
            found = _topic_findings(kafka3.bootstrap, topic)
            return found.filter(pl.col("rule_id") == "replication.under-replicated").height == 1

        wait_until(under_replicated, timeout=60, interval=1, message="an under-replicated finding")
    finally:
        kafka3.start_broker(3)

    def clean():
        return _topic_findings(kafka3.bootstrap, topic).is_empty()

    wait_until(clean, timeout=90, interval=1, message="the topic to be clean again")
