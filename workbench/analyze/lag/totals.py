"""Group lag totals over time: per snapshot first, then per bucket (the explore notebook's chart).

Summing lag over every row of an hour adds up each snapshot's total once per snapshot in that
hour (12 snapshots at 5 min: 12x the lag). The total of a group at one snapshot is the sum over
its partitions; a bucket then takes the max (or mean) of those totals.
"""

from __future__ import annotations

from typing import Literal

import polars as pl


def snapshot_totals(offsets: pl.DataFrame) -> pl.DataFrame:
    """Total lag per (ts, group): the sum over the group's partitions at that snapshot."""
    return offsets.group_by("ts", "group").agg(pl.col("lag").sum()).sort("group", "ts")


def bucket_totals(
    offsets: pl.DataFrame, every: str = "1h", how: Literal["max", "mean"] = "max"
) -> pl.DataFrame:
    """Per (bucket start ``ts``, group): the ``how`` of the group's per-snapshot totals."""
    agg = pl.col("lag").max() if how == "max" else pl.col("lag").mean()
    totals = snapshot_totals(offsets)
    return totals.group_by_dynamic("ts", every=every, group_by="group").agg(agg).sort("group", "ts")
