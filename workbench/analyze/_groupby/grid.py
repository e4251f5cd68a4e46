"""Group-bys on a snapshot grid: aggregates per (group, ts[, member]) without hashing.

A collected history samples every partition of a group at the same snapshots (one ts per
collection): within a group, each partition's rows carry the same sequence of timestamps. The
rows of a group, sorted by partition then time, are then a (partitions × snapshots) block, and an
aggregate per (group, ts) is a numpy reduction along the block's first axis: sequential passes
over memory, no hash table, no gathering of rows scattered one partition-length apart. Per
(group, ts, member), the partitions are ordered by member for each stretch of snapshots in which
no partition changed owner, and each member's partitions reduce as one slice (``reduceat``).

A partition added (or last seen) mid-window makes its group *ragged*: its rows are placed in a
padded block over the group's timeline. :func:`grid_bins` recognises the layout (None when the
history is not on a grid: a partition that missed a snapshot in the middle of its run, partitions
on their own clocks, unsorted rows; for members also a ragged group, or owners changing so often
that the stretches are tiny) and callers then use the hash group-by. :class:`Agg` declares
an aggregate once for both engines; :func:`aggregate` evaluates a list of them and returns
exactly the columns and types a Polars group-by would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import polars as pl

Op = Literal["len", "count", "sum", "max", "any", "mean", "n_unique"]
GRID_OPS: Final = frozenset({"len", "count", "sum", "max", "any", "mean"})
#: Group-by keys, ids and grids shared by the stages of one analysis, by a tuple naming each.
KeyCache = dict[tuple[Any, ...], Any]


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
class Block:
    """The rows of one group: ``parts`` partition runs of ``snaps`` snapshots from ``row``; its
    bins start at ``bin``. ``stretches``: with a minor level, per stretch of snapshots
    ``[t0, t1)`` with the same owners, the partitions ordered by owner (``order``), where each
    owner's slice starts (``starts``) and the owners (``owners``)."""

    row: int
    parts: int
    snaps: int
    bin: int
    stretches: tuple[tuple[int, int, np.ndarray, np.ndarray, np.ndarray], ...] = ()
    place: np.ndarray | None = None
    """A *ragged* group (a partition added, or first seen, later than the others): each row's flat
    position in the (parts × snaps) block over the group's timeline, the rest of which is padding.
    None when the rows are the block."""

    def rows(self) -> int:
        """How many rows of the frame the group has."""
        return self.parts * self.snaps if self.place is None else self.place.size


@dataclass(frozen=True)
class Bins:
    """The bins of a grid, in (group, ts[, minor]) order: per bin its first row (``first``) and a
    ``label`` with ``label // width`` the (group, ts) bin."""

    first: np.ndarray
    label: np.ndarray
    width: int
    blocks: tuple[Block, ...]


def run_starts(frame: pl.DataFrame, cols: Sequence[str]) -> np.ndarray:
    """Rows where any of ``cols`` differs from the previous row (row 0 included; null equals null)."""
    changed = frame.select(pl.any_horizontal(pl.col(c).ne_missing(pl.col(c).shift(1)) for c in cols))
    mask = changed.to_series().to_numpy().copy()
    if mask.size:
        mask[0] = True
    return np.flatnonzero(mask)


def _grid(frame: pl.DataFrame, gkeys: Sequence[str], pkeys: Sequence[str]) -> Bins | None:
    """The bins of the (group, ts) grid, or None when not on a grid."""
    n = frame.height
    cols = [*gkeys, *pkeys, "ts"]
    if n == 0 or any(c not in frame.columns for c in cols) or any(frame[c].null_count() for c in cols):
        return None
    g_starts = run_starts(frame, gkeys)
    heads = frame.select(gkeys)[g_starts]
    if not heads.is_unique().all() or not heads.equals(heads.sort(gkeys)):
        return None  # a group split into several runs, or groups out of order
    p_starts = run_starts(frame, [*gkeys, *pkeys])
    p_len = np.diff(np.append(p_starts, n))
    t = frame["ts"].dt.epoch("us").to_numpy()
    new_run = np.zeros(n, dtype=bool)
    new_run[p_starts] = True
    if not ((t[1:] > t[:-1]) | new_run[1:]).all():
        return None  # several rows of a partition at one ts, or out of time order
    first_run = np.searchsorted(p_starts, g_starts)
    blocks, firsts, base = [], [], 0
    g_ends, run_ends = [*g_starts[1:], n], [*first_run[1:], p_starts.size]
    for g0, g1, r0, r1 in zip(g_starts, g_ends, first_run, run_ends, strict=True):
        block = _block(t, int(g0), int(g1), p_starts[r0:r1], p_len[r0:r1], base)
        if block is None:
            return None
        blocks.append(block[0])
        firsts.append(block[1])
        base += block[0].snaps
    first = np.concatenate(firsts) if firsts else np.zeros(0, dtype=np.int64)
    return Bins(first, np.arange(first.size, dtype=np.int64), 1, tuple(blocks))


