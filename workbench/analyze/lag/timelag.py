"""Time lag: how long ago the log end was where the group's committed offset is now.

kafka-lag-exporter's method (docs/lag.md §2.3) over the *whole* persisted (ts, log end) history
instead of its 30-minute table: per partition, interpolate the time the log end first reached the
committed offset (``zero``, ``interpolated``, ``extrapolated``, ``too_few_points``, ``no_commit``).
Vectorized as-of lookups, no loop over rows (docs/lag.md §2.4).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Final

import numpy as np
import polars as pl

from workbench.analyze._groupby.grid import run_starts
from workbench.analyze._groupby.grouping import map_runs
from workbench.analyze._groupby.prepare import TOPIC_KEYS, is_sorted_by, sort_by, with_cluster
from workbench.errors import WorkbenchError
from workbench.scalars import as_int

METHODS: Final = ("zero", "interpolated", "extrapolated", "too_few_points", "no_commit")


def _history(frame: pl.DataFrame, log_end_history: pl.DataFrame | pl.LazyFrame | None) -> pl.DataFrame:
    """The union of (keys, ts, log_end) readings, sorted, one reading per time (the highest)."""
    keys = with_cluster(frame.columns, TOPIC_KEYS)
    cols = [*keys, "ts", "log_end_offset"]
    parts = [frame.select(cols)]
    if log_end_history is not None:
        hist = (
            log_end_history.lazy().collect() if isinstance(log_end_history, pl.LazyFrame) else log_end_history
        )
        if "cluster" in keys and "cluster" not in hist.columns:
            clusters = frame["cluster"].unique()
            if clusters.len() > 1:
                raise WorkbenchError(
                    "log_end_history has no cluster column but offsets span several clusters"
                )
            hist = hist.with_columns(cluster=pl.lit(clusters.first(), pl.String))
        parts.append(hist.select(cols).cast(frame.select(cols).schema))
    hist = sort_by(pl.concat(parts).drop_nulls("log_end_offset"), cols)
    pid = pl.struct(keys).rle_id()
    return hist.with_columns(_tpid=pid).filter(
        ((pl.col("_tpid") != pl.col("_tpid").shift(-1)) | (pl.col("ts") != pl.col("ts").shift(-1))).fill_null(
            True
        )
    )


def first_reach_points(history: pl.DataFrame) -> pl.DataFrame:
    """Per segment, the points where the log end first reached a new value.

    ``history`` comes from :func:`_history` (sorted, with ``_tpid``). Columns: ``_tpid``, ``ts``,
    ``_end``, ``_seg`` (segment id), ``_idx`` (0-based index in the segment), ``_l_ts``/``_l_end``
    (previous point), ``_f_ts``/``_f_end`` (the segment's first point), ``_g`` (a key increasing
    over the whole frame: segment, then log end; for the offset search).
    """
    end, tpid = pl.col("log_end_offset"), pl.col("_tpid")
    new_seg = (tpid != tpid.shift(1)).fill_null(True) | (end < end.shift(1))
    pts = (
        history.lazy()
        .with_columns(_seg=new_seg.cum_sum())
        .filter((pl.col("_seg") != pl.col("_seg").shift(1)).fill_null(True) | (end > end.shift(1)))
        .collect(engine="in-memory")
    )
    first = pl.col("_first")  # the segment's first point (column set below, computed once)
    last = (pl.col("_seg") != pl.col("_seg").shift(-1)).fill_null(True)
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    f_end = pl.when(first).then(end).forward_fill()
    span = pl.when(last).then(end).backward_fill() - f_end + 1
    base = pl.when(first).then(span).otherwise(0).cum_sum() - span
    return (
        pts.lazy()
        .with_columns(_first=(pl.col("_seg") != pl.col("_seg").shift(1)).fill_null(True))
        .select(
            "_tpid",
            "ts",
            "_seg",
            _end=end,
            _idx=row - pl.when(first).then(row).forward_fill(),
            _l_ts=pl.when(~first).then(pl.col("ts").shift(1)),
            _l_end=pl.when(~first).then(end.shift(1)),
            _f_ts=pl.when(first).then(pl.col("ts")).forward_fill(),
            _f_end=f_end,
            _g=end - f_end + base,
        )
        .collect(engine="in-memory")  # lazy: the shared masks and fills are computed once
    )


def _check_key_range(size: float, what: str) -> None:
    """The integer search keys must fit Int64; a frame that large must be split (by partition)."""
    if size >= 2.0**62:
        raise WorkbenchError(f"time_lag: {what} too large for one frame; split the offsets by partition")


def _gather(points: pl.DataFrame, pos: pl.Series, names: dict[str, str]) -> pl.DataFrame:
    """Rows of ``points`` at ``pos`` (null where ``pos`` is null), renamed."""
    return pl.DataFrame([points[src].gather(pos).alias(dst) for src, dst in names.items()])


def _last_at_or_before(keys: pl.Series, q: pl.Series) -> pl.Series:
    """Per ``q`` value, the position of the last ``keys`` value ≤ it (-1 when none), Int64.

    ``keys`` is sorted and unique. Offsets rows usually come in the same (partition, time) order,
    so ``q`` is sorted too: then a backward as-of join (one merge pass) replaces the binary
    searches (several times slower)."""
    if q.null_count() == 0 and q.is_sorted():
        left = q.alias("_q").to_frame().with_columns(pl.col("_q").set_sorted())
        right = pl.DataFrame({"_q": keys, "_pos": pl.int_range(keys.len(), dtype=pl.Int64, eager=True)})
        found = left.join_asof(
            right.with_columns(pl.col("_q").set_sorted()),
            on="_q",
            strategy="backward",
            check_sortedness=False,
        )
        return found["_pos"].fill_null(-1)
    return keys.search_sorted(q, side="right").cast(pl.Int64) - 1


def _locate(
    frame: pl.DataFrame, points: pl.DataFrame, history: pl.DataFrame, keys: list[str]
) -> pl.DataFrame:
    """Per offsets row, in ``frame`` order: the log state at its ts (``_t_*``, segment) and the
    first point of that segment with log end ≥ the committed offset (``_r_*``, ``_l_*``).

    Two binary searches over integer keys that increase over the whole ``points`` frame (partition
    then time; segment then log end), so no per-partition join is needed.
    """
    ids = history.filter((pl.col("_tpid") != pl.col("_tpid").shift(1)).fill_null(True)).select(*keys, "_tpid")
    tpid = map_runs(frame, keys, ids, "_tpid")
    t_us = points["ts"].dt.epoch("us")
    tmin, tmax = as_int(t_us.min()) or 0, as_int(t_us.max()) or 0
    width = tmax - tmin + 1
    _check_key_range(float(width) * (ids.height + 1), "partitions x time span")
    seg_end = (pl.col("_seg") != pl.col("_seg").shift(-1)).fill_null(True)
    spans = points.select(pl.when(seg_end).then(pl.col("_end") - pl.col("_f_end") + 1).cast(pl.Float64).sum())
    _check_key_range(spans.item() or 0.0, "sum of log-end spans")  # checked in float: Int64 would wrap
    pkey = points["_tpid"].cast(pl.Int64) * width + (t_us - tmin)
    q = tpid.cast(pl.Int64) * width + (frame["ts"].dt.epoch("us") - tmin).clip(-1, width - 1)
    pos = _last_at_or_before(pkey, q)
    pos = pl.select(pl.when((pos >= 0) & (points["_tpid"].gather(pos.clip(0)) == tpid)).then(pos)).to_series()
    state = _gather(points, pos, {"_seg": "_seg", "_f_ts": "_f_ts", "_f_end": "_f_end", "_idx": "_t_idx"})
    state = state.with_columns(_gather(points, pos, {"_end": "_t_end", "ts": "_t_ts", "_g": "_t_g"}))
    c = frame.select(pl.max_horizontal("committed_offset", "log_start_offset")).to_series()
    q2 = state.select(
        pl.max_horizontal(pl.min_horizontal(c, "_t_end"), "_f_end")
        - pl.col("_f_end")
        + pl.col("_t_g")
        - pl.col("_t_end")
        + pl.col("_f_end")
    ).to_series()
    pos2 = pl.select(pl.when(q2.is_not_null()).then(points["_g"].search_sorted(q2, side="left"))).to_series()
    names = {"ts": "_r_ts", "_end": "_r_end", "_idx": "_r_idx", "_l_ts": "_l_ts", "_l_end": "_l_end"}
    return state.drop("_t_g").with_columns(_gather(points, pos2, names))


def _estimate(c: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(time_lag_s, method code: index in :data:`METHODS`) from the located columns, for rows that
    are behind. Times are integer microseconds (the same arithmetic as on durations, cheaper)."""
    t, r_ts, l_ts = (pl.col(n).dt.epoch("us") for n in ("ts", "_r_ts", "_l_ts"))
    f_ts, t_ts = pl.col("_f_ts").dt.epoch("us"), pl.col("_t_ts").dt.epoch("us")
    us = 1e6
    exact = (t - r_ts) / us
    interp = exact + (pl.col("_r_end") - c).cast(pl.Float64) * ((r_ts - l_ts) / us) / (
        pl.col("_r_end") - pl.col("_l_end")
    ).cast(pl.Float64)
    slope_dt = (t_ts - f_ts) / us
    extrap = (t - f_ts) / us + (pl.col("_f_end") - c).cast(pl.Float64) * slope_dt / (
        pl.col("_t_end") - pl.col("_f_end")
    ).cast(pl.Float64)
    at_point = pl.col("_r_end") == c
    inside = pl.col("_r_idx") >= 1
    can_extrap = pl.col("_r_idx").is_not_null() & (pl.col("_t_idx") >= 1)
    value = pl.when(at_point).then(exact).when(inside).then(interp).when(can_extrap).then(extrap)
    code = pl.when(at_point | inside).then(1).when(can_extrap).then(2).otherwise(3)
    return value, code


