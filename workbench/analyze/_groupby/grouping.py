"""Group-bys of the lag analysis by (keys, ts[, minor]) on one integer key or a snapshot grid.

Histories are sorted by partition then time, so keys come in long runs: ids are computed from the
first row of each run (:func:`dense_ids`, :func:`map_runs`). :func:`_group_ts` groups on the
snapshot grid when the history is on one (:mod:`workbench.analyze._groupby.grid`: numpy reductions, no
hashing), else by a hash group-by on one packed integer key; ``cache`` dicts share ids and grids
between the stages of one analysis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import polars as pl

from workbench.analyze._groupby.grid import GRID_OPS, Agg, Bins, KeyCache, aggregate, grid_bins
from workbench.scalars import as_int

T = TypeVar("T")


def dense_ids(frame: pl.DataFrame, keys: Sequence[str], nulls_last: bool = False) -> pl.Series:
    """A dense UInt32 id per distinct ``keys`` value, numbered in ``sort(keys, nulls_last)`` order.

    Hashes only one row per run of equal keys (histories are sorted by partition, so runs are
    long): the runs' keys are numbered, then the run ids are mapped to those numbers.
    """
    run = frame.select(pl.struct(keys).rle_id()).to_series()
    starts = frame.select(keys).filter((run != run.shift(1)).fill_null(True))
    uniq = starts.unique().sort(keys, nulls_last=nulls_last).with_row_index("_id")
    ids = starts.join(uniq, on=list(keys), how="left", maintain_order="left", nulls_equal=True)["_id"]
    return ids.gather(run)


def map_runs(frame: pl.DataFrame, keys: Sequence[str], table: pl.DataFrame, value: str) -> pl.Series:
    """``frame.select(keys).join(table, on=keys, how="left", maintain_order="left")[value]``, joining
    one row per run of equal keys (long runs in a history sorted by partition) instead of every row."""
    run = frame.select(pl.struct(keys).rle_id()).to_series()
    starts = frame.select(keys).filter((run != run.shift(1)).fill_null(True))
    vals = starts.join(table.select(*keys, value), on=list(keys), how="left", maintain_order="left")[value]
    return vals.gather(run)


def _memo(cache: KeyCache | None, name: tuple[Any, ...], fn: Callable[[], T]) -> T:
    """``fn()``, remembered in ``cache`` under ``name`` (when a cache is given)."""
    if cache is None:
        return fn()
    if name not in cache:
        cache[name] = fn()
    value: T = cache[name]
    return value


def _packed_key(
    frame: pl.DataFrame,
    keys: Sequence[str],
    minor: str | None = None,
    nulls_last: bool = False,
    cache: KeyCache | None = None,
) -> tuple[pl.Series, int] | None:
    """One Int64 group key for (``keys``, ts[, ``minor``]) whose order is the sort order of those
    columns (``nulls_last`` as given), and the number of ``minor`` values (the key's last digit);
    None when that cannot be packed (null ts, overflow).

    Grouping by one integer is several times cheaper than hashing strings and a timestamp.
    ``cache``: a dict shared by calls on frames with the same key columns in the same row order
    (the stages of one analysis), so the dense ids and timestamps are computed once.
    """
    if frame.height == 0 or frame["ts"].null_count():
        return None

    def epoch() -> tuple[pl.Series, int, int]:
        ts = frame["ts"].dt.epoch("us")
        tmin, tmax = as_int(ts.min()) or 0, as_int(ts.max()) or 0
        return ts - tmin, tmin, tmax - tmin + 1

    ts, _, span = _memo(cache, ("ts",), epoch)
    gid = _memo(
        cache, ("ids", tuple(keys), nulls_last), lambda: dense_ids(frame, keys, nulls_last).cast(pl.Int64)
    )
    width = 1
    mid = None
    if minor is not None:
        mid = _memo(
            cache, ("ids", (minor,), nulls_last), lambda: dense_ids(frame, [minor], nulls_last).cast(pl.Int64)
        )
        width = (as_int(mid.max()) or 0) + 1
    if float((as_int(gid.max()) or 0) + 1) * span * width >= 2.0**62:
        return None
    key = (gid * span + ts) * width
    return (key if mid is None else key + mid), width


def _group_ts(
    frame: pl.DataFrame, keys: Sequence[str], aggs: Sequence[Agg], minor: str | None = None,
    nulls_last: bool = False, carry: Sequence[str] = (), cache: KeyCache | None = None,
) -> tuple[pl.LazyFrame, int] | None:  # fmt: skip
    """Group ``frame`` by (``keys``, ts[, ``minor``]): a lazy frame of the key columns (and
    ``carry`` columns: their first value in the group), ``_k`` and the aggregates, sorted like
    ``sort([*keys, "ts", minor], nulls_last=nulls_last)``, plus the key's width of ``minor``
    values (``_k // width`` identifies (keys, ts)). None when neither fast form applies.

    On a snapshot grid (:func:`~workbench.analyze._groupby.grid.grid_bins`) the aggregates are numpy passes
    into dense bins; otherwise a hash group-by on one packed integer key. ``cache``: see
    :func:`_packed_key`.
    """
    names = [*keys, "ts", *([minor] if minor else []), *carry]
    grid = _grid_group(frame, keys, aggs, minor, nulls_last, cache)
    if grid is not None:
        bins, out = grid
        firsts = frame.select(names).gather(pl.Series(bins.first))
        label = pl.Series("_k", bins.label, dtype=pl.Int64)
        return pl.concat([firsts, label.to_frame(), out], how="horizontal").lazy(), bins.width
    packed = _packed_key(frame, keys, minor, nulls_last, cache=cache)
    if packed is None:
        return None
    key, width = packed
    out = (
        frame.lazy()
        .with_columns(_k=key, _row=pl.int_range(pl.len(), dtype=pl.UInt32))
        .group_by("_k")
        .agg(pl.col("_row").min(), *(a.polars() for a in aggs))
        .sort("_k")
        .collect(engine="in-memory")  # the streaming engine's float sums vary from run to run
    )
    firsts = frame.select(names).gather(out["_row"])
    return pl.concat([firsts, out.drop("_row")], how="horizontal").lazy(), width


def _grid_group(
    frame: pl.DataFrame, keys: Sequence[str], aggs: Sequence[Agg], minor: str | None,
    nulls_last: bool, cache: KeyCache | None,
) -> tuple[Bins, pl.DataFrame] | None:  # fmt: skip
    """:func:`_group_ts`'s bins and aggregates on a snapshot grid, or None."""
    pkeys = [c for c in ("topic", "partition") if c in frame.columns and c not in keys]
    if (
        not pkeys
        or not all(a.op in GRID_OPS for a in aggs)
        or grid_bins(frame, keys, pkeys, cache=cache) is None
    ):
        return None
    minor_ids = None
    if minor is not None:
        gid = _memo(
            cache, ("ids", tuple(keys), nulls_last), lambda: dense_ids(frame, keys, nulls_last).cast(pl.Int64)
        )
        mid = _memo(
            cache,
            ("ids", (*keys, minor), nulls_last),
            lambda: dense_ids(frame, [*keys, minor], nulls_last).cast(pl.Int64),
        ).to_numpy()
        g = gid.to_numpy()
        low = np.full(int(g.max()) + 1, np.iinfo(np.int64).max)
        np.minimum.at(low, g, mid)  # a group's members are numbered consecutively
        minor_ids = pl.Series(mid - low[g])
    bins = grid_bins(frame, keys, pkeys, minor_ids, cache=cache)
    if bins is None:
        return None
    out = aggregate(frame, bins, aggs)
    return None if out is None else (bins, out)
