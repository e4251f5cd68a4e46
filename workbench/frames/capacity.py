"""The capacity report's inputs from the store: offsets, partition offsets, config history."""

from __future__ import annotations

import os
from dataclasses import dataclass

import polars as pl

from workbench.errors import NotFoundError
from workbench.frames.configs import load_config_history, split_snapshot
from workbench.frames.offsets import resolve_window, scan_partition_offsets
from workbench.frames.rollups import pick_resolution
from workbench.frames.slices import ROWS_PER_SLICE, WindowSlices, window_slices
from workbench.scalars import as_datetime
from workbench.schema import PARTITION_OFFSETS
from workbench.store import Store

__all__ = ["CapacityFrames", "load_broker_metrics", "load_capacity_frames", "newest_volumes"]


@dataclass(frozen=True)
class CapacityFrames:
    """One cluster's frames of the window, as stored (no analysis yet)."""

    cluster: str
    partition_offsets: WindowSlices
    """The window's partition offsets and offsets, read one time slice at a time when iterated."""
    log_dirs: pl.DataFrame
    newest: dict[str, pl.DataFrame]
    """The newest config snapshot's frames (``cluster_info``, ``brokers``, ``configs``, ...)."""
    volumes: pl.DataFrame | None = None
    """The newest log-dir volume sizes (``log_dir_volumes``; empty before Kafka 3.3 or older data)."""
    source: str = ""
    """Which snapshots the rates come from (raw or a rollup), as a sentence."""
    size_marks: pl.DataFrame | None = None
    """With a rollup: raw partition offsets at the log-dir snapshot times (bytes per message)."""


def load_capacity_frames(
    data_dir: str | os.PathLike[str],
    cluster: str | None = None,
    since: str | None = "7d",
    resolution: str = "auto",
    rows_per_slice: int = ROWS_PER_SLICE,
) -> CapacityFrames:
    """The frames of the window: partition offsets and offsets (read in time slices of about
    ``rows_per_slice`` offsets rows when the plan iterates them), log dirs, the newest config
    snapshot; offsets and partition offsets at the ``resolution``
    :func:`~workbench.frames.rollups.pick_resolution` picks (``source`` says which)."""
    store = Store(data_dir)
    if not store.clusters("partition_offsets"):
        raise NotFoundError(f"{data_dir}: no partition_offsets: collect with `workbench collect offsets`")
    res = pick_resolution(data_dir, cluster, since, None, resolution) if store.clusters("offsets") else None
    po_set = res.partition_offsets if res else "partition_offsets"
    name, _, _ = resolve_window(store, po_set, cluster, since, None)
    offsets_set = res.offsets if res is not None and name in store.clusters(res.offsets) else None
    window = window_slices(data_dir, name, since, po_set, offsets_set, rows_per_slice)
    history = load_config_history(data_dir, name, since) if name in store.clusters("cluster_info") else None
    if history is None:
        raise NotFoundError(f"{data_dir}: no config snapshots of {name}: run `workbench collect configs`")
    newest_ts = as_datetime(history["cluster_info"]["ts"].max())
    if newest_ts is None:
        raise NotFoundError(f"{data_dir}: no config snapshots of {name}: run `workbench collect configs`")
    newest = split_snapshot(history, newest_ts)
    volumes = newest_volumes(store, name)
    marks: pl.DataFrame | None = None
    if res is not None and res.name != "raw":
        at = history["log_dirs"].select(pl.col("ts").unique()).lazy()
        marked = scan_partition_offsets(data_dir, name, since).join(at, on="ts", how="semi")
        marks = (
            marked.select(PARTITION_OFFSETS.names())
            .drop("source")
            .sort(["ts", "topic", "partition"])
            .collect()
        )
    note = res.note if res else "Computed from raw snapshots."
    log_dirs = history["log_dirs"]
    return CapacityFrames(name, window, log_dirs, newest, volumes, note, marks)


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
