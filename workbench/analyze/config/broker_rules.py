"""Config health rules, one small named function each, registered in :data:`RULES`.

Numbered comments give the decision each rule makes. Every function takes a
:class:`~workbench.analyze.config.model.ConfigView` and :class:`RuleSettings` and yields
:class:`Finding` records; none of them does I/O.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from workbench.analyze.config.model import (
    ConfigView,
    Finding,
    Findings,
    Rule,
    RuleSettings,
    _int,
    _true,
    retention_ms,
)


# -- cluster health ------------------------------------------------------------------------------
def broker_count(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule cluster.broker-count: too few live brokers for redundancy."""
    # 1. fewer live brokers than min_brokers: warning; one broker (no redundancy at all): critical.
    n = view.brokers.height
    if n and n < s.t("min_brokers"):
        yield Finding(
            "cluster.broker-count",
            "critical" if n == 1 else "warning",
            "cluster",
            _cluster_name(view),
            f"the cluster has {n} live broker{'s' if n != 1 else ''}",
            "run at least 3 brokers so that RF 3 with min.insync.replicas 2 survives one broker down",
            n,
            int(s.t("min_brokers")),
        )


def controller(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: the cluster reports exactly one live broker as its active controller."""
    # 1. exactly one live broker must be the active controller the cluster reports.
    active = view.brokers.filter(pl.col("is_controller")).height if view.brokers.height else 0
    if view.brokers.height and active != 1:
        yield Finding(
            "cluster.controller",
            "critical",
            "cluster",
            _cluster_name(view),
            f"{active} active controllers among the live brokers (expected exactly 1)",
            "check the controller quorum (kafka-metadata-quorum describe --status) and the controller logs",
            active,
            1,
        )


def _cluster_name(view: ConfigView) -> str:
    return str(view.cluster_info["cluster"][0]) if view.cluster_info.height else "cluster"


# -- broker settings -----------------------------------------------------------------------------
def _below(view: ConfigView, key: str, limit: float) -> Iterator[tuple[str, int]]:
    """(broker, value) for each broker whose integer ``key`` is below ``limit``."""
    for broker, cfg in sorted(view.broker_configs.items()):
        value = _int(cfg.get(key))
        if value is not None and value < limit:
            yield broker, value


def network_threads(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: num.network.threads below the threshold."""
    # 1. num.network.threads below the threshold (Kafka's default 3 suits ~4 cores): warning.
    for broker, v in _below(view, "num.network.threads", s.t("min_network_threads")):
        yield Finding(
            "broker.network-threads",
            "warning",
            "broker",
            broker,
            f"num.network.threads is {v}",
            "keep at least the default 3; raise toward half the cores on busy brokers",
            v,
            int(s.t("min_network_threads")),
        )


def io_threads(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: num.io.threads below the threshold."""
    # 1. num.io.threads below the threshold (Kafka's default 8, about the number of cores): warning.
    for broker, v in _below(view, "num.io.threads", s.t("min_io_threads")):
        yield Finding(
            "broker.io-threads",
            "warning",
            "broker",
            broker,
            f"num.io.threads is {v}",
            "set num.io.threads to at least the number of cores (default 8) or of data disks if more",
            v,
            int(s.t("min_io_threads")),
        )


def socket_buffers(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: a broker socket send/receive buffer set below the threshold."""
    # 1. a socket buffer set below the threshold (-1 = OS auto-tuning is fine): warning.
    limit = s.t("min_socket_buffer_bytes")
    for key in ("socket.send.buffer.bytes", "socket.receive.buffer.bytes"):
        for broker, v in _below(view, key, limit):
            if v >= 0:
                yield Finding(
                    "broker.socket-buffers",
                    "warning",
                    "broker",
                    broker,
                    f"{key} is {v:,} bytes",
                    "use the default 102400 or -1 (OS auto-tuning); small buffers throttle throughput",
                    v,
                    int(limit),
                )


def default_replication_factor(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: default.replication.factor below min_replication_factor."""
    # 1. default.replication.factor below min_replication_factor: warning (new topics are fragile).
    for broker, v in _below(view, "default.replication.factor", s.t("min_replication_factor")):
        yield Finding(
            "broker.default-replication-factor",
            "warning",
            "broker",
            broker,
            f"default.replication.factor is {v}: auto-created and default topics get RF {v}",
            "set default.replication.factor=3 on every broker",
            v,
            int(s.t("min_replication_factor")),
        )


def broker_min_insync(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: broker-wide min.insync.replicas below the threshold."""
    # 1. broker-wide min.insync.replicas below the threshold: acks=all writes may sit on one disk.
    for broker, v in _below(view, "min.insync.replicas", s.t("min_insync_replicas")):
        yield Finding(
            "broker.min-insync-replicas",
            "warning",
            "broker",
            broker,
            f"min.insync.replicas is {v}: an acks=all write can be acknowledged by the leader alone",
            "set min.insync.replicas=2 (with RF 3) so acknowledged writes survive one broker loss",
            v,
            int(s.t("min_insync_replicas")),
        )


def _flag_true(view: ConfigView, key: str) -> Iterator[str]:
    for broker, cfg in sorted(view.broker_configs.items()):
        if _true(cfg.get(key)):
            yield broker


def broker_unclean_election(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: unclean leader election enabled on a broker."""
    # 1. unclean.leader.election.enable=true on a broker: critical (acknowledged data can be lost).
    for broker in _flag_true(view, "unclean.leader.election.enable"):
        yield Finding(
            "broker.unclean-leader-election",
            "critical",
            "broker",
            broker,
            "unclean.leader.election.enable=true: an out-of-sync replica may become leader and drop data",
            "set unclean.leader.election.enable=false; recover unavailable partitions deliberately instead",
            "true",
            "false",
        )


def auto_create_topics(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: automatic topic creation enabled."""
    # 1. auto.create.topics.enable=true: warning (typos create topics with default settings).
    for broker in _flag_true(view, "auto.create.topics.enable"):
        yield Finding(
            "broker.auto-create-topics",
            "warning",
            "broker",
            broker,
            "auto.create.topics.enable=true: any client can create topics by naming them",
            "set auto.create.topics.enable=false and create topics explicitly with reviewed settings",
            "true",
            "false",
        )


def broker_retention(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: broker default retention too short, or unlimited in both time and size."""
    # 1. retention shorter than min_retention_ms: warning. 2. no time and no size limit: info.
    for broker, cfg in sorted(view.broker_configs.items()):
        ms, size = retention_ms(cfg), _int(cfg.get("log.retention.bytes"))
        if ms is not None and 0 <= ms < s.t("min_retention_ms"):
            yield Finding(
                "broker.log-retention",
                "warning",
                "broker",
                broker,
                f"default log retention is {ms:,} ms",
                "keep at least a few hours of data so consumers can recover from an outage",
                ms,
                int(s.t("min_retention_ms")),
            )
        elif ms is not None and ms < 0 and (size is None or size < 0):
            yield Finding(
                "broker.log-retention",
                "info",
                "broker",
                broker,
                "default log retention is unlimited in time and size",
                "set log.retention.hours or log.retention.bytes unless every topic overrides it",
                ms,
                None,
            )


# -- registry --------------------------------------------------------------------------------------
RULES: tuple[Rule, ...] = (
    Rule("cluster.broker-count", "cluster", "fewer live brokers than min_brokers", broker_count),
    Rule("cluster.controller", "cluster", "not exactly one active controller", controller),
    Rule("broker.network-threads", "broker", "num.network.threads below the default", network_threads),
    Rule("broker.io-threads", "broker", "num.io.threads below the default", io_threads),
    Rule("broker.socket-buffers", "broker", "socket buffers set very small", socket_buffers),
    Rule(
        "broker.default-replication-factor",
        "broker",
        "default RF below min_replication_factor",
        default_replication_factor,
    ),
    Rule("broker.min-insync-replicas", "broker", "broker min.insync.replicas below 2", broker_min_insync),
    Rule(
        "broker.unclean-leader-election",
        "broker",
        "unclean leader election enabled on a broker",
        broker_unclean_election,
    ),
    Rule("broker.auto-create-topics", "broker", "topic auto-creation enabled", auto_create_topics),
    Rule("broker.log-retention", "broker", "default retention very short or unbounded", broker_retention),
)
