"""The fleet view: every cluster of a data directory side by side (pure; docs/fleet.md).

Per cluster: its groups at their newest snapshot (how many in ERR and WARN, the largest time
lag), the hottest topic's headroom, and the broker whose disk forecast fills first; then the
cluster and broker that run out first across the fleet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from workbench.analyze.capacity.plan import CapacityPlan

#: The columns of :func:`fleet_table`, in order.
FLEET_COLUMNS = [
    "cluster",
    "as_of",
    "groups",
    "err_groups",
    "warn_groups",
    "max_time_lag_s",
    "max_time_lag_group",
    "hottest_topic",
    "hottest_utilization",
    "topics_over",
    "first_full_broker",
    "broker_days_until_fill",
    "brokers_now",
    "brokers_needed",
]


@dataclass(frozen=True)
class ClusterView:
    """One cluster's inputs to the fleet table: its per-group rows (``group_table`` columns, any
    snapshots) and its capacity plan (None when it has no capacity history)."""

    cluster: str
    groups: pl.DataFrame
    plan: CapacityPlan | None = None


def newest_per_group(groups: pl.DataFrame) -> pl.DataFrame:
    """Each group's row at its newest snapshot."""
    if groups.is_empty():
        return groups
    return groups.filter(pl.col("ts") == pl.col("ts").max().over("cluster", "group"))


def lag_summary(groups: pl.DataFrame) -> dict[str, object]:
    """Group counts by status, the newest snapshot and the largest time lag, from per-group rows."""
    now = newest_per_group(groups)
    if now.is_empty():
        return {"as_of": None, "groups": 0, "err_groups": 0, "warn_groups": 0}
    worst = now.sort("max_time_lag_s", descending=True, nulls_last=True).row(0, named=True)
    return {
        "as_of": now["ts"].max(),
        "groups": now.height,
        "err_groups": now.filter(pl.col("status") == "ERR").height,
        "warn_groups": now.filter(pl.col("status") == "WARN").height,
        "max_time_lag_s": worst["max_time_lag_s"],
        "max_time_lag_group": worst["group"] if worst["max_time_lag_s"] is not None else None,
    }


def capacity_summary(plan: CapacityPlan | None) -> dict[str, object]:
    """The hottest topic (highest utilization of its measured partition capacity), how many topics
    are over it, and the broker whose disk forecast reaches the fill target first."""
    if plan is None:
        return {}
    out: dict[str, object] = {
        "brokers_now": plan.cluster.get("brokers_now"),
        "brokers_needed": plan.cluster.get("brokers_needed"),
    }
    topics = plan.topics.filter(pl.col("utilization").is_not_null()) if plan.topics.height else plan.topics
    if topics.height:
        hot = topics.sort("utilization", descending=True).row(0, named=True)
        out |= {"hottest_topic": hot["topic"], "hottest_utilization": hot["utilization"]}
        out["topics_over"] = topics.filter(pl.col("status") == "over").height
    brokers = plan.brokers.filter(pl.col("days_until_fill").is_not_null()) if plan.brokers.height else None
    if brokers is not None and brokers.height:
        first = brokers.sort("days_until_fill").row(0, named=True)
        out |= {"first_full_broker": first["broker"], "broker_days_until_fill": first["days_until_fill"]}
    return out


def fleet_table(views: list[ClusterView]) -> pl.DataFrame:
    """One row per cluster (:data:`FLEET_COLUMNS`): the soonest broker disk fill first, then the
    most groups in ERR."""
    rows = [{"cluster": v.cluster, **lag_summary(v.groups), **capacity_summary(v.plan)} for v in views]
    schema: dict[str, pl.DataType] = {
        "cluster": pl.String(),
        "as_of": pl.Datetime("us", "UTC"),
        "groups": pl.Int64(),
        "err_groups": pl.Int64(),
        "warn_groups": pl.Int64(),
        "max_time_lag_s": pl.Float64(),
        "max_time_lag_group": pl.String(),
        "hottest_topic": pl.String(),
        "hottest_utilization": pl.Float64(),
        "topics_over": pl.Int64(),
        "first_full_broker": pl.Int64(),
        "broker_days_until_fill": pl.Float64(),
        "brokers_now": pl.Float64(),
        "brokers_needed": pl.Float64(),
    }
    frame = pl.DataFrame([{c: r.get(c) for c in FLEET_COLUMNS} for r in rows], schema=schema)
    return frame.sort(
        ["broker_days_until_fill", "err_groups", "cluster"], descending=[False, True, False], nulls_last=True
    )


def runs_out_first(table: pl.DataFrame) -> str | None:
    """One sentence naming the cluster and broker whose disk fills first, or None when no
    cluster has a disk forecast that reaches its fill target."""
    dated = table.filter(pl.col("broker_days_until_fill").is_not_null())
    if dated.is_empty():
        return None
    row = dated.sort("broker_days_until_fill").row(0, named=True)
    days = row["broker_days_until_fill"]
    when = (row["as_of"] or dt.datetime.now(dt.UTC)) + dt.timedelta(days=days)
    return (
        f"Cluster {row['cluster']} runs out first: broker {row['first_full_broker']}'s disk reaches the "
        f"fill target in {days:.0f} days (around {when:%Y-%m-%d}), from measured log-dir sizes and growth."
    )


def fleet_findings(table: pl.DataFrame) -> list[tuple[str, str]]:
    """The report's findings: the cluster and broker that run out first, then each cluster with
    groups in ERR (worst first)."""
    out: list[tuple[str, str]] = []
    first = runs_out_first(table)
    if first is not None:
        out.append(("warning", first))
    in_err = table.filter(pl.col("err_groups") > 0).sort("err_groups", descending=True)
    for row in in_err.iter_rows(named=True):
        text = f"Cluster {row['cluster']}: {row['err_groups']} of {row['groups']} groups in ERR."
        out.append(("critical", text))
    if not out and table.height:
        out.append(("info", f"{table.height} clusters: no group in ERR, no broker disk forecast to fill."))
    return out
