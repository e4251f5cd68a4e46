"""Deprecated import path; use :mod:`workbench.analyze.lag`. Removed in 0.3."""

from workbench.analyze.lag.levels import LEVELS, LagLevels
from workbench.analyze.lag.snapshot import latest_group_lag, worst_level


def LagThresholds(warn: int = 1_000, crit: int = 10_000) -> LagLevels:
    """The offset-lag levels of ``workbench lag``: ``warn`` and ``crit`` messages of total lag."""
    return LagLevels(None, None, warn, crit)


__all__ = ["LEVELS", "LagThresholds", "latest_group_lag", "worst_level"]
