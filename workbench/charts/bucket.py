"""Time buckets that keep a chart under :data:`workbench.charts.theme.MAX_ROWS` rows."""

from __future__ import annotations

import polars as pl

from workbench import units
from workbench.analyze._groupby.buckets import bucket_seconds, snapshot_interval

__all__ = ["add_bucket", "bucket_seconds", "snapshot_interval", "step_label"]


def step_label(seconds: int) -> str:
    """``300`` -> ``"5 min"``, ``3600`` -> ``"1 h"`` (:func:`workbench.units.duration`)."""
    return units.duration(seconds)


def add_bucket(
    frame: pl.DataFrame, series: int, max_rows: int, column: str = "ts"
) -> tuple[pl.DataFrame, int]:
    """Add ``bucket`` (``ts`` truncated to a round step) and return the step in seconds."""
    if frame.is_empty():
        return frame.with_columns(bucket=pl.col(column)), 60
    start, end = frame[column].min(), frame[column].max()
    step = bucket_seconds(start, end, series, max_rows, snapshot_interval(frame[column]))  # type: ignore[arg-type]
    return frame.with_columns(bucket=pl.col(column).dt.truncate(f"{step}s")), step
