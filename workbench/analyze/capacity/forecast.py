"""Trend plus weekly seasonality, fitted by ordinary least squares (numpy only), and "days until".

The model of a series ``y(t)`` (a rate, a disk size) is additive::

    y(t) = a + b·t + s(t) + ε

* ``t`` is days since the first observation, so ``b`` is the trend in units per day.
* ``s(t)`` is a seasonal profile: one coefficient per UTC **hour of week** (168) when the history
  covers at least two weeks, else one per UTC **hour of day** (24) plus one **weekend** (Sat/Sun)
  offset. With one week of history an hour-of-week profile would absorb the trend (every
  hour of the week is seen once), hence the fallback. The first level of each profile is the
  baseline (dummy coding), so the design has full rank.
* ``ε`` is the residual. The band is ``fitted ± z·σ·sqrt(1 + x(XᵀX)⁻¹xᵀ)`` with ``σ`` the
  residual standard deviation and ``z = 1.96`` (about 95 % for normal residuals): it widens as the
  forecast leaves the history because the trend's uncertainty grows.

``growth_per_week`` replaces the fitted trend by a stated growth: ``b = mean(y) × growth / 7``
(``0.03`` = +3 % of the current mean a week), the profile then fitted to ``y − b·t``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

Z95 = 1.96
_DAY_S = 86400.0


@dataclass(frozen=True)
class SeasonalTrend:
    """A fitted model (see the module docstring). ``slope`` is units per day."""

    origin: dt.datetime
    seasonality: str
    coef: np.ndarray
    sigma: float
    xtx_inv: np.ndarray
    level: float
    slope: float
    fixed_slope: bool

    def design(self, ts: pl.Series) -> np.ndarray:
        """The design matrix of instants ``ts`` (without the trend column when it is fixed)."""
        return _design(ts, self.origin, self.seasonality, with_trend=not self.fixed_slope)

    def predict(self, ts: pl.Series, z: float = Z95) -> pl.DataFrame:
        """``ts, fitted, lower, upper`` at the instants ``ts``."""
        x = self.design(ts)
        fitted = x @ self.coef
        if self.fixed_slope:
            fitted = fitted + self.slope * _days(ts, self.origin)
        spread = np.sqrt(1.0 + np.einsum("ij,jk,ik->i", x, self.xtx_inv, x))
        half = z * self.sigma * spread
        return pl.DataFrame({"ts": ts, "fitted": fitted, "lower": fitted - half, "upper": fitted + half})


def _days(ts: pl.Series, origin: dt.datetime) -> np.ndarray:
    return ((ts - origin).dt.total_microseconds() / 1e6 / _DAY_S).to_numpy().astype(float)


def choose_seasonality(ts: pl.Series) -> str:
    """``"hour_of_week"`` with two weeks of history or more, else ``"hour_of_day+weekend"``."""
    span = (ts.max() - ts.min()).total_seconds() if ts.len() else 0.0  # type: ignore[operator, union-attr]
    return "hour_of_week" if span >= 14 * _DAY_S - 3600 else "hour_of_day+weekend"


def _design(ts: pl.Series, origin: dt.datetime, seasonality: str, with_trend: bool = True) -> np.ndarray:
    """Intercept, trend (days), then dummy columns of the seasonal profile (first level dropped)."""
    n = ts.len()
    hour = ts.dt.hour().to_numpy().astype(int)
    weekday = ts.dt.weekday().to_numpy().astype(int) - 1  # 0 = Monday
    cols = [np.ones(n)]
    if with_trend:
        cols.append(_days(ts, origin))
    if seasonality == "hour_of_week":
        slot = weekday * 24 + hour
        cols.extend((slot == k).astype(float) for k in range(1, 168))
    elif seasonality == "hour_of_day+weekend":
        cols.extend((hour == k).astype(float) for k in range(1, 24))
        cols.append((weekday >= 5).astype(float))
    elif seasonality != "none":
        raise ValueError(f"unknown seasonality {seasonality!r}")
    return np.column_stack(cols)


def fit(
    ts: pl.Series, values: pl.Series, seasonality: str = "auto", growth_per_week: float | None = None
) -> SeasonalTrend:
    """Fit :class:`SeasonalTrend` to a series (nulls dropped). Needs at least a day of history."""
    keep = values.is_not_null() & values.is_not_nan()
    ts, values = ts.filter(keep), values.filter(keep)
    if ts.len() < 3:
        raise ValueError("forecast: fewer than three observations")
    season = choose_seasonality(ts) if seasonality == "auto" else seasonality
    origin = ts.min()
    y = values.to_numpy().astype(float)
    fixed = growth_per_week is not None
    slope = float(np.mean(y)) * float(growth_per_week) / 7.0 if fixed else 0.0
    x = _design(ts, origin, season, with_trend=not fixed)  # type: ignore[arg-type]
    target = y - slope * _days(ts, origin) if fixed else y  # type: ignore[arg-type]
    coef, *_ = np.linalg.lstsq(x, target, rcond=None)
    resid = target - x @ coef
    dof = max(len(y) - np.linalg.matrix_rank(x), 1)
    sigma = float(np.sqrt(resid @ resid / dof))
    xtx_inv = np.linalg.pinv(x.T @ x)
    if not fixed:
        slope = float(coef[1])
    level = float(coef[0])
    return SeasonalTrend(origin, season, coef, sigma, xtx_inv, level, slope, fixed)  # type: ignore[arg-type]


def forecast(
    frame: pl.DataFrame,
    value: str,
    horizon_days: float,
    step: str = "1h",
    seasonality: str = "auto",
    growth_per_week: float | None = None,
    nonnegative: bool = True,
) -> tuple[pl.DataFrame, SeasonalTrend]:
    """Fit ``value`` over ``frame`` (columns ``ts`` and ``value``) and project ``horizon_days`` ahead.
    With ``nonnegative`` (rates, sizes) fitted values and band are clipped at 0.

    Returns ``ts, kind, actual, fitted, lower, upper`` (``kind`` ``history`` or ``forecast``; the
    forecast every ``step`` after the last observation) and the model.
    """
    model = fit(frame["ts"], frame[value], seasonality, growth_per_week)
    last = frame["ts"].max()
    start = pl.Series([last]).dt.truncate(step).dt.offset_by(step)[0]
    future = pl.datetime_range(start, last + dt.timedelta(days=horizon_days), step, eager=True)  # type: ignore[operator]
    hist = model.predict(frame["ts"]).with_columns(
        kind=pl.lit("history"), actual=frame[value].cast(pl.Float64)
    )
    ahead = model.predict(future.alias("ts")).with_columns(
        kind=pl.lit("forecast"), actual=pl.lit(None, pl.Float64)
    )
    cols = ["ts", "kind", "actual", "fitted", "lower", "upper"]
    out = pl.concat([hist.select(cols), ahead.select(cols)])
    if nonnegative:
        out = out.with_columns(pl.col("fitted", "lower", "upper").clip(lower_bound=0.0))
    return out, model


@dataclass(frozen=True)
class Crossing:
    """When a forecast first reaches a threshold: ``at`` (None: not within the horizon),
    ``days`` from ``now`` (0 when already at or above), ``earliest`` when the band's upper edge
    reaches it."""

    threshold: float
    at: dt.datetime | None
    days: float | None
    earliest: dt.datetime | None
    already: bool


def days_until(fc: pl.DataFrame, threshold: float, now: dt.datetime | None = None) -> Crossing:
    """First forecast instant where ``fitted >= threshold`` (and ``upper >= threshold``).

    ``fc`` is :func:`forecast`'s frame; ``now`` defaults to the last history instant. When the
    recent history already reached the threshold (the actual or fitted value of the last day),
    ``already`` is true and ``days`` is 0.
    """
    hist = fc.filter(pl.col("kind") == "history")
    ahead = fc.filter(pl.col("kind") == "forecast").sort("ts")
    now = now or hist["ts"].max()
    recent = hist.filter(pl.col("ts") > now - dt.timedelta(days=1))  # type: ignore[operator]
    already = bool(recent.height) and bool(
        (recent["actual"].fill_null(-np.inf) >= threshold).any() or (recent["fitted"] >= threshold).any()
    )
    if already:
        return Crossing(threshold, now, 0.0, now, True)
    hit = ahead.filter(pl.col("fitted") >= threshold)["ts"]
    early = ahead.filter(pl.col("upper") >= threshold)["ts"]
    at = hit.min() if hit.len() else None
    earliest = early.min() if early.len() else None
    days = (at - now).total_seconds() / _DAY_S if at is not None else None  # type: ignore[operator]
    return Crossing(threshold, at, days, earliest, False)  # type: ignore[arg-type]
