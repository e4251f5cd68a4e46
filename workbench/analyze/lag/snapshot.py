"""The quick view: each group's lag at its newest snapshot, classified by :mod:`.levels`."""

from __future__ import annotations

import polars as pl

from workbench.analyze.lag.levels import LEVELS, LagLevels, classify, worst


def latest_group_lag(offsets: pl.DataFrame | pl.LazyFrame, levels: LagLevels) -> pl.DataFrame:
    """Per group at its newest snapshot: state, partitions, committed partitions, coverage,
    total and max partition lag (over partitions with a commit only), members, time lag (where
    the offsets carry ``time_lag_s``), ``level`` and ``reasons`` by
    :func:`workbench.analyze.lag.levels.classify` on the time lag and the total lag (one
    snapshot: no Burrow status).

    ``offsets`` must carry the lag columns of :func:`workbench.frames.add_lag_columns`.
    Sorted by level (critical first), then total lag.
    """
    summary = (
        _newest(offsets)
        .group_by("group")
        .agg(
            pl.col("ts").first().alias("as_of"),
            pl.col("group_state").first().alias("state"),
            pl.len().alias("partitions").cast(pl.Int64),
            pl.col("committed_offset").is_not_null().sum().alias("committed_partitions").cast(pl.Int64),
            pl.col("lag").sum().alias("total_lag"),
            pl.col("lag").max().alias("max_partition_lag"),
            pl.col("member_id").drop_nulls().n_unique().alias("members").cast(pl.Int64),
            pl.col("topic").unique().sort().str.join(",").alias("topics"),
            pl.col("retention_gap").fill_null(False).any().alias("retention_gap"),
            *_flag_counts(),
            *_stable_sums(offsets),
            *_time_lag(offsets),
        )
    )
    rank = pl.col("level").replace_strict({v: i for i, v in enumerate(LEVELS)}, return_dtype=pl.Int8)
    frame = summary.with_columns(
        coverage=pl.col("committed_partitions") / pl.col("partitions"),
        total_lag=pl.col("total_lag").fill_null(0),
    ).collect()
    judged = [
        classify(levels, time_lag_s=tl, lag=lag)
        for lag, tl in zip(frame["total_lag"].to_list(), frame["time_lag_s"].to_list(), strict=True)
    ]
    frame = frame.with_columns(
        level=pl.Series([j[0] for j in judged], dtype=pl.String),
        reasons=pl.Series([j[1] for j in judged], dtype=pl.List(pl.String)),
    )
    frame = frame.with_columns(_flags(frame))
    return frame.sort([rank, "total_lag", "group"], descending=[True, True, False])


#: Offset flags (lag.md section 5): count column -> what it means for the group.
FLAGS = {
    "ahead_partitions": "committed above the log end on {} (will be reset)",
    "below_start_partitions": "committed below the log start on {} (retention deleted unread data)",
    "never_committed_partitions": "never committed on {}",
    "held_partitions": "behind an open transaction on {} (read_committed consumers wait for it)",
}


def _time_lag(offsets: pl.DataFrame | pl.LazyFrame) -> list[pl.Expr]:
    """The group's time lag (its most-behind partition, as the lag report) when the offsets carry
    ``time_lag_s`` (:func:`workbench.analyze.lag.time_lag`), else null."""
    if "time_lag_s" in offsets.lazy().collect_schema():
        return [pl.col("time_lag_s").max().alias("time_lag_s")]
    return [pl.lit(None, pl.Float64).alias("time_lag_s")]


def _stable_sums(offsets: pl.DataFrame | pl.LazyFrame) -> list[pl.Expr]:
    """``readable_lag`` (total lag to the last stable offsets: what a read_committed consumer
    can read; null where no LSO is known) and ``held_partitions`` (LSO below the log end with
    lag past the LSO), when the offsets carry :func:`workbench.frames.add_stable_lag` columns."""
    if "readable_lag" not in offsets.lazy().collect_schema():
        return [pl.lit(None, pl.Int64).alias("readable_lag"), pl.lit(0, pl.Int64).alias("held_partitions")]
    held = pl.col("readable_lag").is_not_null() & (pl.col("lag") > pl.col("readable_lag"))
    known = pl.col("readable_lag").is_not_null().any()
    return [
        pl.when(known).then(pl.col("readable_lag").sum()).alias("readable_lag"),
        held.fill_null(False).sum().cast(pl.Int64).alias("held_partitions"),
    ]


def _flag_counts() -> list[pl.Expr]:
    return [
        pl.col("ahead_of_log_end").fill_null(False).sum().cast(pl.Int64).alias("ahead_partitions"),
        pl.col("retention_gap").fill_null(False).sum().cast(pl.Int64).alias("below_start_partitions"),
        pl.col("committed_offset").is_null().sum().cast(pl.Int64).alias("never_committed_partitions"),
    ]


def _flags(frame: pl.DataFrame) -> pl.Series:
    """Each group's offset flags as sentences (empty list: none)."""
    rows = frame.select(list(FLAGS)).rows()
    texts = [
        [
            text.format(f"{n} partition{'s' if n != 1 else ''}")
            for text, n in zip(FLAGS.values(), row, strict=True)
            if n
        ]
        for row in rows
    ]
    return pl.Series("flags", texts, dtype=pl.List(pl.String))


def worst_level(summary: pl.DataFrame) -> str:
    """The most severe level in a :func:`latest_group_lag` frame (``ok`` when empty)."""
    return worst(summary["level"].to_list() if summary.height else [])


def _newest(offsets: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    lf = offsets.lazy()
    return lf.filter(pl.col("ts") == pl.col("ts").max().over("group"))


def latest_partitions(offsets: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Per group and partition at the group's newest snapshot: offsets, lag, owner and flags."""
    lf = _newest(offsets)
    schema = lf.collect_schema()
    flags = [c for c in ("retention_gap", "ahead_of_log_end", "never_committed") if c in schema]
    cols = ["group", "topic", "partition", "committed_offset", "log_end_offset", "lag", "client_id", "host"]
    cols[6:6] = [c for c in ("last_stable_offset", "readable_lag") if c in schema]
    return lf.select(*cols, *flags, pl.col("ts").alias("as_of")).sort("group", "topic", "partition").collect()


def latest_members(offsets: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Per group member at the group's newest snapshot: client, host, partitions owned and their lag."""
    return (
        _newest(offsets)
        .filter(pl.col("member_id").is_not_null())
        .group_by("group", "member_id")
        .agg(
            pl.col("client_id").first(),
            pl.col("host").first(),
            pl.len().cast(pl.Int64).alias("partitions"),
            pl.col("lag").sum().alias("lag"),
            pl.col("lag").max().alias("max_partition_lag"),
            pl.col("ts").first().alias("as_of"),
        )
        .sort("group", pl.col("lag"), descending=[False, True])
        .collect()
    )
