"""Deprecated import path; use :mod:`workbench.analyze.capacity.forecast`. Removed in 0.3."""

from workbench.analyze.capacity.forecast import (
    Z95,
    Crossing,
    SeasonalTrend,
    choose_seasonality,
    days_until,
    fit,
    forecast,
)

__all__ = ["Z95", "Crossing", "SeasonalTrend", "choose_seasonality", "days_until", "fit", "forecast"]
