"""Config health rules: the registry of every rule, and the evaluation of a snapshot."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from workbench.analyze.config import broker_rules, topic_rules
from workbench.analyze.config.model import FINDINGS, ConfigView, Finding, Rule, RuleSettings, rank

#: Every rule, in report order: cluster and broker rules, then topic, replication, drift, disk.
RULES: tuple[Rule, ...] = (*broker_rules.RULES, *topic_rules.RULES)


def evaluate(
    view: ConfigView, settings: RuleSettings | None = None, rules: Iterable[Rule] | None = None
) -> pl.DataFrame:
    """Run every enabled rule on ``view``; the findings frame (:data:`FINDINGS`), critical first."""
    settings = settings or RuleSettings()
    rows: list[dict[str, object]] = []
    for rule in rules if rules is not None else RULES:
        if rule.id in settings.disabled:
            continue
        for f in rule.check(view, settings):
            rows.append(_row(f, rule.category))
    return rank(pl.DataFrame(rows, schema=FINDINGS) if rows else pl.DataFrame(schema=FINDINGS))


def _row(f: Finding, category: str) -> dict[str, object]:
    return {
        "rule_id": f.rule_id,
        "severity": f.severity,
        "category": category,
        "entity_type": f.entity_type,
        "entity": f.entity,
        "message": f.message,
        "recommendation": f.recommendation,
        "value": None if f.value is None else str(f.value),
        "threshold": None if f.threshold is None else str(f.threshold),
    }


def rule_ids() -> list[str]:
    """Every registered rule id."""
    return [r.id for r in RULES]
