"""Deprecated import path; use :mod:`workbench.analyze._groupby.grouping`. Removed in 0.3."""

from workbench.analyze._groupby.grouping import (
    dense_ids,
    map_runs,
)

__all__ = ["dense_ids", "map_runs"]
