"""The lag report's inputs from the store: the offsets window with warm-up, and the log ends."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence

import polars as pl

from workbench.frames.offsets import load_offsets, load_partition_offsets, warmup_start
from workbench.store import Store

__all__ = ["Filter", "load_lag_window", "load_log_ends"]

Filter = str | Sequence[str] | None


def load_log_ends(
    data_dir: str | os.PathLike[str],
    cluster: str | None = None,
    since: str | dt.datetime | None = "7d",
    until: str | dt.datetime | None = None,
    topics: Filter = None,
) -> pl.DataFrame | None:
    """The ``partition_offsets`` history when the data directory has one, else None (an imported
    history may hold consumer-group offsets only; time lag then uses their log ends)."""
    if not Store(data_dir).clusters("partition_offsets"):
        return None
    return load_partition_offsets(data_dir, cluster, since, until, topics)


def load_lag_window(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: str | dt.datetime | None,
    until: str | dt.datetime | None,
    groups: Filter,
    topics: Filter,
    intervals: int,
) -> tuple[pl.DataFrame, pl.DataFrame | None, dt.datetime | None]:
    """The offsets of the window plus ``intervals`` snapshots of warm-up before it, the log ends
    of the same span, and the instant the window shown starts (None: the whole history).

    Burrow's rules judge the last ``intervals`` commits; :func:`workbench.analyze.lag.analyze_window`
    evaluates on the warm-up too and then trims it away.
    """
    load_from, shown_from = warmup_start(data_dir, cluster, since, intervals)
    offsets = load_offsets(data_dir, cluster, load_from, until, groups, topics)
    log_ends = load_log_ends(data_dir, cluster, load_from, until, topics)
    return offsets, log_ends, shown_from


def _load_optional(
    dataset: str,
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: dt.datetime | None,
    until: object,
) -> pl.DataFrame | None:
    """``dataset`` from ``since`` (to ``until`` when it is an instant), or None when it is absent."""
    store = Store(data_dir)
    if not store.clusters(dataset):
        return None
    end = until if isinstance(until, dt.datetime) else None
    frame = store.scan(dataset, cluster=cluster, since=since, until=end).collect()
    return frame if frame.height else None


def load_commits(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: dt.datetime | None,
    until: str | dt.datetime | None = None,
) -> pl.DataFrame | None:
    """The ``commits`` history (``workbench collect commits``) from ``since``, or None when the
    data directory has none for the cluster (``__consumer_offsets`` was not read)."""
    return _load_optional("commits", data_dir, cluster, since, until)


def load_stable_offsets(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: dt.datetime | None,
    until: str | dt.datetime | None = None,
) -> pl.DataFrame | None:
    """The ``stable_offsets`` history (last stable offsets), or None when none was collected."""
    return _load_optional("stable_offsets", data_dir, cluster, since, until)


def load_open_transactions(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: dt.datetime | None,
    until: str | dt.datetime | None = None,
) -> pl.DataFrame | None:
    """The ``open_transactions`` the collector named on stuck partitions, or None when none."""
    return _load_optional("open_transactions", data_dir, cluster, since, until)
