"""Deprecated import path; use :mod:`workbench.units`. Removed in 0.3."""

from workbench.units import (
    count,
    duration,
    instant,
    rate,
)

__all__ = ["count", "duration", "instant", "rate"]
