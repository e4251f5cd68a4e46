"""Offsets history -> frames with lag columns."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from workbench import patterns
from workbench.errors import NotFoundError
from workbench.schema import CLOCK_FLAG_PREFIX
from workbench.store import DataDir, Store
from workbench.units import parse_instant

__all__ = [
    "Filter",
    "add_lag_columns",
    "add_stable_lag",
    "load_offsets",
    "load_partition_offsets",
    "resolve_window",
    "scan_offsets",
    "scan_partition_offsets",
    "warmup_start",
]

Filter = str | Sequence[str] | None


def add_lag_columns(frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame | pl.DataFrame:
    """Add the lag columns to an offsets frame:

    * ``lag``: ``max(0, log_end - max(committed, log_start))``: what the group still has to
      read. Null where the group never committed or the log end is unknown (never 0).
    * ``lag_raw``: ``log_end - committed``, unclamped, as ``kafka-consumer-groups`` prints it.
    * ``retention_gap``: True where ``committed < log_start``: retention deleted messages the
      group never read (``lag`` then counts only what is still on disk).
    * ``lost_messages``: ``log_start - committed`` where positive, else 0 (null without a commit).
    * ``ahead_of_log_end``: True where ``committed > log_end`` (topic recreated or truncated):
      the consumer will be reset by ``auto.offset.reset``; ``never_committed``: no commit.
    """
    committed = pl.col("committed_offset")
    start = pl.col("log_start_offset")
    end = pl.col("log_end_offset")
    effective = pl.max_horizontal(committed, start)
    has = committed.is_not_null() & end.is_not_null()
    return frame.with_columns(
        lag=pl.when(has).then(pl.max_horizontal(end - effective, pl.lit(0, pl.Int64))),
        lag_raw=pl.when(has).then(end - committed),
        retention_gap=pl.when(committed.is_not_null()).then(start.is_not_null() & (committed < start)),
        lost_messages=pl.when(committed.is_not_null()).then(
            pl.max_horizontal(start.fill_null(committed) - committed, pl.lit(0, pl.Int64))
        ),
        ahead_of_log_end=pl.when(has).then(committed > end),
        never_committed=committed.is_null(),
    )


def add_stable_lag(offsets: pl.DataFrame, stable: pl.DataFrame | None) -> pl.DataFrame:
    """``offsets`` (with lag columns) plus ``last_stable_offset`` (same snapshot) and
    ``readable_lag`` = max(0, LSO - max(committed, log_start)): what a read_committed consumer
    can still read (the rest waits behind an open transaction). Null where the LSO is unknown."""
    key = ["ts", "cluster", "topic", "partition"]
    if stable is None:
        stable = pl.DataFrame(schema={**offsets.select(key).schema, "last_stable_offset": pl.Int64})
    out = offsets.join(stable.select(*key, "last_stable_offset"), on=key, how="left")
    effective = pl.max_horizontal("committed_offset", "log_start_offset")
    has = pl.col("committed_offset").is_not_null() & pl.col("last_stable_offset").is_not_null()
    readable = pl.max_horizontal(pl.col("last_stable_offset") - effective, pl.lit(0, pl.Int64))
    return out.with_columns(readable_lag=pl.when(has).then(readable))


def without_flagged(store: Store, lf: pl.LazyFrame, cluster: str, since: dt.datetime | None) -> pl.LazyFrame:
    """``lf`` without the snapshots the collector flagged (clock stepped back, or a gap under a
    tenth of the interval): their rows stay on disk but would make rates nonsense."""
    flagged = (
        store.scan("collections", cluster=cluster, since=since)
        .filter(pl.col("ok") & pl.col("error").str.starts_with(CLOCK_FLAG_PREFIX))
        .select("cluster", "ts")
    )
    return lf.join(flagged, on=["cluster", "ts"], how="anti", maintain_order="left")


def resolve_window(
    store: Store,
    dataset: str,
    cluster: str | None,
    since: str | dt.datetime | None,
    until: str | dt.datetime | None,
) -> tuple[str, dt.datetime | None, dt.datetime | None]:
    """Pick the cluster (the only one, when not given) and turn since/until into instants.

    A duration such as ``"7d"`` counts back from the newest snapshot of that cluster, so a
    report on an old or imported history shows its last 7 days rather than nothing.
    """
    if store.location.local and not Path(store.root).is_dir():
        raise NotFoundError(
            f"data directory {store.root} does not exist: check --data-dir (or WORKBENCH_DATA_DIR), "
            "or collect or import into it first"
        )
    names = store.clusters(dataset)
    if not names:
        raise NotFoundError(f"{store.root} holds no {dataset} data: collect or import some first")
    if cluster is None:
        if len(names) != 1:
            have = ", ".join(names) or "none"
            raise NotFoundError(f"{store.root}: pass cluster=NAME (clusters with {dataset} data: {have})")
        cluster = names[0]
    elif cluster not in names:
        have = ", ".join(names) or "none"
        raise NotFoundError(
            f"no {dataset} data for cluster {cluster!r} in {store.root} (clusters there: {have}); "
            "check --data-dir and --cluster"
        )
    relative = any(isinstance(v, str) and v.strip() for v in (since, until))  # a duration needs the newest
    anchor = (store.latest_ts(dataset, cluster) if relative else None) or dt.datetime.now(dt.UTC)
    return cluster, parse_instant(since, anchor, "since"), parse_instant(until, anchor, "until")


def warmup_start(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: str | dt.datetime | None,
    snapshots: int,
    dataset: str = "offsets",
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Where to start loading so that up to ``snapshots`` stored snapshots precede the window.

    Windowed rules (Burrow's evaluates the last N commits) need history before the first
    snapshot they judge. Returns ``(load_from, shown_from)``: ``shown_from`` is ``since`` as an
    instant (None: the whole history), ``load_from`` the ``snapshots``-th snapshot before it, or
    the oldest stored one when the history starts later (then fewer snapshots precede it).
    """
    store = Store(data_dir)
    cluster, shown_from, _ = resolve_window(store, dataset, cluster, since, None)
    if shown_from is None or snapshots <= 0:
        return shown_from, shown_from

    def stamps(lower: dt.datetime | None) -> pl.Series:
        lf = store.scan(dataset, cluster=cluster, since=lower, until=shown_from)
        return lf.select(pl.col("ts").unique()).collect()["ts"].sort()

    before = stamps(shown_from - dt.timedelta(days=2))  # the whole history only when needed
    if before.len() < snapshots:
        before = stamps(None)
    return (before.tail(snapshots).min() if before.len() else shown_from), shown_from  # type: ignore[return-value]


