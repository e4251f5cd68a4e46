"""Trend plus weekly seasonality, fitted by ordinary least squares (numpy only), and "days until".

The model of a series ``y(t)`` (a rate, a disk size) is additive::

    y(t) = a + b·t + s(t) + ε

* ``t`` is days since the first observation, so ``b`` is the trend in units per day.
* ``s(t)`` is a seasonal profile: one coefficient per UTC **hour of week** (168) when the history
  covers at least two weeks, else one per UTC **hour of day** (24) plus one **weekend** (Sat/Sun)
  offset. With one week of history an hour-of-week profile would absorb the trend (every
  hour of the week is seen once), hence the fallback. The first level of each profile is the
  baseline (dummy coding), so the design has full rank.
* ``ε`` is the residual. The band is ``fitted ± z·sqrt(σ²(1 + x(XᵀX)⁻¹xᵀ) + δ²·h)`` with ``σ`` the
  residual standard deviation, ``h`` days past the last observation, ``δ`` how far the daily mean
  residual wanders from one day to the next (std of its day-to-day differences; ``σ`` until three
  days are seen) and ``z = 1.96``: the band widens with the horizon (the level may drift).
* Honesty limits (docs/capacity.md): no forecast from under ``MIN_HISTORY_DAYS`` of history, and
  none further ahead than ``HORIZON_PER_HISTORY`` × the history (:func:`allowed_horizon`). Past
  ``DAILY_AFTER_DAYS`` the forecast is one point per day, the day's peak hour (no hourly sawtooth).

``growth_per_week`` replaces the fitted trend by a stated growth: ``b = mean(y) × growth / 7``
(``0.03`` = +3 % of the current mean a week), the profile then fitted to ``y − b·t``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench import units
from workbench.scalars import as_datetime

Z95 = 1.96
_DAY_S = 86400.0
#: No forecast from less history than this (the daily profile needs a whole day).
MIN_HISTORY_DAYS = 1.0
#: A forecast looks at most this many times the history's span ahead.
HORIZON_PER_HISTORY = 3.0
#: Forecasts reaching further than this many days show each day's peak hour, not every hour.
DAILY_AFTER_DAYS = 14.0


def allowed_horizon(ts: pl.Series, horizon_days: float) -> float | None:
    """How far ahead a history of instants ``ts`` may be forecast: None under ``MIN_HISTORY_DAYS``,
    else ``min(horizon_days, HORIZON_PER_HISTORY × span)``."""
    span = _span_days(ts)
    if span < MIN_HISTORY_DAYS:
        return None
    return min(float(horizon_days), HORIZON_PER_HISTORY * span)


def history_note(what: str, ts: pl.Series | None, horizon_days: float) -> str:
    """One sentence when the history of ``what`` is too short for the horizon, else empty."""
    span = _span_days(ts) if ts is not None else 0.0
    allowed = allowed_horizon(ts, horizon_days) if ts is not None else None
    if allowed is None:
        return (
            f"No {what} forecast: {units.duration(span * _DAY_S)} of history, under the "
            f"{units.duration(MIN_HISTORY_DAYS * _DAY_S)} "
            "minimum (a daily profile needs a whole day); it appears once more history is collected."
        )
    if allowed < horizon_days:
        return (
            f"The {what} forecast reaches {allowed:.1f} days ahead, not {horizon_days:g}: at most "
            f"{HORIZON_PER_HISTORY:g}× the {span:.1f} days of history."
        )
    return ""


def _span_days(ts: pl.Series) -> float:
    return (ts.max() - ts.min()).total_seconds() / _DAY_S if ts.len() else 0.0  # type: ignore[operator, union-attr]


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
    last: dt.datetime | None = None
    drift: float = 0.0

    def design(self, ts: pl.Series) -> np.ndarray:
        """The design matrix of instants ``ts`` (without the trend column when it is fixed)."""
        return _design(ts, self.origin, self.seasonality, with_trend=not self.fixed_slope)

    def predict(self, ts: pl.Series, z: float = Z95) -> pl.DataFrame:
        """``ts, fitted, lower, upper`` at the instants ``ts``."""
        x = self.design(ts)
        fitted = x @ self.coef
        if self.fixed_slope:
            fitted = fitted + self.slope * _days(ts, self.origin)
        leverage = np.einsum("ij,jk,ik->i", x, self.xtx_inv, x)
        ahead = np.clip(_days(ts, self.last), 0.0, None) if self.last is not None else 0.0
        half = z * np.sqrt(self.sigma**2 * (1.0 + leverage) + self.drift**2 * ahead)
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
    origin = as_datetime(ts.min())
    assert origin is not None  # three observations or more
    y = values.to_numpy().astype(float)
    fixed = growth_per_week is not None
    slope = float(np.mean(y)) * growth_per_week / 7.0 if growth_per_week is not None else 0.0
    x = _design(ts, origin, season, with_trend=not fixed)
    target = y - slope * _days(ts, origin) if fixed else y
    coef, *_ = np.linalg.lstsq(x, target, rcond=None)
    resid = target - x @ coef
    dof = max(len(y) - np.linalg.matrix_rank(x), 1)
    sigma = float(np.sqrt(resid @ resid / dof))
    xtx_inv = np.linalg.pinv(x.T @ x)
    if not fixed:
        slope = float(coef[1])
    level = float(coef[0])
    drift = _daily_drift(ts, resid, sigma)
    return SeasonalTrend(origin, season, coef, sigma, xtx_inv, level, slope, fixed, ts.max(), drift)  # type: ignore[arg-type]


def _daily_drift(ts: pl.Series, resid: np.ndarray, sigma: float) -> float:
    """Std of the day-to-day differences of the daily mean residual; ``sigma`` under three days."""
    daily = (
        pl.DataFrame({"day": ts.dt.truncate("1d"), "r": resid})
        .group_by("day")
        .agg(pl.col("r").mean())
        .sort("day")["r"]
        .to_numpy()
    )
    if len(daily) < 3:
        return sigma
    return float(np.std(np.diff(daily), ddof=1))


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
    last = as_datetime(frame["ts"].max())
    if last is None:
        raise ValueError("forecast: no observations")
    start = pl.Series([last]).dt.truncate(step).dt.offset_by(step)[0]
    future = pl.datetime_range(start, last + dt.timedelta(days=horizon_days), step, eager=True)
    hist = model.predict(frame["ts"]).with_columns(
        kind=pl.lit("history"), actual=frame[value].cast(pl.Float64)
    )
    ahead = model.predict(future.alias("ts")).with_columns(
        kind=pl.lit("forecast"), actual=pl.lit(None, pl.Float64)
    )
    if horizon_days > DAILY_AFTER_DAYS:
        ahead = _daily_peaks(ahead)
    cols = ["ts", "kind", "actual", "fitted", "lower", "upper"]
    out = pl.concat([hist.select(cols), ahead.select(cols)])
    if nonnegative:
        out = out.with_columns(pl.col("fitted", "lower", "upper").clip(lower_bound=0.0))
    return out, model


def _daily_peaks(ahead: pl.DataFrame) -> pl.DataFrame:
    """One row per day: the day's peak fitted hour, with that hour's band."""
    return (
        ahead.sort("fitted", descending=True)
        .group_by(pl.col("ts").dt.truncate("1d").alias("day"), maintain_order=True)
        .first()
        .sort("ts")
        .drop("day")
    )


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
    now = now or as_datetime(hist["ts"].max())
    if now is None:
        raise ValueError("crossing: the forecast has no history")
    recent = hist.filter(pl.col("ts") > now - dt.timedelta(days=1))
    already = bool(recent.height) and bool(
        (recent["actual"].fill_null(-np.inf) >= threshold).any() or (recent["fitted"] >= threshold).any()
    )
    if already:
        return Crossing(threshold, now, 0.0, now, True)
    hit = ahead.filter(pl.col("fitted") >= threshold)["ts"]
    early = ahead.filter(pl.col("upper") >= threshold)["ts"]
    at = as_datetime(hit.min()) if hit.len() else None
    earliest = as_datetime(early.min()) if early.len() else None
    days = (at - now).total_seconds() / _DAY_S if at is not None else None
    return Crossing(threshold, at, days, earliest, False)
