"""Deprecated import path; use :mod:`workbench.analyze.config`. Removed in 0.3."""

from __future__ import annotations

from workbench.analyze.config import RuleSettings
from workbench.analyze.config import findings as _findings
from workbench.analyze.config.findings import (
    Finding,
    change_sentences,
    changes_table,
    drift_table,
    findings_table,
    headline,
)
from workbench.frames.configs import read_rules_file
from workbench.report.notebook import scorecard_html


def rule_settings(rules_file: str | None) -> RuleSettings:
    """The old signature: the settings of the ``rules_file`` TOML (defaults without one)."""
    return _findings.rule_settings(read_rules_file(rules_file), rules_file or "rule file")


__all__ = [
    "Finding",
    "change_sentences",
    "changes_table",
    "drift_table",
    "findings_table",
    "headline",
    "rule_settings",
    "scorecard_html",
]
