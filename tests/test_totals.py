"""Group lag totals per snapshot, then per hour (the explore notebook's hourly chart)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from workbench.analyze.lag.totals import bucket_totals, snapshot_totals
from workbench.frames import load_offsets

T0 = dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def _frame() -> pl.DataFrame:
    """Group g, 2 partitions, snapshots at 10:00, 10:20, 10:40, 11:00; per-snapshot totals 3, 30, 12, 5."""
    rows = []
    for minute, lags in ((0, (1, 2)), (20, (10, 20)), (40, (5, 7)), (60, (5, None))):
        for part, lag in enumerate(lags):
            rows.append(
                {"ts": T0 + dt.timedelta(minutes=minute), "group": "g", "partition": part, "lag": lag}
            )
    return pl.DataFrame(rows)


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("max", [(T0, 30), (T0 + dt.timedelta(hours=1), 5)]),  # the largest snapshot total in the hour
        ("mean", [(T0, 15.0), (T0 + dt.timedelta(hours=1), 5.0)]),  # (3 + 30 + 12) / 3
    ],
)
def test_bucket_totals(how: str, expected: list) -> None:
    assert snapshot_totals(_frame())["lag"].to_list() == [3, 30, 12, 5]
    assert bucket_totals(_frame(), "1h", how).select("ts", "lag").rows() == expected  # type: ignore[arg-type]


def test_sample_hour_is_a_snapshot_total_not_the_hours_sum() -> None:
    offsets = load_offsets(SAMPLE, cluster="sample", since="2d")
    hour = dt.datetime(2026, 11, 19, 16, tzinfo=dt.UTC)
    row = bucket_totals(offsets).filter(pl.col("group") == "analytics-etl", pl.col("ts") == hour)
    in_hour = offsets.filter(
        pl.col("group") == "analytics-etl", pl.col("ts") >= hour, pl.col("ts") < hour + dt.timedelta(hours=1)
    )
    per_snapshot = in_hour.group_by("ts").agg(pl.col("lag").sum())["lag"]
    assert row["lag"].item() == per_snapshot.max() == 124_947_862  # issue 12's figure
    assert in_hour["lag"].sum() == 1_478_452_900  # what the old chart plotted
