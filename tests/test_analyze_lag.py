"""Lag, rates, aggregates and the analysis entry point against hand-computed expectations."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from factories import T0, offsets

import workbench.analyze as analyze
from workbench.analyze import (
    BurrowConfig,
    LagAnalysis,
    analyze_lag,
    group_lag,
    member_lag,
    partition_lag,
    summarize_incidents,
    topic_lag,
)


def rows(*snaps: tuple, **const: object) -> pl.DataFrame:
    """Snapshots (t s, committed, log end[, partition[, group[, member]]]) → offsets frame."""
    return offsets(snaps, **{"member_id": "m", **const})


def col(frame: pl.DataFrame, name: str) -> list:
    return frame[name].to_list()


def test_rates_and_growth() -> None:
    # committed 100, 150, 190; log end 200, 260, 300 at 0, 10, 30 s.
    # consume: –, 50/10 = 5, 40/20 = 2; produce: –, 6, 2; lag 100, 110, 110 → growth –, 1, 0.
    out = partition_lag(rows((0, 100, 200), (10, 150, 260), (30, 190, 300)))
    assert col(out, "lag") == [100, 110, 110]
    assert col(out, "consume_rate") == [None, 5.0, 2.0]
    assert col(out, "produce_rate") == [None, 6.0, 2.0]
    assert col(out, "lag_growth_rate") == [None, 1.0, 0.0]
    # not draining (5 < 6, 2 = 2) → null, never negative or infinite
    assert col(out, "time_to_drain_s") == [None, None, None]


def test_time_to_drain() -> None:
    # consume (100−0)/10 = 10/s, produce (220−200)/10 = 2/s, lag 120 → 120 / 8 = 15 s; lag 0 → 0.
    out = partition_lag(rows((0, 0, 200), (10, 100, 220), (20, 230, 230)))
    assert col(out, "time_to_drain_s") == [None, 15.0, 0.0]


def test_missing_commit_is_bridged_not_zero() -> None:
    # committed 100, –, 160 at 0, 10, 30 s: lag at 10 s is null (not 0, not log end);
    # consume at 30 s spans the gap: 60 / 30 = 2.
    out = partition_lag(rows((0, 100, 100), (10, None, 140), (30, 160, 180)))
    assert col(out, "lag") == [0, None, 20]
    assert col(out, "consume_rate") == [None, None, 2.0]
    assert col(out, "produce_rate") == [None, 4.0, 2.0]
    assert col(out, "lag_growth_rate") == [None, None, pytest.approx(20 / 30)]


def test_reset_gives_null_rate_not_negative() -> None:
    # committed 500 → 100 (reset) → 130 in 10 s; log end re-created 600 → 150 → 180.
    out = partition_lag(rows((0, 500, 600), (10, 100, 150), (20, 130, 180)))
    assert col(out, "consume_rate") == [None, None, 3.0]
    assert col(out, "produce_rate") == [None, None, 3.0]


def test_new_partition_starts_without_rates() -> None:
    out = partition_lag(rows((0, 10, 20, 0), (10, 20, 30, 0), (10, 5, 9, 1), (20, 8, 19, 1)))
    p1 = out.filter(pl.col("partition") == 1)
    assert col(p1, "consume_rate") == [None, 0.3]
    assert col(p1, "produce_rate") == [None, 1.0]


def test_retention_gap() -> None:
    # committed 50 but log start 80: lag counts what is on disk (100 − 80 = 20), 30 lost.
    frame = rows((0, 50, 100), log_start_offset=80)
    out = partition_lag(frame)
    assert (col(out, "lag"), col(out, "lag_raw"), col(out, "retention_gap"), col(out, "lost_messages")) == (
        [20],
        [50],
        [True],
        [30],
    )
    g = group_lag(out)
    assert (col(g, "total_lag"), col(g, "retention_gap"), col(g, "lost_messages")) == ([20], [True], [30])


def test_group_lag_ignores_nulls_and_reports_coverage() -> None:
    # partition 0: lag 10 then 20 (consume 1/s, produce 2/s); partition 1 never commits.
    frame = rows((0, 0, 10, 0), (10, 10, 30, 0), (0, None, 50, 1), (10, None, 70, 1))
    g = group_lag(partition_lag(frame))
    assert col(g, "coverage") == [0.5, 0.5]
    assert col(g, "total_lag") == [10, 20]
    assert col(g, "max_partition_lag") == [10, 20]
    assert col(g, "consume_rate") == [None, 1.0]
    assert col(g, "produce_rate") == [None, 4.0]  # 2/s + 2/s: produce is known without commits
    assert col(g, "time_to_drain_s") == [None, None]


def test_group_without_any_commit_has_null_total_not_zero() -> None:
    g = group_lag(partition_lag(rows((0, None, 10, 0), (0, None, 20, 1))))
    assert (col(g, "total_lag"), col(g, "max_partition_lag"), col(g, "coverage")) == ([None], [None], [0.0])


def test_group_drain_uses_group_rates() -> None:
    # p0: lag 100 → 20, consumes 10/s, log grows 2/s; p1: lag 200 → 120, same rates.
    # group: lag 140, net drain (10 + 10) − (2 + 2) = 16/s → 140 / 16 = 8.75 s.
    frame = rows((0, 0, 100, 0), (10, 100, 120, 0), (0, 0, 200, 1), (10, 100, 220, 1))
    g = group_lag(partition_lag(frame))
    assert col(g, "total_lag") == [300, 140]
    assert col(g, "time_to_drain_s") == [None, 8.75]


def test_topic_lag_counts_ingress_once_across_groups() -> None:
    # two groups read partition 0: produce 2/s is the topic's ingress once, consume sums both groups.
    a = rows((0, 0, 10), (10, 10, 30), group="a")
    b = rows((0, 5, 10), (10, 25, 30), group="b")
    t = topic_lag(partition_lag(pl.concat([a, b])))
    assert (col(t, "produce_rate"), col(t, "consume_rate"), col(t, "groups")) == (
        [None, 2.0],
        [None, 3.0],
        [2, 2],
    )
    assert col(t, "total_lag") == [15, 25]
    by = topic_lag(partition_lag(pl.concat([a, b])), by_group=True)
    assert col(by, "total_lag") == [10, 20, 5, 5]


def test_member_lag_finds_the_slow_consumer() -> None:
    frame = rows((0, 0, 100, 0, "g", "slow"), (0, 95, 100, 1, "g", "fast"), (0, None, 100, 2, "g", None))
    m = member_lag(partition_lag(frame))
    assert col(m, "member_id") == ["fast", "slow", None]
    assert col(m, "total_lag") == [5, 100, None]
    assert col(m, "lag_share") == [pytest.approx(5 / 105), pytest.approx(100 / 105), None]


def test_analyze_lag_and_incidents() -> None:
    # group "ok" keeps up; group "late" stops committing at 20 s while the log grows by 10 each 10 s.
    ok = rows(*[(10 * i, 10 * i, 10 * i) for i in range(8)], group="ok")
    late = rows(*[(10 * i, min(10 * i, 20), 10 * i + 5) for i in range(8)], group="late", topic="u")
    analysis = analyze_lag(pl.concat([ok, late]), config=BurrowConfig(intervals=3))
    assert isinstance(analysis, LagAnalysis)
    for name in ("partitions", "members", "groups", "topics", "partition_status", "group_status"):
        assert getattr(analysis, name).height > 0
    inc = summarize_incidents(analysis)
    assert col(inc, "group") == ["late", "ok"]
    late_row = inc.row(0, named=True)
    # late: committed 0, 10, 20, 20, … (slot times 0, 10, 20, 20, …), log end 5, 15, 25, … 75.
    # 0 s one lagging slot → STALL; 10–30 s lag 5, 5, 5, 15 never decreasing → WARN (at 30 s the
    # ring 15, 25, 35 holds 15 ≤ 20: caught up); 40 s window 20@20 ×3, span 0, 20 s since, ring
    # 25, 35, 45 all > 20 → STOP → ERR, and so on to 70 s.
    assert late_row["status"] == "ERR"
    assert late_row["since"] == T0 + dt.timedelta(seconds=40)
    assert late_row["totallag"] == 55
    assert late_row["lag_growth_rate"] == 1.0  # (55 − 45) / 10
    assert late_row["lag_growth_rate_since"] == pytest.approx((55 - 25) / 30)
    assert late_row["time_to_drain_s"] is None
    # 20 was reached at 15 s (between 15 @10 s and 25 @20 s) → 70 − 15 = 55 s
    assert late_row["max_time_lag_s"] == pytest.approx(55.0)
    assert inc.row(1, named=True)["status"] == "OK"


def test_public_api_is_exported() -> None:
    assert len(set(analyze.__all__)) == len(analyze.__all__)  # order: ruff's RUF022 (isort style)
    for name in analyze.__all__:
        assert hasattr(analyze, name)


def test_empty_and_never_committed_histories() -> None:
    from workbench.schema import empty

    assert summarize_incidents(analyze_lag(empty("offsets"))).height == 0
    # a group that never committed: Burrow's empty ring → OK with complete 0; no lag, not 0 lag
    analysis = analyze_lag(rows((0, None, 10, 0), (10, None, 20, 0)))
    ps = analysis.partition_status
    assert (col(ps, "status"), col(ps, "complete"), col(ps, "current_lag")) == (
        ["OK", "OK"],
        [0.0, 0.0],
        [None, None],
    )
    assert col(analysis.groups, "total_lag") == [None, None]
    assert col(analysis.partitions, "time_lag_method") == ["no_commit", "no_commit"]
