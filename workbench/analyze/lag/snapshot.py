"""The quick view: each group's lag at its newest snapshot, classified by :mod:`.levels`."""

from __future__ import annotations

import polars as pl

from workbench.analyze.lag.levels import LEVELS, LagLevels, classify, worst


def latest_group_lag(offsets: pl.DataFrame | pl.LazyFrame, levels: LagLevels) -> pl.DataFrame:
    """Per group at its newest snapshot: state, partitions, committed partitions, coverage,
    total and max partition lag (over partitions with a commit only), members, ``level`` and
    ``reasons`` by :func:`workbench.analyze.lag.levels.classify` on the total lag (one snapshot:
    no time lag, no Burrow status).

    ``offsets`` must carry the lag columns of :func:`workbench.frames.add_lag_columns`.
    Sorted by level (critical first), then total lag.
    """
    lf = offsets.lazy()
    newest = lf.group_by("group").agg(pl.col("ts").max().alias("_newest"))
    latest = lf.join(newest, on="group").filter(pl.col("ts") == pl.col("_newest"))
    summary = latest.group_by("group").agg(
        pl.col("ts").first().alias("as_of"),
        pl.col("group_state").first().alias("state"),
        pl.len().alias("partitions").cast(pl.Int64),
        pl.col("committed_offset").is_not_null().sum().alias("committed_partitions").cast(pl.Int64),
        pl.col("lag").sum().alias("total_lag"),
        pl.col("lag").max().alias("max_partition_lag"),
        pl.col("member_id").drop_nulls().n_unique().alias("members").cast(pl.Int64),
        pl.col("topic").unique().sort().str.join(",").alias("topics"),
        pl.col("retention_gap").fill_null(False).any().alias("retention_gap"),
    )
    rank = pl.col("level").replace_strict({v: i for i, v in enumerate(LEVELS)}, return_dtype=pl.Int8)
    frame = summary.with_columns(
        coverage=pl.col("committed_partitions") / pl.col("partitions"),
        total_lag=pl.col("total_lag").fill_null(0),
    ).collect()
    judged = [classify(levels, lag=lag) for lag in frame["total_lag"].to_list()]
    frame = frame.with_columns(
        level=pl.Series([j[0] for j in judged], dtype=pl.String),
        reasons=pl.Series([j[1] for j in judged], dtype=pl.List(pl.String)),
    )
    return frame.sort([rank, "total_lag", "group"], descending=[True, True, False])


def worst_level(summary: pl.DataFrame) -> str:
    """The most severe level in a :func:`latest_group_lag` frame (``ok`` when empty)."""
    return worst(summary["level"].to_list() if summary.height else [])
