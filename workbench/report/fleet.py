"""The fleet report's inputs: each cluster of a data directory, its groups and its capacity plan."""

from __future__ import annotations

import os

import polars as pl

from workbench.analyze import capacity
from workbench.analyze.fleet import ClusterView, fleet_table
from workbench.analyze.lag import analyze_lag, group_table
from workbench.errors import NotFoundError
from workbench.frames.bench import load_capacity_runs
from workbench.frames.capacity import load_capacity_frames
from workbench.frames.lag import load_log_ends
from workbench.frames.offsets import load_offsets
from workbench.store import Store
from workbench.store.results import read_result

#: Display formats of the fleet table's columns.
FLEET_FORMATS = {
    "max_time_lag_s": ",.0f",
    "hottest_utilization": ".0%",
    "broker_days_until_fill": ",.0f",
    "brokers_now": ",.0f",
    "brokers_needed": ",.0f",
}


def clusters(data_dir: str | os.PathLike[str]) -> list[str]:
    """Every cluster with offsets or partition offsets in ``data_dir``."""
    store = Store(data_dir)
    names = sorted(set(store.clusters("offsets")) | set(store.clusters("partition_offsets")))
    if not names:
        raise NotFoundError(f"{store.root} holds no offsets data: collect or import some first")
    return names


def cluster_groups(
    data_dir: str | os.PathLike[str], cluster: str, since: str, result: pl.DataFrame | None
) -> pl.DataFrame:
    """Per-group rows of ``cluster``: from the ``lag_groups`` result table (``workbench spark
    analyze``) when it holds the cluster, else analysed here over ``since``."""
    if result is not None:
        mine = result.filter(pl.col("cluster") == cluster)
        if mine.height:
            return mine
    if cluster not in Store(data_dir).clusters("offsets"):
        return pl.DataFrame()
    offsets = load_offsets(data_dir, cluster, since)
    return group_table(analyze_lag(offsets, load_log_ends(data_dir, cluster, since)))


def cluster_plan(
    data_dir: str | os.PathLike[str], cluster: str, since: str, horizon_days: float, fill_target: float
) -> capacity.CapacityPlan | None:
    """The capacity plan of ``cluster`` with measured inputs only (None without config history)."""
    try:
        stored = load_capacity_frames(data_dir, cluster, since)
    except NotFoundError:
        return None
    inputs = capacity.capacity_inputs(stored)
    producer, consumer = capacity.bench_capacities(load_capacity_runs(data_dir, cluster, None), None, None)
    params = capacity.make_params(
        producer,
        consumer,
        horizon_days,
        1.5,
        None,
        None,
        fill_target,
        None,
        None,
        capacity.measured_disk(inputs),
    )
    return capacity.plan_capacity(inputs, params)


def load_fleet(
    data_dir: str | os.PathLike[str], since: str = "1d", horizon_days: float = 90, fill_target: float = 0.7
) -> tuple[pl.DataFrame, str]:
    """The fleet table (:func:`workbench.analyze.fleet.fleet_table`) and where its lag came from."""
    result = read_result(data_dir, "lag_groups")
    views = [
        ClusterView(
            name,
            cluster_groups(data_dir, name, since, result),
            cluster_plan(data_dir, name, since, horizon_days, fill_target),
        )
        for name in clusters(data_dir)
    ]
    source = (
        "Group status and time lag from the lag_groups result table (workbench spark analyze)."
        if result is not None
        else f"Group status and time lag analysed here over the last {since} of each cluster's history."
    )
    return fleet_table(views), source
