"""A first, cheap pass of :func:`workbench.analyze.lag.reach.needed_log_ends` (docs/lag.md §2.5).

Most partitions' log ends only rise. For a partition whose readings come in time order and
never fall (checked, not assumed) and whose offsets rows are all of one time at or after its
last reading, the time lag looks only at its first reading, the first reading of its newest log
end, and per committed offset the first reading at or above it and the first reading of the log
end just below that. One stable sort by partition and a few binary searches find them, so a
week of minute readings of a group days behind shrinks before the general pass sorts anything.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_SPAN_LIMIT = 2.0**62  # search keys built from log-end spans are Int64


def spans_fit(span: np.ndarray) -> bool:
    """Whether search keys that stack these per-partition log-end spans end to end fit Int64
    (summed in float: Int64 would wrap)."""
    return float(span.astype(np.float64).sum()) < _SPAN_LIMIT


def thin_rising(
    hist: pl.DataFrame, h_code: pl.Expr, parts: pl.DataFrame, committed: tuple[np.ndarray, np.ndarray]
) -> pl.DataFrame:
    """``hist`` (ts, log_end_offset; ``h_code`` gives each row its partition's code, null for
    partitions without offsets rows) less the readings of rising partitions that the time lag
    never looks at (see the module docstring). Others stay whole. ``parts``: per partition code
    ``_pid`` of the offsets, their newest time ``_t`` (µs) and whether it is their only one
    (``_one``); ``committed``: per offsets row with a committed offset, its partition code and
    that offset raised to the log start."""
    coded = hist.select(_p=h_code.fill_null(-1), _t=pl.col("ts").dt.epoch("us"), _e="log_end_offset")
    if coded.is_empty() or coded["_t"].null_count() or coded["_e"].null_count():
        return hist
    pid, ts, end = (coded[c].to_numpy() for c in ("_p", "_t", "_e"))
    small = int(pid.max()) < 2**16 and int(pid.min()) >= 0
    order = np.argsort(pid.astype(np.uint16) if small else pid, kind="stable")  # read order kept within
    p, t, e = pid[order], ts[order], end[order]
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    stops = np.r_[starts[1:], p.size]
    fault = np.zeros(p.size, dtype=bool)  # a row out of time order or below the one before
    fault[1:] = (p[1:] == p[:-1]) & ((t[1:] <= t[:-1]) | (e[1:] < e[:-1]))
    rising = (np.add.reduceat(fault, starts) == 0) & (p[starts] >= 0)
    rising &= _one_time_after(parts, p[starts], t[stops - 1])
    if not rising.any():
        return hist
    keep = _kept(committed, p, e, starts[rising], stops[rising])
    if keep is None:
        return hist
    whole = np.repeat(~rising, stops - starts)
    mask = np.empty(p.size, dtype=bool)
    mask[order] = whole | keep
    return hist.filter(pl.Series(mask))


def _one_time_after(parts: pl.DataFrame, codes: np.ndarray, last_ts: np.ndarray) -> np.ndarray:
    """Per partition ``codes`` (ascending): its offsets rows are all of one time, at or after ``last_ts``."""
    one = parts.filter("_one")
    if one.is_empty():
        return np.zeros(codes.size, dtype=bool)
    known, at = one["_pid"].to_numpy(), one["_t"].to_numpy()
    slot = np.minimum(np.searchsorted(known, codes), known.size - 1)
    return np.asarray((known[slot] == codes) & (at[slot] >= last_ts))


def _kept(
    committed: tuple[np.ndarray, np.ndarray],
    p: np.ndarray,
    e: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
) -> np.ndarray | None:
    """Which rows (in ``p``'s order) of the rising partitions [starts, stops) to keep; None when
    the search keys would not fit Int64."""
    first, last = e[starts], e[stops - 1]
    span = last - first + 1
    if not spans_fit(span):
        return None
    base = np.cumsum(span) - span
    lengths = stops - starts
    local = np.cumsum(lengths) - lengths  # each partition's first position in ``rows``
    if local.size == starts.size and starts[0] == 0 and stops[-1] == e.size and (starts == local).all():
        rows, e_rows = np.arange(e.size), e  # every partition rises (the usual case): no gather
    else:
        rows = np.arange(lengths.sum()) + np.repeat(starts - local, lengths)
        e_rows = e[rows]
    key = e_rows + np.repeat(base - first, lengths)  # rises over all their rows: partition, then end

    def reach(slot: np.ndarray, value: np.ndarray) -> np.ndarray:
        """Position in ``rows`` of the first reading of partition ``slot`` at or above ``value``."""
        q = base[slot] + (np.clip(value, first[slot], last[slot]) - first[slot])
        return np.asarray(np.searchsorted(key, q, side="left"))

    w_code, w_c = committed
    codes = p[starts]
    slot = np.minimum(np.searchsorted(codes, w_code), codes.size - 1)
    mine = codes[slot] == w_code
    every = np.arange(starts.size)
    hit_slot = np.concatenate([slot[mine], every])
    hits = reach(hit_slot, np.concatenate([w_c[mine], last]))  # each offset's reach; each newest end
    after = hits > local[hit_slot]
    below = reach(hit_slot[after], e[rows[hits[after] - 1]])  # the first reading of the end before
    keep = np.zeros(p.size, dtype=bool)
    keep[rows[np.concatenate([local, local + lengths - 1, hits, below])]] = True
    return keep
