"""Deprecated import path; use :mod:`workbench.analyze.config`. Removed in 0.3."""

from workbench.analyze.config import (
    CATEGORIES,
    DEFAULT_THRESHOLDS,
    FINDINGS,
    PER_BROKER_KEYS,
    SEVERITIES,
    Check,
    ConfigView,
    Finding,
    Rule,
    RuleSettings,
    evaluate,
    parse_rule_settings,
    rank,
    rule_ids,
    worst_severity,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_THRESHOLDS",
    "FINDINGS",
    "PER_BROKER_KEYS",
    "SEVERITIES",
    "Check",
    "ConfigView",
    "Finding",
    "Rule",
    "RuleSettings",
    "evaluate",
    "parse_rule_settings",
    "rank",
    "rule_ids",
    "worst_severity",
]
