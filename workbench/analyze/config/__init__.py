"""Config health: the model (Finding, Rule, ConfigView), settings, the rules by scope
(:mod:`~workbench.analyze.config.broker_rules`, :mod:`~workbench.analyze.config.topic_rules`),
the registry, the history over snapshots and the report's findings.
"""

from workbench.analyze.config.findings import (
    change_sentences,
    changes_table,
    drift_table,
    findings_table,
    headline,
    rule_settings,
)
from workbench.analyze.config.history import (
    broker_load,
    config_changes,
    disk_history,
    finding_changes,
    findings_over_time,
    replication_history,
    severity_counts,
    snapshots,
    topic_display,
    topic_table,
)
from workbench.analyze.config.model import (
    CATEGORIES,
    DEFAULT_THRESHOLDS,
    FINDINGS,
    PER_BROKER_KEYS,
    SEVERITIES,
    Check,
    ConfigView,
    Finding,
    Findings,
    Rule,
    RuleSettings,
    rank,
    retention_ms,
    worst_severity,
)
from workbench.analyze.config.registry import (
    RULES,
    evaluate,
    rule_ids,
)
from workbench.analyze.config.settings import (
    parse_rule_settings,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_THRESHOLDS",
    "FINDINGS",
    "PER_BROKER_KEYS",
    "RULES",
    "SEVERITIES",
    "Check",
    "ConfigView",
    "Finding",
    "Findings",
    "Rule",
    "RuleSettings",
    "broker_load",
    "change_sentences",
    "changes_table",
    "config_changes",
    "disk_history",
    "drift_table",
    "evaluate",
    "finding_changes",
    "findings_over_time",
    "findings_table",
    "headline",
    "parse_rule_settings",
    "rank",
    "replication_history",
    "retention_ms",
    "rule_ids",
    "rule_settings",
    "severity_counts",
    "snapshots",
    "topic_display",
    "topic_table",
    "worst_severity",
]
