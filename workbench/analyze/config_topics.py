"""Deprecated import path; use :mod:`workbench.analyze.config.topic_rules`. Removed in 0.3."""

from workbench.analyze.config.topic_rules import (
    RULES,
    below_min_isr,
    broker_disk_skew,
    config_drift,
    leader_skew,
    offline_partitions,
    partition_count,
    partition_disk_skew,
    partitions_per_broker,
    replication_factor,
    topic_min_insync,
    topic_retention,
    topic_unclean_election,
    under_replicated,
)

__all__ = [
    "RULES",
    "below_min_isr",
    "broker_disk_skew",
    "config_drift",
    "leader_skew",
    "offline_partitions",
    "partition_count",
    "partition_disk_skew",
    "partitions_per_broker",
    "replication_factor",
    "topic_min_insync",
    "topic_retention",
    "topic_unclean_election",
    "under_replicated",
]
