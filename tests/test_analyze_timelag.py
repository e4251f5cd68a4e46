"""Time lag against hand-computed expectations on tiny frames."""

from __future__ import annotations

import datetime as dt

import factories
import polars as pl
import pytest

from workbench.analyze import TIME_LAG_METHODS, time_lag
from workbench.errors import WorkbenchError

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
Snap = tuple[float, int | None, int | None]  # (t s, committed, log end)


def offsets(snaps: list[Snap], group: str = "g", partition: int = 0, log_start: int = 0) -> pl.DataFrame:
    return factories.offsets(snaps, group=group, partition=partition, log_start_offset=log_start)


def result(frame: pl.DataFrame, history: pl.DataFrame | None = None) -> list[tuple[float | None, str]]:
    out = time_lag(frame, history)
    assert set(out["time_lag_method"].unique()) <= set(TIME_LAG_METHODS)
    return [
        (None if v is None else round(v, 9), m) for v, m in out.select("time_lag_s", "time_lag_method").rows()
    ]


def test_interpolation_between_history_points() -> None:
    # log end 100 @0 s, 200 @10 s, 300 @20 s.
    # @10 s C=105: 105 reached at 0 + 5/100·10 = 0.5 s → 9.5 s. @20 s C=150: 5 s → 15 s.
    frame = offsets([(0, 100, 100), (10, 105, 200), (20, 150, 300)])
    assert result(frame) == [(0.0, "zero"), (9.5, "interpolated"), (15.0, "interpolated")]


def test_idle_producer_uses_first_time_the_log_end_got_there() -> None:
    # log end 200 @10 s, 300 from 20 s on (idle 20..40 s). @30 s C=250: between (10, 200) and the
    # FIRST point at 300 (20 s): 15 s → 15 s; never a zero-width interval. @40 s C=290: 19 s → 21 s.
    # @40 s C=300 would be "zero" (caught up on an idle topic).
    frame = offsets([(0, 100, 100), (10, 105, 200), (20, 150, 300), (30, 250, 300), (40, 290, 300)])
    assert result(frame)[3:] == [(15.0, "interpolated"), (21.0, "interpolated")]


def test_exact_hit_on_a_point_is_that_point_time() -> None:
    # C=200 is the log end first reached at 10 s → @30 s: 20 s, even though 200 held until 20 s.
    frame = offsets([(0, 0, 100), (10, 0, 200), (20, 0, 200), (30, 200, 400)])
    assert result(frame)[-1] == (20.0, "interpolated")


def test_zero_when_caught_up_or_ahead() -> None:
    # committed == log end → 0; committed > log end (snapshot skew) → 0, like lag.
    frame = offsets([(0, 100, 100), (10, 210, 200)])
    assert result(frame) == [(0.0, "zero"), (0.0, "zero")]


def test_no_commit_is_null_not_zero() -> None:
    frame = offsets([(0, None, 100), (10, None, 200)])
    assert result(frame) == [(None, "no_commit"), (None, "no_commit")]


def test_too_few_points() -> None:
    # one snapshot, behind: one known log end → no slope → null.
    assert result(offsets([(0, 50, 100)])) == [(None, "too_few_points")]
    # a producer idle over the whole history: one distinct log end → null, never a division by 0.
    frame = offsets([(0, 50, 100), (10, 50, 100), (20, 60, 100)])
    assert result(frame) == [(None, "too_few_points")] * 3


def test_extrapolation_off_the_oldest_edge_is_flagged() -> None:
    # C=50 below the oldest log end (100 @0 s). Slope from (0, 100) to the log end at t (200 @10 s):
    # 10 msg/s → 50 was reached at −5 s → 15 s, "extrapolated". Not clamped.
    frame = offsets([(0, 40, 100), (10, 50, 200)])
    assert result(frame) == [(None, "too_few_points"), (15.0, "extrapolated")]


