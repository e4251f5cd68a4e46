"""Deprecated import path; use :mod:`workbench.analyze.lag`, :mod:`workbench.frames.lag`. Removed in 0.3."""

from __future__ import annotations

import datetime as dt
import os

from workbench.analyze.burrow import BurrowConfig
from workbench.analyze.lag import window
from workbench.analyze.lag.window import (
    NOT_EVALUATED,
    LagWindow,
    evaluated_start,
    summarize_window,
    trim_to_window,
)
from workbench.frames.lag import Filter, load_lag_window


def analyze_window(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: str | dt.datetime | None,
    until: str | dt.datetime | None,
    groups: Filter,
    topics: Filter,
    config: BurrowConfig,
) -> LagWindow:
    """The old signature: :func:`workbench.frames.lag.load_lag_window`, then
    :func:`workbench.analyze.lag.analyze_window`."""
    offsets, log_ends, shown_from = load_lag_window(
        data_dir, cluster, since, until, groups, topics, config.intervals
    )
    return window.analyze_window(offsets, log_ends, shown_from, config)


__all__ = [
    "NOT_EVALUATED",
    "Filter",
    "LagWindow",
    "analyze_window",
    "evaluated_start",
    "summarize_window",
    "trim_to_window",
]
