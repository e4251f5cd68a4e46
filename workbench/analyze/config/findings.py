"""The config-health report's scorecard, sentences and tables, computed from the analyze frames.

The notebook only displays these. Every text that comes from the cluster goes through
:func:`workbench.report.notebook.md_escape` or :func:`~workbench.report.notebook.table_html`.
"""

from __future__ import annotations

import html
from pathlib import Path

import polars as pl

from workbench.analyze.config_rules import RuleSettings, parse_rule_settings
from workbench.errors import ConfigError
from workbench.report import humanize as hz

Finding = tuple[str, str]


def rule_settings(rules_file: str | None) -> RuleSettings:
    """The report's rule settings: defaults, or those of the ``rules_file`` TOML."""
    if not rules_file:
        return RuleSettings()
    try:
        text = Path(rules_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read rule file {rules_file}: {exc.strerror}") from exc
    return parse_rule_settings(text, rules_file)


def scorecard_html(cluster_info: pl.DataFrame, topics: pl.DataFrame, findings: pl.DataFrame) -> str:
    """Cards: brokers, topics, partitions, bytes, and the critical / warning / info counts."""
    counts = dict(findings.group_by("severity").len().iter_rows()) if findings.height else {}
    info = cluster_info.row(0, named=True) if cluster_info.height else {}
    cards = [
        ("cluster id", str(info.get("cluster_id") or "unknown"), ""),
        ("brokers", str(info.get("broker_count") or 0), ""),
        ("topics", f"{topics.height:,}", ""),
        ("partitions", f"{int(topics['partitions'].sum() or 0):,}" if topics.height else "0", ""),
        ("on disk", _bytes(topics["size_bytes"].sum() if "size_bytes" in topics.columns else 0), ""),
        ("critical", str(counts.get("critical", 0)), "crit" if counts.get("critical") else "ok"),
        ("warning", str(counts.get("warning", 0)), "warn" if counts.get("warning") else "ok"),
        ("info", str(counts.get("info", 0)), ""),
    ]
    colors = {"crit": "#8e0000", "warn": "#b07400", "ok": "#2e7d32", "": "#1f2933"}
    body = "".join(
        '<div style="display:inline-block;min-width:110px;margin:0 10px 10px 0;padding:8px 12px;'
        f'border:1px solid #d9e2ec;border-radius:6px"><div style="font-size:12px;color:#52606d">'
        f'{html.escape(label)}</div><div style="font-size:20px;font-weight:600;color:{colors[kind]}">'
        f"{html.escape(value)}</div></div>"
        for label, value, kind in cards
    )
    return f'<div class="wb-scorecard">{body}</div>'


def _bytes(n: float | None) -> str:
    n = float(n or 0)
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def headline(findings: pl.DataFrame, changes: pl.DataFrame, ts: object) -> list[Finding]:
    """(level, sentence) pairs: the verdict, then what appeared and cleared in the window."""
    if findings.is_empty() and changes.is_empty():
        return [("ok", f"No findings at {hz.instant(ts)}: every rule passes.")]  # type: ignore[arg-type]
    counts = dict(findings.group_by("severity").len().iter_rows()) if findings.height else {}
    level = "critical" if counts.get("critical") else "warning" if counts.get("warning") else "ok"
    out = [
        (
            level,
            f"At {hz.instant(ts)}: {counts.get('critical', 0)} critical, {counts.get('warning', 0)} "  # type: ignore[arg-type]
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
            span = f"{hz.instant(row['first_seen'])} to {hz.instant(row['last_seen'])}"
            level = row["severity"] if status == "new" else "info"
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


def changes_table(changes: pl.DataFrame) -> pl.DataFrame:
    """Findings that appeared or cleared in the window (persisting ones are left out)."""
    if changes.is_empty():
        return changes
    return changes.filter(pl.col("status") != "throughout").select(
        "status",
        "severity",
        "rule_id",
        "entity",
        pl.col("first_seen").dt.strftime("%Y-%m-%d %H:%M").alias("first seen (UTC)"),
        pl.col("last_seen").dt.strftime("%Y-%m-%d %H:%M").alias("last seen (UTC)"),
        "snapshots",
    )
