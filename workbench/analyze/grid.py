"""Group-bys on a snapshot grid: aggregates per (group, ts[, member]) without hashing.

A collected history samples every partition of a group at the same snapshots (one ts per
collection): within a group, each partition's rows carry the same sequence of timestamps. Then
the rows of (group, ts) are "row *i* of every partition run of the group", the bin of a row is
``first bin of its group + its index in its partition run``, and each aggregate is one
sequential numpy pass (``np.add.at``, ``np.maximum.at``, ``np.bincount``) into a small output
array: no hash table, no gathering of rows scattered one partition-length apart.

:func:`grid_bins` recognises the layout (None when the history is not on a grid: a partition
added mid-history, a snapshot that missed a partition, unsorted rows) and callers then use the
hash group-by. :class:`Agg` declares an aggregate once for both engines; :func:`aggregate`
evaluates a list of them and returns exactly the columns and types a Polars group-by would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import polars as pl

Op = Literal["len", "count", "sum", "max", "any", "mean", "n_unique"]
GRID_OPS: Final = frozenset({"len", "count", "sum", "max", "any", "mean"})


@dataclass(frozen=True)
class Agg:
    """One aggregate: ``op`` over the per-row values of ``expr`` (none for ``len``), named ``name``
    and cast to ``dtype`` when given. Nulls are skipped, like Polars' aggregations."""

    name: str
    op: Op
    expr: pl.Expr | None = None
    dtype: pl.DataType | None = None

    def polars(self) -> pl.Expr:
        """The Polars aggregation expression."""
        if self.op == "len":
            out = pl.len()
        else:
            assert self.expr is not None
            out = getattr(self.expr, self.op)()
        return (out if self.dtype is None else out.cast(self.dtype)).alias(self.name)


@dataclass(frozen=True)
class Bins:
    """Per row its bin (``key``); per bin its first row (``first``); bins in (group, ts[, minor])
    order. ``width``: the number of ``minor`` slots per (group, ts), so ``label // width`` is the
    (group, ts) bin of a ``label``."""

    key: np.ndarray
    first: np.ndarray
    label: np.ndarray
    width: int
    blocks: tuple[tuple[int, int, int, int], ...] = ()
    """Without a minor level: per group (first row, partitions, snapshots, first bin); its rows
    are a (partitions × snapshots) block, so an aggregate is a reduction along the first axis."""


def _run_starts(frame: pl.DataFrame, cols: Sequence[str]) -> np.ndarray:
    """Rows where any of ``cols`` differs from the previous row (row 0 included)."""
    changed = frame.select(pl.any_horizontal(pl.col(c) != pl.col(c).shift(1) for c in cols)).to_series()
    return np.flatnonzero(changed.fill_null(True).to_numpy())


def _grid(frame: pl.DataFrame, gkeys: Sequence[str], pkeys: Sequence[str]) -> Bins | None:
    """The bins of the (group, ts) grid, or None when not on a grid."""
    n = frame.height
    cols = [*gkeys, *pkeys, "ts"]
    if n == 0 or any(c not in frame.columns for c in cols) or any(frame[c].null_count() for c in cols):
        return None
    g_starts = _run_starts(frame, gkeys)
    heads = frame.select(gkeys)[g_starts]
    if not heads.is_unique().all() or not heads.equals(heads.sort(gkeys)):
        return None  # a group split into several runs, or groups out of order
    p_starts = _run_starts(frame, [*gkeys, *pkeys])
    p_len = np.diff(np.append(p_starts, n))
    g_of_run = np.searchsorted(g_starts, p_starts, side="right") - 1
    g_len = p_len[np.searchsorted(p_starts, g_starts)]  # each group's first partition run
    if not (p_len == g_len[g_of_run]).all():
        return None  # partitions with different numbers of snapshots
    t = frame["ts"].dt.epoch("us").to_numpy()
    t_idx = np.arange(n, dtype=np.int64) - np.repeat(p_starts, p_len)
    row_g = np.repeat(g_of_run, p_len)
    if not (t == t[g_starts[row_g] + t_idx]).all():
        return None  # partitions sampled at different times
    new_run = np.zeros(n, dtype=bool)
    new_run[p_starts] = True
    if not ((t[1:] > t[:-1]) | new_run[1:]).all():
        return None  # several rows of a partition at one ts, or out of time order
    base = np.cumsum(g_len) - g_len
    first = np.repeat(g_starts - base, g_len) + np.arange(int(g_len.sum()), dtype=np.int64)
    parts = np.diff(np.append(g_starts, n)) // g_len
    blocks = tuple(zip(g_starts.tolist(), parts.tolist(), g_len.tolist(), base.tolist(), strict=True))
    return Bins(base[row_g] + t_idx, first, np.arange(first.size, dtype=np.int64), 1, blocks)


def grid_bins(
    frame: pl.DataFrame,
    gkeys: Sequence[str],
    pkeys: Sequence[str],
    minor_ids: pl.Series | None = None,
    cache: dict | None = None,
) -> Bins | None:
    """The bins of (``gkeys``, ts[, minor]) when ``frame`` is on a snapshot grid, else None.

    ``frame`` is sorted by (``gkeys``, ``pkeys``, ts) with no nulls in those columns; ``pkeys``
    name a partition within a group. ``minor_ids``: per row a dense id sorted within each group
    (e.g. a member id), adding a level below ts. ``cache``: shared by calls on frames with the same
    key columns and rows (the (group, ts) grid is computed once).
    """
    name = ("grid", tuple(gkeys), tuple(pkeys))
    if cache is not None and name in cache:
        grid = cache[name]
    else:
        grid = _grid(frame, gkeys, pkeys)
        if cache is not None:
            cache[name] = grid
    if grid is None or minor_ids is None:
        return grid
    key, first = grid.key, grid.first
    mid = minor_ids.cast(pl.Int64).to_numpy()
    width = int(mid.max()) + 1 if mid.size else 1
    if float(first.size) * width > 4.0 * max(key.size, 1):
        return None  # too sparse for a dense table; the hash group-by is better
    wide = key * width + mid
    used = np.bincount(wide, minlength=first.size * width) > 0
    label = np.flatnonzero(used)
    compact = np.cumsum(used) - 1
    key2 = compact[wide]
    first2 = np.full(label.size, key.size, dtype=np.int64)
    np.minimum.at(first2, key2, np.arange(key.size, dtype=np.int64))
    return Bins(key2, first2, label, width)


