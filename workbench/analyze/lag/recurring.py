"""Trouble over the whole window, not only the last snapshot: lag spells and when they recur.

A spell is a run of consecutive snapshots of a group at ``warning`` or worse (the level column,
from the one severity rule). A spell belongs to the part of day of its midpoint (UTC): night 0-6 h,
morning 6-12 h, afternoon 12-18 h, evening 18-24 h. A group whose spells fall in the same part
of day on two or more days has recurring trouble: "fell behind on 6 of 7 afternoons".
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from workbench import units

PARTS_OF_DAY: tuple[tuple[str, int], ...] = (("night", 0), ("morning", 6), ("afternoon", 12), ("evening", 18))
_SEVERITY = {"ok": 0, "warning": 1, "critical": 2}


def part_of_day(hour: pl.Expr) -> pl.Expr:
    """The part of day of an hour (0-23) as text."""
    expr = pl.lit(PARTS_OF_DAY[0][0])
    for name, start in PARTS_OF_DAY[1:]:
        expr = pl.when(hour >= start).then(pl.lit(name)).otherwise(expr)
    return expr


def lag_spells(levels: pl.DataFrame) -> pl.DataFrame:
    """Runs of consecutive snapshots at warning or worse, per group.

    ``levels``: group, ts, level (ok/warning/critical), max_time_lag_s (nullable). One row per
    spell: group, start, end, snapshots, level (worst), peak_time_lag_s, peak_at, mid, part_of_day.
    """
    bad = pl.col("level") != "ok"
    frame = levels.sort("group", "ts").with_columns(
        _run=(bad != bad.shift(1).over("group")).fill_null(True).cum_sum().over("group")
    )
    sev = pl.col("level").replace_strict(_SEVERITY, default=0, return_dtype=pl.Int8)
    lag = pl.col("max_time_lag_s")
    spells = (
        frame.filter(bad)
        .group_by("group", "_run")
        .agg(
            pl.col("ts").min().alias("start"),
            pl.col("ts").max().alias("end"),
            pl.len().alias("snapshots"),
            pl.col("level").sort_by(sev).last(),
            lag.max().alias("peak_time_lag_s"),
            pl.col("ts").sort_by(lag.fill_null(-1.0)).last().alias("peak_at"),
        )
        .drop("_run")
    )
    mid = pl.col("start") + (pl.col("end") - pl.col("start")) / 2
    return spells.with_columns(mid=mid, part_of_day=part_of_day(mid.dt.hour())).sort("group", "start")


def spell_days(levels: pl.DataFrame) -> pl.DataFrame:
    """Per group: ``of_days``, the days of the window with snapshots of the group."""
    return levels.group_by("group").agg(pl.col("ts").dt.date().n_unique().alias("of_days")).sort("group")


def recurring_spells(spells: pl.DataFrame, levels: pl.DataFrame, min_days: int = 2) -> pl.DataFrame:
    """Per (group, part of day) with spells on at least ``min_days`` days: days (with a spell),
    of_days (days of the window with snapshots of the group), peak_time_lag_s, peak_at.
    ``levels``: the snapshot levels, or their :func:`spell_days` already."""
    days = levels if "of_days" in levels.columns else spell_days(levels)
    lag = pl.col("peak_time_lag_s")
    out = (
        spells.group_by("group", "part_of_day")
        .agg(
            pl.col("mid").dt.date().n_unique().alias("days"),
            lag.max(),
            pl.col("peak_at").sort_by(lag.fill_null(-1.0)).last(),
        )
        .join(days, on="group")
        .filter(pl.col("days") >= min_days)
    )
    return out.sort(["days", "peak_time_lag_s"], descending=True, nulls_last=True)


def peak_time_lag(levels: pl.DataFrame) -> pl.DataFrame:
    """Per group: the largest time lag of the window and when (groups without one: left out)."""
    lag = pl.col("max_time_lag_s")
    return (
        levels.filter(lag.is_not_null())
        .group_by("group")
        .agg(lag.max().alias("peak_time_lag_s"), pl.col("ts").sort_by(lag).last().alias("peak_at"))
        .sort("peak_time_lag_s", descending=True)
    )


LevelOf = Callable[[str | None, float | None, float | None], str]


def snapshot_levels(groups: pl.DataFrame, group_status: pl.DataFrame, level_of: LevelOf) -> pl.DataFrame:
    """Per (group, ts): the level of the one severity rule (``level_of(status, time_lag_s,
    lag)``) from the Burrow status (where evaluated), the time lag and the total lag."""
    status = group_status.select(
        "group", "ts", "status", *(["evaluated"] if "evaluated" in group_status.columns else [])
    )
    frame = groups.select("group", "ts", "max_time_lag_s", "total_lag").join(
        status, on=["group", "ts"], how="left"
    )
    if "evaluated" in frame.columns:
        frame = frame.with_columns(status=pl.when(pl.col("evaluated")).then("status"))
    rows = frame.select("status", "max_time_lag_s", "total_lag").rows()
    return frame.with_columns(level=pl.Series([level_of(*r) for r in rows], dtype=pl.String))


def recurring_findings(levels: pl.DataFrame, limit: int = 10) -> list[tuple[str, str]]:
    """``"analytics-etl fell behind on 7 of 7 afternoons, peak 1 h 10 min behind at 17:45 UTC
    (2026-11-19)."`` per recurring (group, part of day), most days first."""
    return recurring_from(lag_spells(levels), spell_days(levels), limit)


def recurring_from(spells: pl.DataFrame, of_days: pl.DataFrame, limit: int = 10) -> list[tuple[str, str]]:
    """:func:`recurring_findings` from :func:`lag_spells` and :func:`spell_days` (of many pieces)."""
    out = []
    for row in recurring_spells(spells, of_days).head(limit).iter_rows(named=True):
        peak = row["peak_time_lag_s"]
        at = row["peak_at"]
        behind = f"peak {units.duration(peak)} behind" if peak is not None else "peak time lag unknown"
        text = (
            f"{row['group']} fell behind on {row['days']} of {row['of_days']} {row['part_of_day']}s, "
            f"{behind} at {at:%H:%M} UTC ({at:%Y-%m-%d})."
        )
        out.append(("warning", text))
    return out
