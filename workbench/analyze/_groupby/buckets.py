"""Round time steps for series: the step that keeps a series under a row budget.

Shared by the analyses that reduce a long history to time buckets (:mod:`workbench.analyze.lag.summary`)
and by the charts (:mod:`workbench.charts.bucket`), so both pick the same steps.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

STEPS_S = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


def bucket_seconds(
    start: dt.datetime, end: dt.datetime, series: int, max_rows: int, min_step: float = 0.0
) -> int:
    """The smallest round step (1 min ... 1 week), at least ``min_step`` (the data's own interval,
    so buckets never fall between snapshots), giving at most ``max_rows`` rows for ``series``."""
    span = max((end - start).total_seconds(), 1.0)
    budget = max(max_rows // max(series, 1), 2)
    for step in STEPS_S:
        if step >= min_step and span / step + 1 <= budget:
            return step
    return STEPS_S[-1]


def snapshot_interval(ts: pl.Series) -> float:
    """The median time between distinct snapshots, in seconds (0 with fewer than two)."""
    steps = ts.unique().sort().diff().drop_nulls().dt.total_seconds()
    return float(steps.median() or 0.0) if steps.len() else 0.0  # type: ignore[arg-type]