def _inputs(frame: pl.DataFrame, aggs: Sequence[Agg]) -> dict[str, np.ndarray]:
    """Per aggregate, null-free numpy inputs from one Polars pass: ``name`` (nulls filled with the
    operation's neutral value) and ``name!`` (validity as 0/1). Booleans become UInt8 and every
    column is null-free, so numpy reads Polars' buffers without copying them; aggregates of the
    same expression share its validity column."""
    dtypes = (
        frame.head(0).lazy().select(a.expr.alias(a.name) for a in aggs if a.expr is not None).collect_schema()
    )
    cols: dict[str, pl.Expr] = {}  # computed column -> expression
    source: dict[str, str] = {}  # input name -> computed column
    valid_col: dict[str, str] = {}  # str(expression) -> its validity column
    for a in aggs:
        if a.expr is None:
            continue
        x, dtype = a.expr, dtypes[a.name]
        name = valid_col.setdefault(str(x), f"{a.name}!")
        cols.setdefault(name, x.is_not_null().cast(pl.UInt8))
        source[f"{a.name}!"] = name
        if a.op == "count":
            continue
        if dtype == pl.Boolean:
            x = x.cast(pl.UInt8)
        if a.op in ("sum", "mean", "any"):
            x = x.fill_null(0)
        else:  # max: null and NaN count as the lowest value; bins without a value become null
            x = x.fill_nan(None) if dtype.is_float() else x
            x = x.fill_null(x.min()).fill_null(0)  # 0: no value at all
        cols[a.name] = x
        source[a.name] = a.name
    out = frame.lazy().select(e.alias(c) for c, e in cols.items()).collect(engine="in-memory")  # one chunk
    return {name: out[col].to_numpy() for name, col in source.items()}


def _reduce_blocks(op: str, values: np.ndarray, bins: Bins) -> np.ndarray:
    """``op`` along the partitions of each (partitions × snapshots) block."""
    size = bins.first.size
    dtype = np.float64 if values.dtype.kind == "f" else (np.bool_ if op == "any" else np.int64)
    out = np.empty(size, dtype=values.dtype if op == "max" else dtype)
    for row, parts, snaps, base in bins.blocks:
        block = values[row : row + parts * snaps].reshape(parts, snaps)
        if op == "max":
            out[base : base + snaps] = block.max(axis=0)
        elif op == "any":
            out[base : base + snaps] = block.any(axis=0)
        else:
            out[base : base + snaps] = block.sum(axis=0, dtype=dtype)
    return out


def _reduce_bins(op: str, values: np.ndarray, bins: Bins) -> np.ndarray:
    """``op`` per bin of ``bins.key`` (unordered rows). ``ufunc.at`` is fast only when the values'
    type is the output's: small integers are widened first."""
    size, key = bins.first.size, bins.key
    if op != "max" and (values.dtype.kind == "f" or values.dtype.itemsize == 1):
        sums = np.bincount(key, weights=values, minlength=size)  # adds in row order
        if op == "any":
            return sums > 0
        return sums if values.dtype.kind == "f" else sums.astype(np.int64)  # 0/1 counts: exact
    wide = values.astype(np.float64 if values.dtype.kind == "f" else np.int64, copy=False)
    out = (
        np.full(size, wide.min() if wide.size else 0, dtype=wide.dtype)
        if op == "max"
        else np.zeros(size, wide.dtype)
    )
    (np.maximum if op == "max" else np.add).at(out, key, wide)
    return out


def aggregate(frame: pl.DataFrame, bins: Bins, aggs: Sequence[Agg]) -> pl.DataFrame | None:
    """The aggregates per bin, with the types and null rules of ``frame.group_by(...).agg(...)``;
    None when an aggregate has no grid form (the caller then uses the hash group-by)."""
    if any(a.op not in GRID_OPS for a in aggs):
        return None
    schema = frame.head(0).group_by(pl.lit(0).alias("_g")).agg(a.polars() for a in aggs).drop("_g").schema
    inputs = _inputs(frame, aggs)
    reduce = _reduce_blocks if bins.blocks else _reduce_bins
    cols = []
    for a in aggs:
        if a.op == "len":
            cols.append(
                pl.Series(a.name, np.bincount(bins.key, minlength=bins.first.size)).cast(schema[a.name])
            )
            continue
        counts = reduce("sum", inputs[f"{a.name}!"], bins)
        if a.op == "count":
            cols.append(pl.Series(a.name, counts).cast(schema[a.name]))
            continue
        result = reduce("sum" if a.op == "mean" else a.op, inputs[a.name], bins)
        if a.op == "mean":
            result = result / np.maximum(counts, 1)
        col = pl.Series(a.name, result)
        if a.op in ("max", "mean"):  # no value in the bin: null (a sum of nothing is 0)
            col = pl.select(pl.when(pl.Series(counts) > 0).then(col)).to_series().alias(a.name)
        cols.append(col.cast(schema[a.name]))
    return pl.DataFrame(cols)
