"""The config-health report's scorecard, sentences and tables, computed from the analyze frames.

The notebook only displays these. Every text that comes from the cluster goes through
:func:`workbench.report.notebook.md_escape` or :func:`~workbench.report.notebook.table_html`.
"""

from __future__ import annotations

import polars as pl

from workbench import units
from workbench.analyze.config.model import RuleSettings
from workbench.analyze.config.settings import parse_rule_settings

Finding = tuple[str, str]


def rule_settings(text: str | None, where: str = "rule file") -> RuleSettings:
    """The report's rule settings: defaults, or those of the TOML ``text`` (from
    :func:`workbench.frames.configs.read_rules_file`); errors name ``where``."""
    return RuleSettings() if text is None else parse_rule_settings(text, where)


def headline(findings: pl.DataFrame, changes: pl.DataFrame, ts: object) -> list[Finding]:
    """(level, sentence) pairs: the verdict, then what appeared and cleared in the window."""
    if findings.is_empty() and changes.is_empty():
        return [("ok", f"No findings at {units.instant(ts)}: every rule passes.")]  # type: ignore[arg-type]
    counts = dict(findings.group_by("severity").len().iter_rows()) if findings.height else {}
    level = "critical" if counts.get("critical") else "warning" if counts.get("warning") else "ok"
    out = [
        (
            level,
            f"At {units.instant(ts)}: {counts.get('critical', 0)} critical, {counts.get('warning', 0)} "  # type: ignore[arg-type]
            f"warning and {counts.get('info', 0)} info findings.",
        )
    ]
    for row in findings.filter(pl.col("severity") == "critical").iter_rows(named=True):
        out.append(("critical", f"{row['entity_type']} {row['entity']}: {row['message']}."))
    return out + change_sentences(changes)


def change_sentences(changes: pl.DataFrame, max_names: int = 4) -> list[Finding]:
    """One sentence per (appeared|cleared, rule): which entities, from when to when."""
    if changes.is_empty():
        return []
    out: list[Finding] = []
    for status, verb in (("new", "appeared"), ("resolved", "cleared")):
        part = changes.filter(pl.col("status") == status)
        per_rule = part.group_by("rule_id", maintain_order=True).agg(
            pl.col("entity"),
            pl.col("severity").first(),
            pl.col("first_seen").min(),
            pl.col("last_seen").max(),
        )
        for row in per_rule.iter_rows(named=True):
            names = row["entity"]
            shown = ", ".join(names[:max_names]) + (
                f" and {len(names) - max_names} more" if len(names) > max_names else ""
            )
            span = f"{units.instant(row['first_seen'])} to {units.instant(row['last_seen'])}"
            # a cleared finding keeps its severity, as in the changes table, marked resolved
            level = row["severity"] if status == "new" else f"{row['severity']} (resolved)"
            out.append((level, f"{row['rule_id']} {verb} during the window on {shown} (seen {span})."))
    return out


def findings_table(findings: pl.DataFrame) -> pl.DataFrame:
    """The findings as the report shows them."""
    return findings.select(
        "severity",
        "rule_id",
        pl.concat_str("entity_type", pl.lit(" "), "entity").alias("entity"),
        "message",
        "recommendation",
    )


def drift_table(configs: pl.DataFrame, ignore: frozenset[str]) -> pl.DataFrame:
    """Broker keys whose values differ between brokers: one column per broker."""
    broker = configs.filter(
        (pl.col("resource_type") == "broker") & ~pl.col("name").is_in(list(ignore)) & ~pl.col("is_sensitive")
    )
    if broker.is_empty():
        return pl.DataFrame({"config": []}, schema={"config": pl.String})
    differs = broker.group_by("name").agg(pl.col("value").n_unique().alias("n")).filter(pl.col("n") > 1)
    rows = broker.filter(pl.col("name").is_in(differs["name"].implode()))
    if rows.is_empty():
        return pl.DataFrame({"config": []}, schema={"config": pl.String})
    wide = rows.select("name", pl.concat_str(pl.lit("broker "), "resource_name").alias("b"), "value")
    return wide.pivot(on="b", index="name", values="value").rename({"name": "config"}).sort("config")


def changes_table(changes: pl.DataFrame, max_names: int = 6) -> pl.DataFrame:
    """Findings that appeared or cleared in the window (persisting ones are left out). Rows that
    differ only by entity (one under-replicated row per topic, all in the same span) collapse
    into one row naming the entities and how many."""
    if changes.is_empty():
        return changes
    keys = ["status", "severity", "rule_id", "first_seen", "last_seen", "snapshots"]
    grouped = (
        changes.filter(pl.col("status") != "throughout")
        .group_by(keys, maintain_order=True)
        .agg(pl.col("entity").sort())
    )
    return grouped.select(
        "status",
        "severity",
        "rule_id",
        pl.col("entity").map_elements(lambda e: _names(list(e), max_names), return_dtype=pl.String),
        pl.col("entity").list.len().alias("entities"),
        pl.col("first_seen").dt.strftime("%Y-%m-%d %H:%M").alias("first seen (UTC)"),
        pl.col("last_seen").dt.strftime("%Y-%m-%d %H:%M").alias("last seen (UTC)"),
        "snapshots",
    )


def _names(names: list[str], limit: int) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
