"""Per-group frames of one group analysed in chunks of its partitions, merged into the group's.

A group too big for one piece is analysed a few partitions at a time
(:func:`workbench.frames.offsets_in_pieces` with ``split_groups``): every per-partition figure is
then exact, and the per-(group, ts) aggregates of the chunks are sums, counts, maxima and worst
statuses, which merge into the whole group's (docs/scale.md, "A group bigger than a piece").
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from workbench.analyze._groupby.prepare import sort_by
from workbench.analyze.burrow.rules import STATUS_CODES
from workbench.analyze.lag.aggregates import _with_drain

_KNOWN_SUMS = ("total_lag", "consume_rate", "lag_growth_rate", "lost_messages", "produce_rate")
_SUMS = (
    "partitions",
    "committed_partitions",
    "totallag",
    "partition_count",
    "error_partitions",
    "warn_partitions",
)
_MAXES = ("max_partition_lag", "max_time_lag_s", "groups")
_SEVERITY = {"NOTFOUND": 0, "OK": 1, "WARN": 2, "ERR": 3}
_STATUS_COLS = (
    "status",
    "status_code",
    "totallag",
    "maxlag",
    "maxlag_topic",
    "maxlag_partition",
    "complete",
    "partition_count",
    "error_partitions",
    "warn_partitions",
    "status_source",
)


def _keys(frame: pl.DataFrame, names: Sequence[str]) -> list[str]:
    return [c for c in ("cluster", *names) if c in frame.columns]


def _concat(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(
        [f.with_columns(_chunk=pl.lit(i, pl.Int32)) for i, f in enumerate(frames)], how="vertical_relaxed"
    )


def merge_lag(frames: Sequence[pl.DataFrame], by: Sequence[str] = ("group",)) -> pl.DataFrame:
    """Group (or topic ``by=("topic",)``, member ``by=("group", "member_id")``) lag frames of the
    same keys over disjoint partitions, as one: counts and sums add up (null when every part is
    null), maxima take the largest; ``coverage``, ``time_to_drain_s``, ``lag_share`` recomputed.
    Two frames of the same key rows (a group's chunks over one snapshot grid) merge row by row."""
    if len(frames) == 1:
        return frames[0]
    cols = frames[0].columns
    keys = [c for c in cols if c in (*_keys(frames[0], by), "ts")]  # in the frame's sort order
    pair = paired(frames, keys)
    aggs = []
    for c in cols:
        if c in keys or c in ("coverage", "time_to_drain_s", "lag_share"):
            continue
        x, y = pl.col(c), pl.col(c + PAIRED)
        agg: pl.Expr
        row: pl.Expr
        if c in _KNOWN_SUMS:
            agg = pl.when(pl.col(c).count() > 0).then(pl.col(c).sum())
            row = pl.when(x.is_null() & y.is_null()).then(None).otherwise(x.fill_null(0) + y.fill_null(0))
        elif c in _SUMS:
            agg, row = pl.col(c).sum(), x.fill_null(0) + y.fill_null(0)
        elif c in _MAXES:
            agg, row = pl.col(c).max(), pl.max_horizontal(x, y)
        elif c == "retention_gap":
            agg, row = pl.col(c).any(), x.fill_null(False) | y.fill_null(False)
        else:
            agg, row = pl.col(c).first(), x
        aggs.append((row if pair is not None else agg).alias(c))
    if pair is not None:
        out = pair.with_columns(aggs)
    else:
        out = _concat(frames).group_by(keys, maintain_order=True).agg(aggs)
    if "coverage" in cols:
        out = out.with_columns(coverage=pl.col("committed_partitions") / pl.col("partitions"))
    if "time_to_drain_s" in cols:
        out = _with_drain(out)
    if "lag_share" in cols:  # a member's share of its group's known lag at that snapshot
        total = pl.col("total_lag").sum().over([*_keys(frames[0], ("group",)), "ts"])
        out = out.with_columns(lag_share=pl.when(total > 0).then(pl.col("total_lag") / total))
    out = out.select(cols).cast(frames[0].schema)
    return sort_by(out, keys) if pair is not None else out.sort(keys, nulls_last=True)


#: The suffix of the second frame's columns in :func:`paired`.
PAIRED = "__b"


def paired(frames: Sequence[pl.DataFrame], keys: list[str]) -> pl.DataFrame | None:
    """Two frames with the same key rows in the same order (each key once, sorted by ``keys``:
    group-by results), side by side (the second's other columns suffixed :data:`PAIRED`); else
    None. Such a pair merges row by row, with the group-by's result and none of its cost."""
    if len(frames) != 2:
        return None
    a, b = frames
    if a.height != b.height or a.height == 0 or any(a[k].has_nulls() for k in keys):
        return None
    if not all(a[k].equals(b[k]) for k in keys):
        return None
    rest = b.drop(keys)
    return pl.concat([a, rest.rename({c: c + PAIRED for c in rest.columns})], how="horizontal")


def merge_status(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Burrow group-status frames of the same (group, ts) over disjoint partitions, as one: the
    worst status (NOTFOUND only when every part is), summed lags and counts, the highest lag's
    partition (the first part's on ties, as the whole group's scan order), ``complete`` weighted
    by partitions. Two frames of the same (group, ts) rows merge row by row."""
    if len(frames) == 1:
        return frames[0]
    keys = [*_keys(frames[0], ("group",)), "ts"]
    cols = frames[0].columns
    pair = paired(frames, keys)
    out = _status_pair(pair, cols) if pair is not None else _status_grouped(frames, keys, cols)
    code = pl.col("status").replace_strict(STATUS_CODES, return_dtype=frames[0].schema["status_code"])
    out = out.with_columns(status_code=code).select(cols).cast(frames[0].schema)
    return sort_by(out, keys) if pair is not None else out.sort(keys)


def _status_grouped(frames: Sequence[pl.DataFrame], keys: list[str], cols: list[str]) -> pl.DataFrame:
    sev = pl.col("status").replace_strict(_SEVERITY, default=3, return_dtype=pl.Int8)
    top = pl.col("maxlag").fill_null(-1).arg_max()
    aggs = [
        pl.when((sev == 0).all())
        .then(pl.lit("NOTFOUND"))
        .otherwise(pl.col("status").filter(sev > 0).sort_by(sev.filter(sev > 0)).last())
        .alias("status"),
        pl.col("maxlag").max(),
        pl.col("maxlag_topic").get(top),
        pl.col("maxlag_partition").get(top),
        ((pl.col("complete") * pl.col("partition_count")).sum() / pl.col("partition_count").sum()).alias(
            "complete"
        ),
        *(pl.col(c).sum() for c in _SUMS if c in cols),
        *(pl.col(c).first() for c in cols if c not in (*keys, *_STATUS_COLS)),
        *([pl.col("status_source").first()] if "status_source" in cols else []),
    ]
    return _concat(frames).sort([*keys, "_chunk"]).group_by(keys, maintain_order=True).agg(aggs)


_TOP = ("maxlag_topic", "maxlag_partition")


def _status_pair(pair: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """:func:`_status_grouped` of two frames side by side (:func:`paired`), row by row."""

    def both(c: str) -> tuple[pl.Expr, pl.Expr]:
        return pl.col(c), pl.col(c + PAIRED)

    sa, sb = (s.replace_strict(_SEVERITY, default=3, return_dtype=pl.Int8) for s in both("status"))
    la, lb = (m.fill_null(-1) for m in both("maxlag"))
    second = lb > la  # the first part's partition on ties
    ca, cb = both("complete")
    pa, pb = both("partition_count")
    weighted = (ca * pa).fill_null(0) + (cb * pb).fill_null(0)
    return pair.with_columns(
        pl.when(sb >= sa).then(pl.col("status" + PAIRED)).otherwise("status").alias("status"),
        pl.max_horizontal(*both("maxlag")).alias("maxlag"),
        *(pl.when(second).then(pl.col(c + PAIRED)).otherwise(c).alias(c) for c in _TOP),
        (weighted / (pa.fill_null(0) + pb.fill_null(0))).alias("complete"),
        *((pl.col(c).fill_null(0) + pl.col(c + PAIRED).fill_null(0)).alias(c) for c in _SUMS if c in cols),
    )


def merge_group_table(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """:func:`workbench.analyze.lag.group_table` rows of one group's partition chunks, merged
    (the lag columns by :func:`merge_lag`, the status columns by :func:`merge_status`)."""
    if len(frames) == 1:
        return frames[0]
    keys = [*_keys(frames[0], ("group",)), "ts"]
    status = [c for c in frames[0].columns if c in _STATUS_COLS]
    lag = [c for c in frames[0].columns if c not in status]
    merged = merge_lag([f.select(lag) for f in frames]).join(
        merge_status([f.select(*keys, *status) for f in frames]), on=keys, how="left", nulls_equal=True
    )
    return merged.select(frames[0].columns).sort(keys)