def _name_filter(column: str, names: Filter) -> pl.Expr | None:
    """A regex (anchored; :mod:`workbench.patterns`' engine) or a list of exact names."""
    if names is None:
        return None
    if isinstance(names, str):
        return patterns.name_filter(column, names, f"{column}s")
    return pl.col(column).is_in(list(names))


def load_offsets(
    data_dir: str | os.PathLike[str],
    cluster: str | None = None,
    since: str | dt.datetime | None = "7d",
    until: str | dt.datetime | None = None,
    groups: Filter = None,
    topics: Filter = None,
) -> pl.DataFrame:
    """Load the consumer-group offsets history with lag columns (see :func:`add_lag_columns`).

    Args:
        data_dir: the workbench data directory (``data/`` or ``data/sample``).
        cluster: cluster name; may be omitted when the directory holds one cluster.
        since, until: ISO 8601 instants, datetimes, or durations (``"7d"``) counted back from
            the newest snapshot. ``since=None`` loads everything.
        groups, topics: a regular expression (matched whole) or a list of exact names.

    Returns one row per snapshot, group, topic and partition, sorted by time, group, topic, partition.
    """
    lf = scan_offsets(data_dir, cluster, since, until, groups, topics)
    return lf.sort(["ts", "group", "topic", "partition"]).collect()


def scan_offsets(
    data_dir: str | os.PathLike[str],
    cluster: str | None = None,
    since: str | dt.datetime | None = "7d",
    until: str | dt.datetime | None = None,
    groups: Filter = None,
    topics: Filter = None,
    dataset: str = "offsets",
) -> pl.LazyFrame:
    """:func:`load_offsets` as an unsorted :class:`polars.LazyFrame` (the arguments are the same;
    ``dataset``: ``offsets`` or one of its rollups, ``offsets_5m`` or ``offsets_1h``)."""
    store = Store(data_dir)
    cluster, t0, t1 = resolve_window(store, dataset, cluster, since, until)
    lf = without_flagged(store, store.scan(dataset, cluster=cluster, since=t0, until=t1), cluster, t0)
    for expr in (_name_filter("group", groups), _name_filter("topic", topics)):
        if expr is not None:
            lf = lf.filter(expr)
    return add_lag_columns(lf)  # type: ignore[return-value]


def load_latest_offsets(data_dir: DataDir, cluster: str | None = None, groups: Filter = None) -> pl.DataFrame:
    """The newest complete snapshot of ``cluster`` with lag columns (what ``workbench lag`` shows).

    Reads one snapshot: the store finds its time from the table log's statistics, then reads
    only the files whose date partition and time range hold it (a bad file: one warning, skipped).
    """
    store = Store.of(data_dir)
    cluster, _, _ = resolve_window(store, "offsets", cluster, None, None)
    newest = store.latest_ts("offsets", cluster)
    if newest is None:
        return add_lag_columns(store.scan("offsets").head(0)).collect()  # type: ignore[union-attr]
    at = {"cluster": cluster, "since": newest, "until": newest + dt.timedelta(microseconds=1)}
    frame = store.read("offsets", **at)
    expr = _name_filter("group", groups)
    lagged = add_lag_columns(frame if expr is None else frame.filter(expr))
    stable = store.read("stable_offsets", **at) if cluster in store.clusters("stable_offsets") else None
    return add_stable_lag(lagged, stable)  # type: ignore[arg-type]


def load_partition_offsets(
    data_dir: str | os.PathLike[str],
    cluster: str | None = None,
    since: str | dt.datetime | None = "7d",
    until: str | dt.datetime | None = None,
    topics: Filter = None,
    dataset: str = "partition_offsets",
) -> pl.DataFrame:
    """Load log-start/log-end offsets of every topic partition over time (read or not), or of a
    rollup of them (``dataset``)."""
    lf = scan_partition_offsets(data_dir, cluster, since, until, topics, dataset)
    return lf.sort(["ts", "topic", "partition"]).collect()


def scan_partition_offsets(
    data_dir: DataDir,
    cluster: str | None = None,
    since: str | dt.datetime | None = "7d",
    until: str | dt.datetime | None = None,
    topics: Filter = None,
    dataset: str = "partition_offsets",
) -> pl.LazyFrame:
    """:func:`load_partition_offsets` as an unsorted :class:`polars.LazyFrame`."""
    store = Store.of(data_dir)
    cluster, t0, t1 = resolve_window(store, dataset, cluster, since, until)
    lf = store.scan(dataset, cluster=cluster, since=t0, until=t1)
    lf = without_flagged(store, lf, cluster, t0)
    expr = _name_filter("topic", topics)
    return lf if expr is None else lf.filter(expr)