def _block(
    t: np.ndarray, g0: int, g1: int, starts: np.ndarray, lengths: np.ndarray, base: int
) -> tuple[Block, np.ndarray] | None:
    """One group's block (rows ``g0..g1``, partition runs at ``starts``) and its bins' first rows;
    None when a partition's times are not a stretch of the group's timeline."""
    parts, snaps = starts.size, int(lengths[0])
    if (lengths == snaps).all():
        times = t[g0:g1].reshape(parts, snaps)
        if (times == times[0]).all():  # every partition at every snapshot: the usual case
            return Block(g0, parts, snaps, base), g0 + np.arange(snaps, dtype=np.int64)
    timeline = np.unique(t[g0:g1])
    if parts * timeline.size > 2 * (g1 - g0):
        return None  # mostly padding: partitions on their own clocks, or rows out of order
    offset = np.searchsorted(timeline, t[starts])  # where each partition's run begins in it
    pos = np.repeat(offset - (starts - g0), lengths) + np.arange(g1 - g0)
    if (pos >= timeline.size).any() or not (timeline[pos] == t[g0:g1]).all():
        return None  # a partition missed a snapshot in the middle of its run
    place = np.repeat(np.arange(parts, dtype=np.int64) * timeline.size, lengths) + pos
    rows = np.full(parts * timeline.size, np.iinfo(np.int64).max, dtype=np.int64)
    rows[place] = np.arange(g0, g1, dtype=np.int64)
    first = rows.reshape(parts, timeline.size).min(axis=0)
    return Block(g0, parts, int(timeline.size), base, place=place), first


def grid_bins(
    frame: pl.DataFrame,
    gkeys: Sequence[str],
    pkeys: Sequence[str],
    minor_ids: pl.Series | None = None,
    cache: KeyCache | None = None,
) -> Bins | None:
    """The bins of (``gkeys``, ts[, minor]) when ``frame`` is on a snapshot grid, else None.

    ``frame`` is sorted by (``gkeys``, ``pkeys``, ts) with no nulls in those columns; ``pkeys``
    name a partition within a group. ``minor_ids``: per row a dense id sorted within each group
    (e.g. a member id), adding a level below ts. ``cache``: shared by calls on frames with the same
    key columns and rows (the (group, ts) grid is computed once).
    """
    name = ("grid", tuple(gkeys), tuple(pkeys))
    grid: Bins | None
    if cache is not None and name in cache:
        grid = cache[name]
    else:
        grid = _grid(frame, gkeys, pkeys)
        if cache is not None:
            cache[name] = grid
    if grid is None or minor_ids is None:
        return grid
    return _with_minor(grid, minor_ids.cast(pl.Int64).to_numpy())


MAX_STRETCHES: Final = 4096
"""Beyond this many stretches of unchanged owners, the hash group-by is cheaper."""


def _with_minor(grid: Bins, mid: np.ndarray) -> Bins | None:
    """``grid`` with a minor level: the stretches of each block, their bins' first rows and labels."""
    width = int(mid.max()) + 1 if mid.size else 1
    blocks, firsts, labels = [], [], []
    count = 0
    if any(b.place is not None for b in grid.blocks):
        return None  # owners of a ragged group: left to the hash group-by
    for b in grid.blocks:
        owner = mid[b.row : b.row + b.parts * b.snaps].reshape(b.parts, b.snaps)
        cuts = np.flatnonzero((owner[:, 1:] != owner[:, :-1]).any(axis=0)) + 1
        count += cuts.size + 1
        if count > MAX_STRETCHES:
            return None
        stretches = []
        for t0, t1 in zip([0, *cuts.tolist()], [*cuts.tolist(), b.snaps], strict=True):
            order = np.argsort(owner[:, t0], kind="stable")
            owners = owner[order, t0]
            starts = np.flatnonzero(np.append(True, owners[1:] != owners[:-1]))
            stretches.append((t0, t1, order, starts, owners[starts]))
            t = np.arange(t0, t1, dtype=np.int64)[:, None]  # bins: ts-major, then owner
            firsts.append((b.row + order[starts] * b.snaps + t).ravel())
            labels.append(((b.bin + t) * width + owners[starts]).ravel())
        blocks.append(Block(b.row, b.parts, b.snaps, b.bin, tuple(stretches)))
    if not firsts:
        return Bins(grid.first, grid.label, width, ())
    return Bins(np.concatenate(firsts), np.concatenate(labels), width, tuple(blocks))


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


