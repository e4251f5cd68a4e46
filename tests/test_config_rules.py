# ruff: noqa: E501  (the scenario table keeps one row per line)
"""Config health rules: one scenario per row, stating the rule and the severity it must give (or None).

Every scenario starts from a healthy 3-broker cluster (:func:`healthy`) and changes one thing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from workbench.analyze.config import (
    DEFAULT_THRESHOLDS,
    FINDINGS,
    ConfigView,
    RuleSettings,
    evaluate,
    parse_rule_settings,
    rule_ids,
    worst_severity,
)
from workbench.collect.configs import CONFIG_DATASETS
from workbench.errors import ConfigError
from workbench.schema import conform

TS = dt.datetime(2026, 11, 19, tzinfo=dt.UTC)
GIB = 1 << 30
BROKER_DEFAULTS = {
    "num.network.threads": "8",
    "num.io.threads": "16",
    "socket.send.buffer.bytes": "102400",
    "socket.receive.buffer.bytes": "102400",
    "default.replication.factor": "3",
    "min.insync.replicas": "2",
    "unclean.leader.election.enable": "false",
    "auto.create.topics.enable": "false",
    "log.retention.hours": "168",
    "log.retention.bytes": "-1",
}
TOPIC_DEFAULTS = {
    "cleanup.policy": "delete",
    "retention.ms": "604800000",
    "retention.bytes": "-1",
    "min.insync.replicas": "2",
    "unclean.leader.election.enable": "false",
}


def healthy() -> dict[str, Any]:
    """A healthy cluster as a plain spec: 3 brokers, topic ``t`` with 6 partitions, RF 3."""
    return {
        "brokers": [1, 2, 3],
        "controllers": [1],
        "broker_cfg": {b: dict(BROKER_DEFAULTS) for b in (1, 2, 3)},
        "topics": {"t": {"partitions": 6, "rf": 3, "cfg": dict(TOPIC_DEFAULTS), "overrides": set()}},
        "down": set(),  # brokers missing from every ISR (and from leadership)
        "sizes": {},  # (topic, partition) -> bytes per replica; default 1 GiB
        "extra_bytes": {},  # broker -> extra bytes on one replica
    }


def frames(spec: dict[str, Any]) -> dict[str, pl.DataFrame]:
    """The five dataset frames of a snapshot described by ``spec``."""
    stamp = {"ts": TS, "cluster": "c", "source": "test"}
    brokers = spec["brokers"]
    rows: dict[str, list[dict]] = {name: [] for name in CONFIG_DATASETS}
    rows["cluster_info"].append(
        {**stamp, "cluster_id": "id", "controller_id": 1, "broker_count": len(brokers)}
    )
    for b in brokers:
        host = {"host": f"h{b}", "port": 9092, "rack": None, "is_controller": b in spec["controllers"]}
        rows["brokers"].append({**stamp, "broker_id": b, **host})
        for name, value in spec["broker_cfg"][b].items():
            rows["configs"].append(_config(stamp, "broker", str(b), name, value, "STATIC_BROKER_CONFIG"))
    for topic, t in spec["topics"].items():
        for name, value in t["cfg"].items():
            source = "DYNAMIC_TOPIC_CONFIG" if name in t["overrides"] else "DEFAULT_CONFIG"
            rows["configs"].append(_config(stamp, "topic", topic, name, value, source))
        for p in range(t["partitions"]):
            replicas = [(p + k) % len(brokers) + 1 for k in range(t["rf"])]
            isr = [r for r in replicas if r not in spec["down"]]
            leader = t.get("leader", isr[0] if isr else None)
            part = {"topic": topic, "partition": p, "is_internal": False, "leader": leader}
            rows["topic_partitions"].append(
                {**stamp, **part, "replicas": replicas, "isr": isr, "offline": leader is None}
            )
            for r in isr:
                size = spec["sizes"].get((topic, p), GIB) + (spec["extra_bytes"].get(r, 0) if p == 0 else 0)
                disk = {"broker": r, "log_dir": "/d", "topic": topic, "partition": p, "size_bytes": size}
                rows["log_dirs"].append({**stamp, **disk, "offset_lag": 0, "is_future": False})
    return {name: conform(pl.DataFrame(rows[name]), name) for name in CONFIG_DATASETS}


def _config(stamp: dict, kind: str, name: str, key: str, value: str | None, source: str) -> dict:
    sensitive = value is None
    return {
        **stamp,
        "resource_type": kind,
        "resource_name": name,
        "name": key,
        "value": value,
        "config_source": source,
        "is_default": source == "DEFAULT_CONFIG",
        "is_read_only": False,
        "is_sensitive": sensitive,
    }


def broker(key: str, value: str | None, brokers: tuple[int, ...] = (1, 2, 3)):
    def change(spec):
        for b in brokers:
            spec["broker_cfg"][b][key] = value

    return change


def topic(**changes: Any):
    def change(spec):
        t = spec["topics"]["t"]
        for key, value in changes.items():
            if key in ("partitions", "rf", "leader"):
                t[key] = value
            else:
                name = key.replace("_", ".")
                t["cfg"][name] = value
                t["overrides"].add(name)

    return change


def setting(key: str, value: Any):
    def change(spec):
        spec[key] = value

    return change


# fmt: off
SCENARIOS = [
    # (scenario, change, rule id, expected severity or None)
    ("healthy cluster: broker count fine", None, "cluster.broker-count", None),
    ("two brokers", setting("brokers", [1, 2]), "cluster.broker-count", "warning"),
    ("one broker", setting("brokers", [1]), "cluster.broker-count", "critical"),
    ("no active controller", setting("controllers", []), "cluster.controller", "critical"),
    ("two active controllers", setting("controllers", [1, 2]), "cluster.controller", "critical"),
    ("one active controller", None, "cluster.controller", None),
    ("network threads 2", broker("num.network.threads", "2"), "broker.network-threads", "warning"),
    ("network threads default 3", broker("num.network.threads", "3"), "broker.network-threads", None),
    ("io threads 4", broker("num.io.threads", "4"), "broker.io-threads", "warning"),
    ("tiny send buffer", broker("socket.send.buffer.bytes", "8192"), "broker.socket-buffers", "warning"),
    ("OS-tuned buffer -1", broker("socket.receive.buffer.bytes", "-1"), "broker.socket-buffers", None),
    ("default RF 1", broker("default.replication.factor", "1"), "broker.default-replication-factor", "warning"),
    ("broker min ISR 1", broker("min.insync.replicas", "1"), "broker.min-insync-replicas", "warning"),
    ("unclean election on", broker("unclean.leader.election.enable", "true"), "broker.unclean-leader-election", "critical"),
    ("unclean election off", None, "broker.unclean-leader-election", None),
    ("auto-create on", broker("auto.create.topics.enable", "true"), "broker.auto-create-topics", "warning"),
    ("retention 10 min", broker("log.retention.ms", "600000"), "broker.log-retention", "warning"),
    ("retention unlimited", broker("log.retention.ms", "-1"), "broker.log-retention", "info"),
    ("topic RF 1", topic(rf=1), "topic.replication-factor", "critical"),
    ("topic RF 2", topic(rf=2), "topic.replication-factor", "warning"),
    ("topic RF 3", None, "topic.replication-factor", None),
    ("min ISR 1 with RF 3", topic(min_insync_replicas="1"), "topic.min-insync-replicas", "warning"),
    ("min ISR 3 = RF 3", topic(min_insync_replicas="3"), "topic.min-insync-replicas", "warning"),
    ("min ISR 4 > RF 3", topic(min_insync_replicas="4"), "topic.min-insync-replicas", "critical"),
    ("min ISR 2 with RF 3", None, "topic.min-insync-replicas", None),
    ("unclean override on topic", topic(unclean_leader_election_enable="true"), "topic.unclean-leader-election", "critical"),
    ("5000 partitions", topic(partitions=5000), "topic.partition-count", "warning"),
    ("delete with retention -1", topic(retention_ms="-1"), "topic.retention", "warning"),
    ("compact,delete with 1 h", topic(cleanup_policy="compact,delete", retention_ms="3600000"), "topic.retention", "warning"),
    ("delete with 5 min", topic(retention_ms="300000"), "topic.retention", "warning"),
    ("compact only, retention -1", topic(cleanup_policy="compact", retention_ms="-1"), "topic.retention", None),
    ("broker 3 out of every ISR", setting("down", {3}), "replication.under-replicated", "warning"),
    ("full ISRs", None, "replication.under-replicated", None),
    ("two brokers out: ISR 1 < min ISR 2", setting("down", {2, 3}), "replication.below-min-isr", "critical"),
    ("every replica out: offline", setting("down", {1, 2, 3}), "replication.offline", "critical"),
    ("broker 1 leads everything", topic(leader=1), "replication.leader-skew", "warning"),
    ("leaders round-robin", None, "replication.leader-skew", None),
    ("num.io.threads differs on broker 3", broker("num.io.threads", "32", (3,)), "drift.broker-config", "warning"),
    ("broker.id differs by design", broker("broker.id", "7", (3,)), "drift.broker-config", None),
    ("sensitive value null everywhere", broker("ssl.key.password", None), "drift.broker-config", None),
    ("broker 1 holds 20 GiB more", setting("extra_bytes", {1: 20 * GIB}), "disk.broker-skew", "warning"),
    ("bytes even", None, "disk.broker-skew", None),
    ("partition 0 is 10x", setting("sizes", {("t", 0): 10 * GIB}), "disk.partition-skew", "warning"),
    ("tiny topic skewed (under min_disk_bytes)", setting("sizes", {("t", 0): 10_000, ("t", 1): 1}), "disk.partition-skew", None),
]
# fmt: on


@pytest.mark.parametrize(("scenario", "change", "rule", "expected"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_rule_outcome(scenario: str, change, rule: str, expected: str | None) -> None:
    spec = healthy()
    if change is not None:
        change(spec)
    if rule == "disk.partition-skew" and expected is None:
        spec["sizes"].update({("t", p): 1 for p in range(2, 6)})
    found = evaluate(ConfigView.of(frames(spec))).filter(pl.col("rule_id") == rule)
    got = worst_severity(found)
    assert got == expected, f"{scenario}: {found.to_dicts()}"


def test_healthy_cluster_has_no_findings() -> None:
    findings = evaluate(ConfigView.of(frames(healthy())))
    assert findings.is_empty(), findings.to_dicts()
    assert findings.schema == FINDINGS


def test_findings_are_ranked_critical_first_and_carry_value_and_threshold() -> None:
    spec = healthy()
    for change in (
        topic(rf=1),
        broker("auto.create.topics.enable", "true"),
        broker("log.retention.ms", "-1"),
    ):
        change(spec)
    findings = evaluate(ConfigView.of(frames(spec)))
    assert findings["severity"].to_list() == sorted(
        findings["severity"].to_list(), key=["critical", "warning", "info"].index
    )
    rf = findings.filter(pl.col("rule_id") == "topic.replication-factor").row(0, named=True)
    assert (rf["value"], rf["threshold"], rf["entity"]) == ("1", "3", "t")


def test_disabled_rules_and_overridden_thresholds() -> None:
    spec = healthy()
    topic(rf=2)(spec)
    broker("num.io.threads", "4")(spec)
    settings = parse_rule_settings(
        'disable = ["broker.io-threads", "topic.min-insync-replicas"]\n[thresholds]\nmin_replication_factor = 2\n',
        "rules.toml",
    )
    found = evaluate(ConfigView.of(frames(spec)), settings)
    assert found.is_empty(), found.to_dicts()
    assert settings.t("min_brokers") == DEFAULT_THRESHOLDS["min_brokers"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('disable = ["broker.no-such-rule"]', "broker.no-such-rule"),
        ("[thresholds]\nmax_widgets = 3", "max_widgets"),
        ("colour = 'red'", "colour"),
        ("[thresholds]\nmin_brokers = 'three'", "min_brokers"),
        ("disable = [", "not valid TOML"),
    ],
)
def test_bad_rule_files_are_config_errors_naming_the_key(text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        parse_rule_settings(text, "rules.toml")


def test_every_rule_has_a_unique_dotted_id() -> None:
    ids = rule_ids()
    assert len(ids) == len(set(ids)) >= 20
    assert all(i.split(".")[0] in {"cluster", "broker", "topic", "replication", "drift", "disk"} for i in ids)
    assert RuleSettings().disabled == frozenset()