def test_denser_history_changes_the_estimate() -> None:
    # offsets at 0 s and 60 s only; partition_offsets every 10 s: 0, 500, 550, 560, 570, 580, 600.
    # C=300 @60 s. Dense: between (0, 0) and (10, 500): 6 s → 54 s.
    # Sparse (0 @0 s, 600 @60 s): 300 reached at 30 s → 30 s.
    frame = offsets([(0, 0, 0), (60, 300, 600)])
    history = pl.DataFrame(
        {
            "ts": [T0 + dt.timedelta(seconds=10 * i) for i in range(7)],
            "cluster": "c",
            "topic": "t",
            "partition": 0,
            "log_start_offset": 0,
            "log_end_offset": [0, 500, 550, 560, 570, 580, 600],
            "source": "test",
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC"), "partition": pl.Int32},
    )
    assert result(frame)[-1] == (30.0, "interpolated")
    assert result(frame, history)[-1] == (54.0, "interpolated")


def test_retention_gap_uses_the_log_start() -> None:
    # committed 50 but retention deleted up to 150: the next message is 150, like lag.
    # log end 100 @0 s, 200 @10 s, 300 @20 s → 150 at 5 s → @20 s: 15 s.
    frame = offsets([(0, 100, 100), (10, 100, 200), (20, 50, 300)], log_start=0)
    frame = frame.with_columns(log_start_offset=pl.Series([0, 0, 150], dtype=pl.Int64))
    assert result(frame)[-1] == (15.0, "interpolated")


def test_log_end_decrease_starts_a_new_segment() -> None:
    # topic re-created at 20 s: 1000, 1100, then 50, 150. @30 s C=100: only the new segment counts:
    # between (20, 50) and (30, 150) → 25 s → 5 s (the old 1000..1100 points are ignored).
    frame = offsets([(0, 1000, 1000), (10, 1000, 1100), (20, 50, 50), (30, 100, 150)])
    assert result(frame)[2:] == [(0.0, "zero"), (5.0, "interpolated")]


def test_groups_share_the_partition_history_and_row_order_is_kept() -> None:
    a = offsets([(0, 100, 100), (10, 105, 200), (20, 150, 300)], group="a")
    b = offsets([(0, None, 100), (20, 200, 300)], group="b")
    frame = pl.concat([b, a])  # unsorted on purpose
    out = time_lag(frame)
    assert out.select("group", "ts").equals(frame.select("group", "ts"))
    # b @20 s, C=200: reached at 10 s (from a's history) → 10 s
    assert out["time_lag_s"].to_list() == [
        None,
        pytest.approx(10.0),
        0.0,
        pytest.approx(9.5),
        pytest.approx(15.0),
    ]


def test_missing_log_end_on_the_row_falls_back_to_history() -> None:
    # @20 s the row has no log end: the newest known log end (200 @10 s) is used; C=150 → 5 s → 15 s.
    frame = offsets([(0, 100, 100), (10, 105, 200), (20, 150, None)])
    assert result(frame)[-1] == (15.0, "interpolated")


def test_offsets_too_large_for_one_frame_raise_instead_of_wrapping() -> None:
    big = 2**62
    frame = pl.concat([offsets([(0, 0, 0), (10, 5, big)], partition=p) for p in (0, 1)])
    with pytest.raises(WorkbenchError, match="split the offsets by partition"):
        time_lag(frame)


def test_history_without_cluster_column_takes_the_offsets_cluster() -> None:
    frame = offsets([(0, 0, 0), (60, 300, 600)]).with_columns(cluster=pl.lit("c"))
    history = pl.DataFrame(
        {"ts": [T0 + dt.timedelta(seconds=10)], "topic": "t", "partition": 0, "log_end_offset": 500},
        schema_overrides={"ts": pl.Datetime("us", "UTC"), "partition": pl.Int32},
    )
    # 300 reached between (0, 0) and (10, 500) at 6 s → 54 s
    assert result(frame, history)[-1] == (54.0, "interpolated")


def test_history_without_any_log_end_gives_null_time_lag_not_an_error() -> None:
    """An import that carries no log ends at all: time lag unknown (null), never a crash."""
    import datetime as dt

    from workbench.analyze import lag as lag_domain
    from workbench.frames import add_lag_columns
    from workbench.schema import conform

    t0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    rows = [
        {"ts": t0 + dt.timedelta(minutes=i), "cluster": "c", "group": "g", "group_state": "Stable",
         "topic": "t", "partition": 0, "committed_offset": None if i == 0 else 10 * i,
         "log_start_offset": None, "log_end_offset": None}
        for i in range(20)
    ]  # fmt: skip
    offsets = add_lag_columns(conform(pl.DataFrame(rows), "offsets"))
    out = lag_domain.time_lag(offsets)
    assert out["time_lag_s"].null_count() == out.height
    assert out["time_lag_method"].to_list() == ["no_commit"] + ["too_few_points"] * 19
    groups = lag_domain.analyze_lag(offsets).groups  # one row per group and snapshot
    assert groups.height == 20 and groups["group"].unique().to_list() == ["g"]
