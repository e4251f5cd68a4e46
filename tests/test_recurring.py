"""Lag spells and recurring trouble over the window, as tables (one scenario per row)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.analyze.lag.recurring import lag_spells, peak_time_lag, recurring_spells

D0 = dt.datetime(2026, 11, 13, tzinfo=dt.UTC)


def _levels(days: int, behind: dict[int, tuple[int, int, float]]) -> pl.DataFrame:
    """Group g, hourly snapshots over ``days``; on day d, hours [h0, h1) at warning, peaking at
    ``peak`` s (time lag 10 s elsewhere), the peak at the last hour of the spell."""
    rows = []
    for d in range(days):
        for h in range(24):
            h0, h1, peak = behind.get(d, (0, 0, 0.0))
            bad = h0 <= h < h1
            lag = peak * (h - h0 + 1) / (h1 - h0) if bad else 10.0
            rows.append(
                {
                    "group": "g",
                    "ts": D0 + dt.timedelta(days=d, hours=h),
                    "level": "warning" if bad else "ok",
                    "max_time_lag_s": lag,
                }
            )
    return pl.DataFrame(rows)


AFTERNOON = (13, 17, 1440.0)
# name, days, {day: (from h, to h, peak s)}, expected recurring rows (part, days, of_days, peak s, peak hour)
CASES = [
    ("six-of-seven-afternoons", 7, {d: AFTERNOON for d in range(6)}, [("afternoon", 6, 7, 1440.0, 16)]),
    ("once-is-not-recurring", 7, {2: AFTERNOON}, []),
    (
        "mornings-and-evenings",
        3,
        {0: (7, 9, 100.0), 1: (8, 10, 300.0), 2: (19, 21, 50.0)},
        [("morning", 2, 3, 300.0, 9)],
    ),
    ("never-behind", 2, {}, []),
]


@pytest.mark.parametrize(("name", "days", "behind", "expected"), CASES, ids=[c[0] for c in CASES])
def test_recurring_spells(name: str, days: int, behind: dict, expected: list) -> None:
    levels = _levels(days, behind)
    spells = lag_spells(levels)
    assert spells.height == len(behind)
    out = recurring_spells(spells, levels)
    got = [
        (r["part_of_day"], r["days"], r["of_days"], r["peak_time_lag_s"], r["peak_at"].hour)
        for r in out.to_dicts()
    ]
    assert got == expected


def test_spell_boundaries_and_worst_level() -> None:
    levels = pl.DataFrame(
        {
            "group": ["a"] * 6,
            "ts": [D0 + dt.timedelta(minutes=5 * i) for i in range(6)],
            "level": ["ok", "warning", "critical", "warning", "ok", "warning"],
            "max_time_lag_s": [1.0, 70.0, 700.0, 90.0, 2.0, None],
        }
    )
    spells = lag_spells(levels)
    assert spells.select("snapshots", "level", "peak_time_lag_s").rows() == [
        (3, "critical", 700.0),
        (1, "warning", None),
    ]
    assert peak_time_lag(levels).row(0) == ("a", 700.0, D0 + dt.timedelta(minutes=10))