def time_lag(
    offsets: pl.DataFrame | pl.LazyFrame, log_end_history: pl.DataFrame | pl.LazyFrame | None = None
) -> pl.DataFrame:
    """Add ``time_lag_s`` (Float64, seconds) and ``time_lag_method`` (one of :data:`METHODS`).

    ``offsets``: an offsets frame (any extra columns are kept, row order is kept).
    ``log_end_history``: optional ``partition_offsets`` frame (ts, topic, partition, log_end_offset)
    giving a denser log-end history. See the module docstring for the method.
    """
    frame = offsets.lazy().collect() if isinstance(offsets, pl.LazyFrame) else offsets
    keys = with_cluster(frame.columns, TOPIC_KEYS)
    if log_end_history is None:
        fast = _time_lag_in_order(frame, keys)
        if fast is not None:
            return fast
    hist = _history(frame, log_end_history)
    if hist.is_empty():  # no log end known anywhere (e.g. an import without log ends): nothing to place
        no_commit = pl.col("committed_offset").is_null()
        return frame.with_columns(
            time_lag_s=pl.lit(None, pl.Float64),
            time_lag_method=pl.when(no_commit).then(pl.lit(METHODS[4])).otherwise(pl.lit(METHODS[3])),
        )
    located = _locate(frame, first_reach_points(hist), hist, keys)
    c = pl.col("_c")
    log_end = pl.coalesce("log_end_offset", "_t_end")
    value, code = _estimate(c)
    no_commit = pl.col("committed_offset").is_null()
    zero = pl.col("_zero")
    code = pl.when(no_commit).then(4).when(zero).then(0).otherwise(code)
    return (  # lazy: shared subexpressions are evaluated once
        pl.concat([frame, located], how="horizontal")
        .lazy()
        .with_columns(_c=pl.max_horizontal("committed_offset", "log_start_offset"))
        .with_columns(_zero=c >= log_end)
        .with_columns(
            time_lag_s=pl.when(no_commit).then(None).when(zero).then(pl.lit(0.0)).otherwise(value),
            # one small gather instead of a when/then over string literals (several times slower)
            time_lag_method=pl.lit(pl.Series(METHODS, dtype=pl.String)).gather(code),
        )
        .drop(*located.columns, "_c", "_zero")
        .collect(engine="in-memory")
    )