_CHUNK: Final = 1 << 18
"""Rows per reordered copy when reducing per owner (a few MB: cached, and reused by the allocator)."""
_REDUCE: Final = {"sum": np.add, "max": np.maximum, "any": np.maximum}


def _as_block(values: np.ndarray, b: Block, fill: float) -> np.ndarray:
    """The group's values as its (parts × snaps) block; a ragged group's padding holds ``fill``."""
    rows = values[b.row : b.row + b.rows()]
    if b.place is None:
        return rows.reshape(b.parts, b.snaps)
    pad = np.full(b.parts * b.snaps, fill, dtype=values.dtype)
    pad[b.place] = rows
    return pad.reshape(b.parts, b.snaps)


def _reduce(op: str, values: np.ndarray, bins: Bins) -> np.ndarray:
    """``op`` ("sum", "max" or "any") per bin: along the partitions of each block, or per owner's
    slice of each stretch of a block."""
    ufunc = _REDUCE[op]
    dtype = values.dtype if op != "sum" else (np.float64 if values.dtype.kind == "f" else np.int64)
    pieces = []
    # padding adds nothing: 0 to sums and counts, the lowest value to maxima (whose bins have a
    # count of their own: a bin of padding only does not occur, every ts has a row)
    fill = (values.min() if values.size else 0) if op == "max" else 0
    for b in bins.blocks:
        block = _as_block(values, b, fill)
        if not b.stretches:
            pieces.append(ufunc.reduce(block, axis=0, dtype=dtype))
        step = max(1, _CHUNK // b.parts)
        for t0, t1, order, starts, _ in b.stretches:
            for c0 in range(t0, t1, step):  # in chunks: the reordered copy stays small
                part = block[order, c0 : min(c0 + step, t1)]
                # (owners × snapshots) → ts-major, like the bins
                pieces.append(ufunc.reduceat(part, starts, axis=0, dtype=dtype).T.ravel())
    out = np.concatenate(pieces) if pieces else np.zeros(0, dtype=dtype)
    return out > 0 if op == "any" else out


def aggregate(frame: pl.DataFrame, bins: Bins, aggs: Sequence[Agg]) -> pl.DataFrame | None:
    """The aggregates per bin, with the types and null rules of ``frame.group_by(...).agg(...)``;
    None when an aggregate has no grid form (the caller then uses the hash group-by)."""
    if any(a.op not in GRID_OPS for a in aggs):
        return None
    schema = frame.head(0).group_by(pl.lit(0).alias("_g")).agg(a.polars() for a in aggs).drop("_g").schema
    inputs = _inputs(frame, aggs)
    counted: dict[str, np.ndarray] = {}  # str(expression) -> its non-null count per bin

    def count(a: Agg) -> np.ndarray:
        key = str(a.expr)
        if key not in counted:
            counted[key] = _reduce("sum", inputs[f"{a.name}!"], bins)
        return counted[key]

    cols = []
    for a in aggs:
        if a.op == "len":
            ones = np.ones(frame.height, dtype=np.uint8)
            cols.append(pl.Series(a.name, _reduce("sum", ones, bins)).cast(schema[a.name]))
            continue
        if a.op in ("sum", "any"):  # a sum of nothing is 0, any of nothing False: no count needed
            result = _reduce(a.op, inputs[a.name], bins)
            cols.append(pl.Series(a.name, result).cast(schema[a.name]))
            continue
        counts = count(a)
        if a.op == "count":
            cols.append(pl.Series(a.name, counts).cast(schema[a.name]))
            continue
        result = _reduce("sum" if a.op == "mean" else a.op, inputs[a.name], bins)
        if a.op == "mean":
            result = result / np.maximum(counts, 1)
        col = pl.Series(a.name, result)  # max, mean: null where the bin has no value
        col = pl.select(pl.when(pl.Series(counts) > 0).then(col)).to_series().alias(a.name)
        cols.append(col.cast(schema[a.name]))
    return pl.DataFrame(cols)
