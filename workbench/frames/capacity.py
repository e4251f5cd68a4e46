"""The capacity report's inputs from the store: offsets, partition offsets, config history."""

from __future__ import annotations

import os
from dataclasses import dataclass

import polars as pl

from workbench.errors import NotFoundError
from workbench.frames.configs import load_config_history, split_snapshot
from workbench.frames.offsets import load_offsets, load_partition_offsets, resolve_window
from workbench.scalars import as_datetime
from workbench.store import Store

__all__ = ["CapacityFrames", "load_broker_metrics", "load_capacity_frames", "newest_volumes"]


@dataclass(frozen=True)
class CapacityFrames:
    """One cluster's frames of the window, as stored (no analysis yet)."""

    cluster: str
    partition_offsets: pl.DataFrame
    offsets: pl.DataFrame
    log_dirs: pl.DataFrame
    newest: dict[str, pl.DataFrame]
    """The newest config snapshot's frames (``cluster_info``, ``brokers``, ``configs``, ...)."""
    volumes: pl.DataFrame | None = None
    """The newest log-dir volume sizes (``log_dir_volumes``; empty before Kafka 3.3 or older data)."""


def load_capacity_frames(
    data_dir: str | os.PathLike[str], cluster: str | None = None, since: str | None = "7d"
) -> CapacityFrames:
    """The frames of the window: partition offsets, offsets, log dirs, the newest config snapshot."""
    store = Store(data_dir)
    if not store.clusters("partition_offsets"):
        raise NotFoundError(f"{data_dir}: no partition_offsets: collect with `workbench collect offsets`")
    po = load_partition_offsets(data_dir, cluster, since)
    name = str(po["cluster"][0]) if po.height else str(cluster)
    offsets = load_offsets(data_dir, name, since) if store.clusters("offsets") else pl.DataFrame()
    history = load_config_history(data_dir, name, since) if name in store.clusters("cluster_info") else None
    if history is None:
        raise NotFoundError(f"{data_dir}: no config snapshots of {name}: run `workbench collect configs`")
    newest_ts = as_datetime(history["cluster_info"]["ts"].max())
    if newest_ts is None:
        raise NotFoundError(f"{data_dir}: no config snapshots of {name}: run `workbench collect configs`")
    newest = split_snapshot(history, newest_ts)
    volumes = newest_volumes(store, name)
    return CapacityFrames(name, po, offsets, history["log_dirs"], newest, volumes)


def newest_volumes(store: Store, cluster: str) -> pl.DataFrame:
    """Each broker's newest log-dir volume sizes (``log_dir_volumes``; empty before Kafka 3.3)."""
    if cluster not in store.clusters("log_dir_volumes"):
        return pl.DataFrame(schema=store.scan("log_dir_volumes").collect_schema())
    volumes = store.scan("log_dir_volumes", cluster=cluster).collect()
    return volumes.filter(pl.col("ts") == pl.col("ts").max().over("broker"))


def load_broker_metrics(
    data_dir: str | os.PathLike[str], cluster: str, since: str | None = "7d"
) -> pl.DataFrame | None:
    """The cluster's ``broker_metrics`` of the window (``since`` back from its newest row), or None
    when there are none (imported with ``workbench import prometheus``)."""
    store = Store(data_dir)
    if cluster not in store.clusters("broker_metrics"):
        return None
    _, t0, _ = resolve_window(store, "broker_metrics", cluster, since, None)
    return store.scan("broker_metrics", cluster=cluster, since=t0).collect()
