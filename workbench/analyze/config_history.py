"""Deprecated import path; use :mod:`workbench.analyze.config`. Removed in 0.3."""

from workbench.analyze.config import (
    broker_load,
    config_changes,
    disk_history,
    finding_changes,
    findings_over_time,
    replication_history,
    severity_counts,
    snapshots,
    topic_table,
)

__all__ = [
    "broker_load",
    "config_changes",
    "disk_history",
    "finding_changes",
    "findings_over_time",
    "replication_history",
    "severity_counts",
    "snapshots",
    "topic_table",
]
