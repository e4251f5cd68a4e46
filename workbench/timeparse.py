"""Deprecated import path; use :mod:`workbench.units`. Removed in 0.3."""

from workbench.units import parse_duration, parse_instant

__all__ = ["parse_duration", "parse_instant"]
