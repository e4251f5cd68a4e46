"""The fleet table: one row per cluster, the soonest disk fill first (pure, table-driven)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.analyze.capacity.plan import CapacityPlan
from workbench.analyze.fleet import FLEET_COLUMNS, ClusterView, fleet_findings, fleet_table, lag_summary

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(minutes=1)


def groups(rows: list[tuple[str, dt.datetime, str, float | None]], cluster: str = "c") -> pl.DataFrame:
    return pl.DataFrame(
        [dict(cluster=cluster, group=g, ts=ts, status=s, max_time_lag_s=lag) for g, ts, s, lag in rows],
        schema={"cluster": pl.String, "group": pl.String, "ts": pl.Datetime("us", "UTC"), "status": pl.String,
                "max_time_lag_s": pl.Float64},
    )  # fmt: skip


def plan(days: list[float | None], utilization: list[float | None] | None = None) -> CapacityPlan:
    brokers = pl.DataFrame({"broker": list(range(1, len(days) + 1)), "days_until_fill": days},
                           schema={"broker": pl.Int32, "days_until_fill": pl.Float64})  # fmt: skip
    util = utilization or []
    topics = pl.DataFrame(
        {"topic": [f"t{i}" for i in range(len(util))], "utilization": util,
         "status": ["over" if (u or 0) >= 1 else "ok" for u in util]},
        schema={"topic": pl.String, "utilization": pl.Float64, "status": pl.String},
    )  # fmt: skip
    empty = pl.DataFrame()
    return CapacityPlan(empty, topics, empty, brokers, cluster={"brokers_now": 3.0, "brokers_needed": 4.0})


# (rows of one cluster, expected lag summary subset)
LAG_CASES = [
    # 1. only each group's newest snapshot counts: g1 was ERR, is OK now
    ([("g1", T0, "ERR", 50.0), ("g1", T1, "OK", 1.0), ("g2", T1, "WARN", 9.0)],
     {"groups": 2, "err_groups": 0, "warn_groups": 1, "max_time_lag_s": 9.0, "max_time_lag_group": "g2"}),
    # 2. a group without a time lag is counted, the largest known lag wins
    ([("g1", T1, "ERR", None), ("g2", T1, "OK", 3.0)],
     {"groups": 2, "err_groups": 1, "max_time_lag_s": 3.0, "max_time_lag_group": "g2"}),
    # 3. no time lag at all: no group named
    ([("g1", T1, "OK", None)], {"max_time_lag_s": None, "max_time_lag_group": None}),
    # 4. no groups
    ([], {"groups": 0, "err_groups": 0, "as_of": None}),
]  # fmt: skip


@pytest.mark.parametrize(("rows", "want"), LAG_CASES)
def test_lag_summary(rows: list, want: dict) -> None:
    got = lag_summary(groups(rows))
    assert {k: got.get(k) for k in want} == want


def test_the_cluster_whose_broker_fills_first_leads_and_is_named() -> None:
    views = [
        ClusterView("a", groups([("g", T1, "ERR", 1.0)], "a"), plan([None, 200.0], [0.5, 1.2])),
        ClusterView("b", groups([("g", T1, "OK", 1.0)], "b"), plan([30.0, 12.0])),
        ClusterView("c", groups([("g", T1, "OK", 1.0)], "c"), None),
    ]
    table = fleet_table(views)
    assert table.columns == FLEET_COLUMNS
    assert table["cluster"].to_list() == ["b", "a", "c"]
    first = table.row(0, named=True)
    assert (first["first_full_broker"], first["broker_days_until_fill"]) == (2, 12.0)
    a = table.row(1, named=True)
    assert (a["hottest_topic"], a["hottest_utilization"], a["topics_over"]) == ("t1", 1.2, 1)
    findings = fleet_findings(table)
    assert findings[0][0] == "warning" and "Cluster b runs out first: broker 2" in findings[0][1]
    assert findings[1] == ("critical", "Cluster a: 1 of 1 groups in ERR.")


def test_no_forecast_and_no_errors_is_said_plainly() -> None:
    table = fleet_table([ClusterView("a", groups([("g", T1, "OK", 1.0)], "a"), plan([None]))])
    assert fleet_findings(table) == [
        ("info", "1 clusters: no group in ERR, no broker disk forecast to fill.")
    ]


@pytest.mark.slow  # two simulated clusters
def test_load_fleet_on_two_simulated_clusters(tmp_path) -> None:
    from workbench.report.fleet import load_fleet
    from workbench.simulate.run import simulate

    for name, seed in (("east", 1), ("west", 2)):
        simulate(tmp_path, cluster=name, days=1, interval="1h", scale="sample", seed=seed)
    table, source = load_fleet(tmp_path, "1d")
    assert table["cluster"].to_list() == ["east", "west"] and table["groups"].to_list() == [20, 20]
    assert "analysed here" in source  # no lag_groups result table yet
    assert table["first_full_broker"].null_count() == 2  # no config history: no capacity figures
