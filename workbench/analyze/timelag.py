"""Deprecated import path; use :mod:`workbench.analyze.lag.timelag`. Removed in 0.3."""

from workbench.analyze.lag.timelag import (
    METHODS,
    first_reach_points,
    time_lag,
)

__all__ = ["METHODS", "first_reach_points", "time_lag"]
