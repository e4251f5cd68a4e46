"""The quick view: each group's lag at its newest snapshot, classified healthy/warning/critical."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from workbench.errors import ConfigError

LEVELS = ("healthy", "warning", "critical")


@dataclass(frozen=True)
class LagThresholds:
    """A group is ``warning`` at ``warn`` messages of total lag and ``critical`` at ``crit``."""

    warn: int = 1_000
    crit: int = 10_000

    def __post_init__(self) -> None:
        if self.warn < 0 or self.crit < self.warn:
            raise ConfigError(f"thresholds need 0 <= warn <= crit (got warn={self.warn}, crit={self.crit})")

    def __str__(self) -> str:
        return f"warning at {self.warn:,}, critical at {self.crit:,} messages of total lag"


def latest_group_lag(offsets: pl.DataFrame | pl.LazyFrame, thresholds: LagThresholds) -> pl.DataFrame:
    """Per group at its newest snapshot: state, partitions, committed partitions, coverage,
    total and max partition lag (over partitions with a commit only), members, level.

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
    level = (
        pl.when(pl.col("total_lag") >= thresholds.crit)
        .then(pl.lit("critical"))
        .when(pl.col("total_lag") >= thresholds.warn)
        .then(pl.lit("warning"))
        .otherwise(pl.lit("healthy"))
    )
    rank = pl.col("level").replace_strict({v: i for i, v in enumerate(LEVELS)}, return_dtype=pl.Int8)
    return (
        summary.with_columns(
            coverage=pl.col("committed_partitions") / pl.col("partitions"),
            total_lag=pl.col("total_lag").fill_null(0),
            level=level,
        )
        .sort([rank, "total_lag", "group"], descending=[True, True, False])
        .collect()
    )


def worst_level(summary: pl.DataFrame) -> str:
    """The most severe level in a :func:`latest_group_lag` frame (``healthy`` when empty)."""
    present = set(summary["level"].to_list()) if summary.height else set()
    return max(present, key=LEVELS.index, default="healthy")
