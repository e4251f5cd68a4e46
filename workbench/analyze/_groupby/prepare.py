"""Offsets frames made ready for window computations: sorted by partition then time, numbered.

Shared by the lag and Burrow domains (neither imports the other for it).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from workbench.frames.offsets import add_lag_columns

GROUP_KEYS = ("group", "topic", "partition")
TOPIC_KEYS = ("topic", "partition")


def with_cluster(columns: Sequence[str], keys: Sequence[str]) -> list[str]:
    """``keys`` prefixed with ``cluster`` when the frame has that column (one history may hold several)."""
    return ["cluster", *keys] if "cluster" in columns else list(keys)


def _ordered(columns: Sequence[str]) -> pl.Expr:
    """Per row: whether (``columns``) is ≥ the previous row's, lexicographically (null on row 0)."""
    cond: pl.Expr | None = None
    for c in reversed(columns):
        cur, prev = pl.col(c), pl.col(c).shift(1)
        cond = cur >= prev if cond is None else (cur > prev) | ((cur == prev) & cond)
    assert cond is not None
    return cond


def is_sorted_by(frame: pl.DataFrame, columns: Sequence[str]) -> bool:
    """Whether ``frame`` is already in ``frame.sort(columns)`` order (no nulls in ``columns``).

    Far cheaper than sorting (and gathering every column of) a frame that is already sorted, as
    histories usually are: the key columns before ``ts`` are compared once per run of equal keys,
    the rest row by row within runs.
    """
    if frame.height < 2:
        return True
    if any(frame[c].null_count() for c in columns):
        return False  # nulls sort first; not worth a special case, just sort
    split = list(columns).index("ts") if "ts" in columns else len(columns)
    lead, rest = list(columns[:split]), list(columns[split:])
    if not lead:
        return bool(frame.select(_ordered(rest).fill_null(True).all()).item())
    new_run = pl.struct(lead).rle_id().diff().fill_null(1) != 0
    checks = frame.select(
        new_run.alias("new"), *([_ordered(rest).fill_null(True).alias("ok")] if rest else [])
    )
    if rest and not (checks["ok"] | checks["new"]).all():
        return False
    starts = frame.select(lead).filter(checks["new"])
    return bool(starts.select(_ordered(lead).fill_null(True).all()).item())


def sort_by(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """``frame.sort(columns)``, skipping the sort (a full gather of every column) when already sorted."""
    return frame if is_sorted_by(frame, columns) else frame.sort(columns)


def prepare(offsets: pl.DataFrame | pl.LazyFrame, keys: Sequence[str] = GROUP_KEYS) -> pl.DataFrame:
    """Collect, add lag columns when missing, sort by partition then time, and number partitions.

    Adds ``_pid``: a dense id per partition key (``cluster``, group, topic, partition), so window
    computations can shift the whole sorted column and mask rows where the id changes, instead of
    grouping.
    """
    frame = offsets.lazy().collect() if isinstance(offsets, pl.LazyFrame) else offsets
    if "lag" not in frame.columns:
        frame = add_lag_columns(frame)  # type: ignore[assignment]
    pkeys = with_cluster(frame.columns, keys)
    frame = sort_by(frame, [*pkeys, "ts"])
    return frame.with_columns(_pid=pl.struct(pkeys).rle_id())
