"""Time buckets that keep a chart under :data:`workbench.charts.theme.MAX_ROWS` rows."""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench import units

_STEPS_S = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


def bucket_seconds(
    start: dt.datetime, end: dt.datetime, series: int, max_rows: int, min_step: float = 0.0
) -> int:
    """The smallest round step (1 min ... 1 week), at least ``min_step`` (the data's own interval,
    so buckets never fall between snapshots), giving at most ``max_rows`` rows for ``series``."""
    span = max((end - start).total_seconds(), 1.0)
    budget = max(max_rows // max(series, 1), 2)
    for step in _STEPS_S:
        if step >= min_step and span / step + 1 <= budget:
            return step
    return _STEPS_S[-1]


def step_label(seconds: int) -> str:
    """``300`` -> ``"5 min"``, ``3600`` -> ``"1 h"`` (:func:`workbench.units.duration`)."""
    return units.duration(seconds)


def snapshot_interval(ts: pl.Series) -> float:
    """The median time between distinct snapshots, in seconds (0 with fewer than two)."""
    steps = ts.unique().sort().diff().drop_nulls().dt.total_seconds()
    return float(steps.median() or 0.0) if steps.len() else 0.0  # type: ignore[arg-type]


def add_bucket(
    frame: pl.DataFrame, series: int, max_rows: int, column: str = "ts"
) -> tuple[pl.DataFrame, int]:
    """Add ``bucket`` (``ts`` truncated to a round step) and return the step in seconds."""
    if frame.is_empty():
        return frame.with_columns(bucket=pl.col(column)), 60
    start, end = frame[column].min(), frame[column].max()
    step = bucket_seconds(start, end, series, max_rows, snapshot_interval(frame[column]))  # type: ignore[arg-type]
    return frame.with_columns(bucket=pl.col(column).dt.truncate(f"{step}s")), step
