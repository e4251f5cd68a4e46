"""Deprecated import path; use :mod:`workbench.analyze._groupby.grid`. Removed in 0.3."""

from workbench.analyze._groupby.grid import (
    GRID_OPS,
    MAX_STRETCHES,
    Agg,
    Bins,
    Block,
    Op,
    aggregate,
    grid_bins,
    run_starts,
)

__all__ = ["GRID_OPS", "MAX_STRETCHES", "Agg", "Bins", "Block", "Op", "aggregate", "grid_bins", "run_starts"]
