"""Lag columns and the load_offsets frames API, against hand-computed values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from workbench.errors import NotFoundError
from workbench.frames import add_lag_columns, load_offsets, scan_offsets
from workbench.schema import conform
from workbench.store import Store

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

# committed, log_start, log_end -> lag, lag_raw, retention_gap, lost_messages, ahead_of_log_end,
# never_committed
LAG_CASES = [
    (90, 0, 100, 10, 10, False, 0, False, False),  # ordinary
    (100, 0, 100, 0, 0, False, 0, False, False),  # caught up
    (None, 0, 100, None, None, None, None, None, True),  # never committed: null, never 0, flagged
    (10, 40, 100, 60, 90, True, 30, False, False),  # retention deleted 30 unread messages
    (120, 0, 100, 0, -20, False, 0, True, False),  # commit ahead of log end -> clamp, flagged (reset)
    (2000, 0, 1000, 0, -1000, False, 0, True, False),  # topic recreated: committed 2,000 vs log end 1,000
    (
        50,
        None,
        100,
        50,
        50,
        False,
        0,
        False,
        False,
    ),  # log start unknown (imported from kafka-consumer-groups)
    (50, 0, None, None, None, False, 0, None, False),  # leader unavailable: log end unknown
]


@pytest.mark.parametrize(
    ("committed", "start", "end", "lag", "raw", "gap", "lost", "ahead", "never"), LAG_CASES
)
def test_lag_columns(committed, start, end, lag, raw, gap, lost, ahead, never) -> None:
    frame = pl.DataFrame(
        {"committed_offset": [committed], "log_start_offset": [start], "log_end_offset": [end]},
        schema={"committed_offset": pl.Int64, "log_start_offset": pl.Int64, "log_end_offset": pl.Int64},
    )
    row = add_lag_columns(frame).row(0, named=True)
    assert (row["lag"], row["lag_raw"], row["retention_gap"], row["lost_messages"]) == (lag, raw, gap, lost)
    assert (row["ahead_of_log_end"], row["never_committed"]) == (ahead, never)


def _history(tmp_path: Path) -> Path:
    rows = []
    for i in range(10 * 24):  # 10 days, hourly
        ts = T0 + dt.timedelta(hours=i)
        for g, t in [("orders-svc", "orders"), ("billing", "payments")]:
            rows.append(
                {
                    "ts": ts,
                    "cluster": "c",
                    "group": g,
                    "topic": t,
                    "partition": 0,
                    "committed_offset": i * 10,
                    "log_start_offset": 0,
                    "log_end_offset": i * 10 + 5,
                }
            )
    Store(tmp_path).append("offsets", conform(pl.DataFrame(rows), "offsets"))
    return tmp_path


def test_load_offsets_windows_filters_and_pandas(tmp_path: Path) -> None:
    data = _history(tmp_path)
    last = T0 + dt.timedelta(hours=239)
    week = load_offsets(data)  # default since="7d": counted back from the newest snapshot
    assert week["ts"].min() == last - dt.timedelta(days=7) and week["ts"].max() == last
    assert set(week["lag"]) == {5}
    assert load_offsets(data, since=None).height == 480
    two = load_offsets(data, since="2d", until="1d", groups="orders.*")
    assert set(two["group"]) == {"orders-svc"} and two.height == 24
    assert load_offsets(data, since=None, topics=["payments"]).height == 240
    iso = load_offsets(data, since="2026-11-10T00:00Z", until=dt.datetime(2026, 11, 10, 3, tzinfo=dt.UTC))
    assert iso.height == 6
    lazy = scan_offsets(data)
    assert isinstance(lazy, pl.LazyFrame) and lazy.collect().height == week.height
    pdf = week.to_pandas()
    assert list(pdf.columns[:3]) == ["ts", "cluster", "group"] and len(pdf) == week.height


def test_load_offsets_errors_name_the_fix(tmp_path: Path) -> None:
    data = _history(tmp_path)
    with pytest.raises(NotFoundError, match=r"no offsets data for cluster 'prod'.*clusters there: c"):
        load_offsets(data, cluster="prod")
    with pytest.raises(NotFoundError, match=r"data directory .* does not exist"):
        load_offsets(tmp_path / "empty")
    from workbench.errors import ConfigError

    with pytest.raises(ConfigError, match="bad since"):
        load_offsets(data, since="last tuesday")
