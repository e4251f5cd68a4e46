"""Config-health frames from the store: one snapshot (the newest at or before an instant) or a
window of snapshots, for the five datasets ``cluster_info``, ``brokers``, ``configs``,
``topic_partitions`` and ``log_dirs``.

Every dataset of one collected snapshot carries the same ``ts``; ``cluster_info`` has exactly one
row per snapshot, so its timestamps are the snapshot list.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl

from workbench.errors import ConfigError, NotFoundError
from workbench.frames.offsets import resolve_window
from workbench.store import Store
from workbench.units import parse_instant

__all__ = [
    "CONFIG_DATASETS",
    "frames_at",
    "load_config_history",
    "load_config_snapshot",
    "read_rules_file",
    "snapshot_times",
    "split_snapshot",
]

CONFIG_DATASETS = ("cluster_info", "brokers", "configs", "topic_partitions", "log_dirs")
_EPSILON = dt.timedelta(microseconds=1)


def snapshot_times(
    data_dir: str | os.PathLike[str],
    cluster: str | None = None,
    since: str | dt.datetime | None = "7d",
    until: str | dt.datetime | None = None,
) -> tuple[str, list[dt.datetime]]:
    """The cluster (resolved when omitted) and its snapshot instants in [since, until)."""
    store = Store(data_dir)
    cluster, t0, t1 = resolve_window(store, "cluster_info", cluster, since, until)
    times = store.scan("cluster_info", cluster=cluster, since=t0, until=t1).select("ts").unique().collect()
    return cluster, sorted(times["ts"].to_list())


def load_config_snapshot(
    data_dir: str | os.PathLike[str],
    cluster: str | None = None,
    at: str | dt.datetime | None = None,
) -> dict[str, pl.DataFrame]:
    """The newest snapshot at or before ``at`` (default: the newest), one frame per dataset.

    ``at`` is ISO 8601 or a duration back from the newest snapshot (``"1d"``).
    """
    store = Store(data_dir)
    cluster, _, _ = resolve_window(store, "cluster_info", cluster, None, None)
    newest = store.latest_ts("cluster_info", cluster)
    instant = parse_instant(at, newest or dt.datetime.now(dt.UTC), "--at") if at is not None else None
    lf = store.scan("cluster_info", cluster=cluster)
    if instant is not None:
        lf = lf.filter(pl.col("ts") <= instant)
    anchor = lf.select(pl.col("ts").max()).collect().item()
    if anchor is None:
        raise NotFoundError(
            f"no config snapshot of cluster {cluster!r} in {store.root} at or before {at}: "
            "collect one with `workbench collect configs`"
        )
    return frames_at(store, cluster, anchor)


def frames_at(store: Store, cluster: str, ts: dt.datetime) -> dict[str, pl.DataFrame]:
    """Every dataset's rows of the snapshot taken at ``ts``."""
    return {
        name: store.scan(name, cluster=cluster, since=ts, until=ts + _EPSILON).collect()
        for name in CONFIG_DATASETS
    }


def load_config_history(
    data_dir: str | os.PathLike[str],
    cluster: str | None = None,
    since: str | dt.datetime | None = "7d",
    at: str | dt.datetime | None = None,
) -> dict[str, pl.DataFrame]:
    """Every snapshot from ``since`` up to and including ``at`` (default: the newest), one frame
    per dataset, sorted by time. Durations count back from the newest snapshot."""
    store = Store(data_dir)
    cluster, t0, _ = resolve_window(store, "cluster_info", cluster, since, None)
    newest = store.latest_ts("cluster_info", cluster) or dt.datetime.now(dt.UTC)
    end = parse_instant(at, newest, "at") if at is not None else None
    t1 = end + _EPSILON if end is not None else None
    history = {
        name: store.scan(name, cluster=cluster, since=t0, until=t1).sort("ts").collect()
        for name in CONFIG_DATASETS
    }
    if history["cluster_info"].is_empty():
        raise NotFoundError(
            f"no config snapshots of cluster {cluster!r} in {store.root} between {since} and {at}"
        )
    return history


def split_snapshot(history: dict[str, pl.DataFrame], ts: dt.datetime) -> dict[str, pl.DataFrame]:
    """One snapshot's frames out of a history (rows with ``ts`` equal to ``ts``)."""
    return {name: frame.filter(pl.col("ts") == ts) for name, frame in history.items()}


def read_rules_file(rules_file: str | os.PathLike[str] | None) -> str | None:
    """The text of a config-rule TOML file (None when no file is given)."""
    if not rules_file:
        return None
    try:
        return Path(rules_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read rule file {rules_file}: {exc.strerror}") from exc
