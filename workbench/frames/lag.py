"""The lag report's inputs from the store: the offsets window with warm-up, and the log ends,
at once or in pieces of whole groups (:func:`load_lag_pieces`)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import polars as pl

from workbench.errors import NotFoundError
from workbench.frames.log_ends import load_log_ends_behind, load_log_ends_reaching
from workbench.frames.offsets import (
    load_offsets,
    load_partition_offsets,
    resolve_window,
    scan_offsets,
    scan_partition_offsets,
    warmup_start,
)
from workbench.frames.pieces import offsets_in_pieces
from workbench.frames.rollups import pick_resolution
from workbench.store import Store

__all__ = [
    "LAG_COLUMNS",
    "ROWS_PER_PIECE",
    "Filter",
    "LagPieces",
    "load_commits",
    "load_hanging_inputs",
    "load_lag_pieces",
    "load_lag_window",
    "load_log_ends",
    "load_log_ends_behind",
    "load_log_ends_reaching",
    "load_open_transactions",
    "load_stable_offsets",
]

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


def load_hanging_inputs(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: dt.datetime | None,
    until: str | dt.datetime | None = None,
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """(log ends, last stable offsets) of the partitions whose stable offsets were collected, for
    hanging transactions; (None, None) when none were (the log ends of other topics stay unread)."""
    stable = load_stable_offsets(data_dir, cluster, since, until)
    if stable is None:
        return None, None
    end = until if isinstance(until, dt.datetime) else None
    keys = stable.select("topic", "partition").unique().lazy()
    ends = scan_partition_offsets(data_dir, cluster, since, end).join(
        keys, on=["topic", "partition"], how="semi"
    )
    return ends.sort(["ts", "topic", "partition"]).collect(), stable


#: Rows per piece of whole groups read at once (about 1 KB a row while a piece is analysed; a
#: 1 M-row piece peaked at 1.3 GB in the kernel, 250 k at 0.8 GB and ran faster: docs/scale.md).
ROWS_PER_PIECE = 250_000
#: The offsets columns the lag report's analysis reads (not client ids, hosts, group state, source).
LAG_COLUMNS = (
    "ts",
    "cluster",
    "group",
    "topic",
    "partition",
    "committed_offset",
    "log_start_offset",
    "log_end_offset",
    "member_id",
    "lag",
    "lag_raw",
    "retention_gap",
    "lost_messages",
    "ahead_of_log_end",
    "never_committed",
)


@dataclass(frozen=True)
class LagPieces:
    """A lag window to be read piece by piece (see :func:`load_lag_pieces`)."""

    pieces: Iterator[pl.DataFrame]
    span: tuple[dt.datetime, dt.datetime]
    shown_from: dt.datetime | None
    log_ends: pl.LazyFrame | None  # partition offsets at snapshot times the offsets lack
    commits: pl.LazyFrame | None  # collected commits (None: none), for Burrow's status on commits
    history: pl.LazyFrame | None  # every log-end reading, with commits only
    source: str


def load_lag_pieces(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: str | dt.datetime | None,
    until: str | dt.datetime | None,
    groups: Filter,
    topics: Filter,
    intervals: int,
    resolution: str = "auto",
    rows_per_piece: int = ROWS_PER_PIECE,
) -> LagPieces:
    """:func:`load_lag_window` as pieces of whole groups read one at a time, at the resolution
    :func:`~workbench.frames.rollups.pick_resolution` picks (raw, 5-minute or hourly rollups).

    A reading set bigger than ``rows_per_piece`` is split into its groups, a bigger group into
    pieces of its partitions (consecutive); only :data:`LAG_COLUMNS` are read. ``span`` is the
    window shown (first, last instant).
    """
    res = pick_resolution(data_dir, cluster, since, until, resolution)
    load_from, shown_from = warmup_start(data_dir, cluster, res.since, intervals, res.offsets)
    scan = scan_offsets(data_dir, cluster, load_from, res.until, groups, topics, res.offsets)
    bounds = scan.select(lo=pl.col("ts").min(), hi=pl.col("ts").max()).collect(engine="streaming")
    if bounds["lo"][0] is None:
        raise NotFoundError(f"{data_dir}: no consumer-group offsets in the selected window")
    pieces = offsets_in_pieces(
        data_dir,
        cluster,
        load_from,
        res.until,
        groups,
        topics,
        rows_per_piece,
        split_sets=True,
        split_groups=True,
        columns=LAG_COLUMNS,
        dataset=res.offsets,
    )
    ends = _extra_log_ends(data_dir, cluster, load_from, res.until, topics, scan, res.partition_offsets)
    span = (shown_from or bounds["lo"][0], bounds["hi"][0])
    commits, history = _commit_inputs(data_dir, cluster, load_from, res.until, topics, res.partition_offsets)
    return LagPieces(pieces, span, shown_from, ends, commits, history, res.note)


def _commit_inputs(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    topics: Filter,
    dataset: str,
) -> tuple[pl.LazyFrame | None, pl.LazyFrame | None]:
    """The commits (``workbench collect commits``) and log-end history of the window, lazily,
    or (None, None) when no commits were collected or no partition offsets are stored."""
    store = Store(data_dir)
    if not store.clusters("commits") or not store.clusters(dataset):
        return None, None
    name, _, _ = resolve_window(store, "offsets", cluster, None, None)
    commits = store.scan("commits", cluster=name, since=since, until=until)
    return commits, scan_partition_offsets(data_dir, cluster, since, until, topics, dataset)


def _extra_log_ends(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    topics: Filter,
    offsets: pl.LazyFrame,
    dataset: str,
) -> pl.LazyFrame | None:
    """The ``dataset`` (partition offsets) rows at snapshot times the offsets do not have (None
    when there are none): the time lag's history is the union of both, and where both have a
    snapshot their log ends are the same reading, so only the other times add points."""
    if not Store(data_dir).clusters(dataset):
        return None
    ends = scan_partition_offsets(data_dir, cluster, since, until, topics, dataset)
    extra = ends.join(offsets.select(pl.col("ts").unique()), on="ts", how="anti")
    return None if extra.select(pl.len()).collect(engine="streaming").item() == 0 else extra
