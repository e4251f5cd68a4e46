"""Transactions: lag to the last stable offset, and hanging transactions.

A read_committed consumer reads nothing at or past the last stable offset (LSO): the first
offset of the oldest open transaction. :func:`add_stable_lag` adds what such a consumer can still
read; :func:`hanging_transactions` finds partitions whose LSO stayed put below a growing log end
for longer than a threshold (a transaction left open blocks every read_committed consumer).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench import units as hz

_KEY = ["cluster", "topic", "partition"]


def add_stable_lag(offsets: pl.DataFrame, stable: pl.DataFrame) -> pl.DataFrame:
    """``offsets`` (with lag columns) plus ``last_stable_offset`` (same snapshot) and
    ``readable_lag`` = max(0, LSO - max(committed, log_start)): null where the LSO is unknown."""
    lso = stable.select("ts", *_KEY, "last_stable_offset")
    out = offsets.join(lso, on=["ts", *_KEY], how="left")
    effective = pl.max_horizontal("committed_offset", "log_start_offset")
    has = pl.col("committed_offset").is_not_null() & pl.col("last_stable_offset").is_not_null()
    readable = pl.max_horizontal(pl.col("last_stable_offset") - effective, pl.lit(0, pl.Int64))
    return out.with_columns(readable_lag=pl.when(has).then(readable))


def hanging_transactions(
    partitions: pl.DataFrame, stable: pl.DataFrame, threshold: dt.timedelta
) -> pl.DataFrame:
    """Spells where a partition's LSO stayed below its log end, unchanged, for longer than
    ``threshold`` while the log end grew. One row per spell: cluster, topic, partition,
    last_stable_offset, since, until (last snapshot of the spell), stuck_for, log_end_offset
    (at ``until``), blocked (log end - LSO at ``until``), ongoing (the spell reaches the
    partition's latest snapshot)."""
    lso = pl.col("last_stable_offset")
    frame = (
        partitions.select("ts", *_KEY, "log_end_offset")
        .join(stable.select("ts", *_KEY, "last_stable_offset"), on=["ts", *_KEY])
        .filter(lso.is_not_null() & pl.col("log_end_offset").is_not_null())
        .sort([*_KEY, "ts"])
    )
    open_ = lso < pl.col("log_end_offset")
    brk = (~open_) | (lso != lso.shift(1).over(_KEY)).fill_null(True)
    frame = frame.with_columns(_open=open_, _spell=brk.cum_sum().over(_KEY))
    latest = frame.group_by(_KEY).agg(pl.col("ts").max().alias("_latest"))
    spells = (
        frame.filter("_open")
        .group_by([*_KEY, "_spell"])
        .agg(
            lso.first(),
            pl.col("ts").min().alias("since"),
            pl.col("ts").max().alias("until"),
            pl.col("log_end_offset").first().alias("_end0"),
            pl.col("log_end_offset").last(),
        )
        .join(latest, on=_KEY)
        .with_columns(stuck_for=pl.col("until") - pl.col("since"))
    )
    grew = pl.col("log_end_offset") > pl.col("_end0")
    return (
        spells.filter((pl.col("stuck_for") > threshold) & grew)
        .with_columns(blocked=pl.col("log_end_offset") - lso, ongoing=pl.col("until") == pl.col("_latest"))
        .select(*_KEY, lso, "since", "until", "stuck_for", "log_end_offset", "blocked", "ongoing")
        .sort(_KEY)
    )


def hanging_over(
    log_ends: pl.DataFrame | None, stable: pl.DataFrame | None, threshold_s: float | None
) -> pl.DataFrame | None:
    """:func:`hanging_transactions` when both histories and a threshold exist, else None."""
    if log_ends is None or stable is None or threshold_s is None:
        return None
    return hanging_transactions(log_ends, stable, dt.timedelta(seconds=threshold_s))


def hanging_findings(hanging: pl.DataFrame | None, top_n: int = 10) -> list[tuple[str, str]]:
    """Partitions whose last stable offset stayed below a growing log end (open transaction)."""
    if hanging is None or hanging.is_empty():
        return []
    out = []
    for r in hanging.sort("stuck_for", descending=True).head(top_n).to_dicts():
        state = "still open" if r["ongoing"] else f"until {hz.instant(r['until'])}"
        out.append(
            (
                "critical" if r["ongoing"] else "warning",
                f"{r['topic']} partition {r['partition']}: a transaction has held the last stable offset at "
                f"{hz.count(r['last_stable_offset'])} since {hz.instant(r['since'])} ({state}, "
                f"{hz.duration(r['stuck_for'].total_seconds())}) while {hz.count(r['blocked'])} newer "
                "messages wait: read_committed consumers read nothing past it. List the open transactions "
                "with kafka-transactions.sh describe-producers "
                f"--topic {r['topic']} --partition {r['partition']}.",
            )
        )
    return out
