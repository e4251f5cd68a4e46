"""Deprecated import path; use :mod:`workbench.analyze.lag`. Removed in 0.3."""

from workbench.analyze.lag import (
    LagAnalysis,
    Stage,
    analyze_lag,
    analyze_lag_pieces,
    summarize_incidents,
)

__all__ = ["LagAnalysis", "Stage", "analyze_lag", "analyze_lag_pieces", "summarize_incidents"]