def _int64(series: pl.Series) -> np.ndarray:
    """A null-free integer or datetime column as an Int64 numpy array."""
    if series.dtype.is_temporal():
        series = series.dt.epoch("us")
    return series.cast(pl.Int64).to_numpy()


def _time_lag_in_order(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame | None:
    """:func:`time_lag` without ``log_end_history`` when the offsets rows *are* the history: sorted
    by partition, then ts strictly increasing within each partition, every log end known (the usual
    case).

    Then each row's "last point at or before t" is the last first-reach point at or before the row
    (a running count), and the rest is a handful of numpy passes over flat arrays, with the same
    arithmetic as the general path (Polars divides by a literal as a multiplication by its
    reciprocal: so does this). The passes run over pieces of whole partitions of at most
    :data:`_PIECE_ROWS` rows: their temporaries stay in cache and are reused by the allocator
    instead of being mapped afresh for every pass over the whole frame. None when not applicable.
    """
    n = frame.height
    if n < 2 or frame["log_end_offset"].null_count() or any(frame[k].null_count() for k in keys):
        return None
    starts = run_starts(frame, keys)
    new_tp = np.zeros(n, dtype=bool)
    new_tp[starts] = True
    heads = frame.select(keys)[starts]
    if not heads.is_unique().all() or not is_sorted_by(heads, keys):
        return None  # a partition split into several runs, or runs out of key order
    t = _int64(frame["ts"])
    if not ((t[1:] > t[:-1]) | new_tp[1:]).all():
        return None  # not in time order, or several readings at one ts (the general path sorts)
    end = _int64(frame["log_end_offset"])
    c_s = frame.select(pl.max_horizontal("committed_offset", "log_start_offset")).to_series()
    c_null = c_s.is_null().to_numpy()
    c = _int64(c_s.fill_null(0))
    no_commit = frame["committed_offset"].is_null().to_numpy()
    value = np.empty(n, dtype=np.float64)
    code = np.empty(n, dtype=np.uint32)

    def run(lo: int, hi: int) -> None:
        piece = slice(lo, hi)
        value[piece], code[piece] = _time_lag_piece(
            t[piece], end[piece], new_tp[piece], c[piece], c_null[piece], no_commit[piece]
        )

    pieces = _pieces(starts, n, _PIECE_ROWS)
    if len(pieces) == 1:
        run(*pieces[0])
    else:  # numpy releases the GIL in its loops: pieces run side by side on the cores
        with ThreadPoolExecutor(max_workers=min(len(pieces), os.cpu_count() or 1)) as pool:
            list(pool.map(lambda bounds: run(*bounds), pieces))
    valid = pl.Series((code != 4) & (code != 3))
    return frame.with_columns(
        time_lag_s=pl.when(valid).then(pl.Series(value, dtype=pl.Float64)),
        time_lag_method=pl.Series(METHODS, dtype=pl.String).gather(pl.Series(code)),
    )


_PIECE_ROWS: Final = 1 << 20
"""Rows per piece of :func:`_time_lag_in_order` (whole partitions; a longer partition is one piece)."""


def _pieces(starts: np.ndarray, n: int, size: int) -> list[tuple[int, int]]:
    """(lo, hi) row ranges of whole partitions (``starts``: each partition's first row), each of
    about ``size`` rows, covering ``0..n``."""
    bounds = [0]
    while bounds[-1] + size < n:
        i = int(np.searchsorted(starts, bounds[-1] + size, side="right")) - 1
        cut = int(starts[i]) if starts[i] > bounds[-1] else (int(starts[i + 1]) if i + 1 < starts.size else n)
        if cut >= n:
            break
        bounds.append(cut)
    bounds.append(n)
    return list(pairwise(bounds))


def _time_lag_piece(
    t: np.ndarray,
    end: np.ndarray,
    new_tp: np.ndarray,
    c: np.ndarray,
    c_null: np.ndarray,
    no_commit: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(time lag seconds, method code) of the rows of whole partitions (see
    :func:`_time_lag_in_order`): ``t`` µs, ``end`` log end, ``new_tp`` a partition's first row,
    ``c`` the committed offset raised to the log start (``c_null`` where unknown)."""
    n = t.size
    new_seg = new_tp.copy()
    new_seg[1:] |= end[1:] < end[:-1]
    keep = new_seg.copy()
    keep[1:] |= end[1:] > end[:-1]
    pts = np.flatnonzero(keep)  # first-reach points (row numbers)
    p_ts, p_end, p_first = t[pts], end[pts], new_seg[pts]
    m = pts.size
    ar = np.arange(m, dtype=np.int64)
    start = np.maximum.accumulate(np.where(p_first, ar, 0))  # each point's segment's first point
    p_idx = ar - start
    seg_first = np.flatnonzero(p_first)
    seg_last = np.append(seg_first[1:] - 1, m - 1)
    span = p_end[seg_last] - p_end[seg_first] + 1
    _check_key_range(float(span.astype(np.float64).sum()), "sum of log-end spans")
    base = np.cumsum(span) - span
    g = p_end - p_end[start] + np.repeat(base, np.diff(np.append(seg_first, m)))
    # per row: the last point at or before it (same partition: every partition starts with one)
    pos = np.cumsum(keep) - 1
    f_pt = start[pos]
    t_idx, t_end, t_f_end = p_idx[pos], end, p_end[f_pt]  # a point's log end is the row's
    q2 = np.maximum(np.where(c_null, t_end, np.minimum(c, t_end)), t_f_end)
    q2 += g[pos] - t_end
    r = np.searchsorted(g, q2, side="left")
    del q2
    r_ts, r_end, r_idx = p_ts[r], p_end[r], p_idx[r]
    inv_us = 1 / 1e6  # Polars' x / 1e6
    zero = ~c_null & (c >= end)
    at_point = ~c_null & (r_end == c)
    inside = r_idx >= 1
    code = np.full(n, 3, dtype=np.uint32)
    code[t_idx >= 1] = 2
    code[at_point | inside] = 1
    code[zero] = 0
    code[no_commit] = 4
    value = (t - r_ts) * inv_us  # exact
    interp = np.flatnonzero((code == 1) & ~at_point)
    ri = r[interp]
    li = ri - 1
    value[interp] += (
        (r_end[interp] - c[interp]).astype(np.float64)
        * ((p_ts[ri] - p_ts[li]) * inv_us)
        / (p_end[ri] - p_end[li]).astype(np.float64)
    )
    ex = np.flatnonzero(code == 2)
    fe, fts, te = t_f_end[ex], p_ts[f_pt[ex]], t_end[ex]
    slope_dt = (p_ts[pos[ex]] - fts) * inv_us
    value[ex] = (t[ex] - fts) * inv_us + (fe - c[ex]).astype(np.float64) * slope_dt / (te - fe).astype(
        np.float64
    )
    value[zero] = 0.0
    return value, code
