"""Rollups: the offsets histories per 5 minutes and per hour, for reports over long windows.

A rollup row is the bucket's last snapshot of a (group, topic, partition) or (topic, partition),
in the raw dataset's columns, plus the bucket's first time, snapshot count, first/min/max lag,
committed and log-end deltas, Empty-state count (:data:`workbench.schema.OFFSETS_ROLLUP`) and,
per partition, how often its log end fell inside the bucket (``workbench lag`` skips hours without). An
analysis reads it as a history sampled once a bucket. Raw snapshots stay the source of truth:
:func:`rebuild_rollups` recomputes every rollup from them, day by day. See ``docs/scale.md``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import polars as pl

from workbench.errors import ConfigError
from workbench.frames.offsets import add_lag_columns, resolve_window, without_flagged
from workbench.schema import DATASETS, ROLLUPS
from workbench.store import Store
from workbench.store.versions import reset_outdated_rollups

RAW = ("offsets", "partition_offsets")
#: The maintenance lock every rollup writer holds (not a dataset's: rollups span four tables).
ROLLUP_LOCK = "_rollups"
_KEYS = {
    "offsets": ["cluster", "group", "topic", "partition"],
    "partition_offsets": ["cluster", "topic", "partition"],
}


def rollup_name(dataset: str, resolution: str) -> str:
    """``("offsets", "5m")`` -> ``"offsets_5m"``."""
    return f"{dataset}_{resolution}"


def rollup(frame: pl.DataFrame | pl.LazyFrame, dataset: str, every: str) -> pl.DataFrame:
    """One row per bucket of ``every`` and key of raw ``dataset`` rows (see the module docstring)."""
    keys = _KEYS[dataset]
    lf = frame.lazy()
    if dataset == "offsets":
        lf = add_lag_columns(lf)  # type: ignore[assignment]
    lf = lf.with_columns(_bucket=pl.col("ts").dt.truncate(every))
    raw = [c for c in DATASETS[dataset][0] if c not in keys]
    last = [pl.col(c).sort_by("ts").last() for c in raw]
    extra = [
        pl.col("ts").min().alias("first_ts"),
        pl.len().cast(pl.Int32).alias("snapshots"),
        (
            pl.col("log_end_offset").sort_by("ts").last() - pl.col("log_end_offset").sort_by("ts").first()
        ).alias("log_end_delta"),
    ]
    if dataset == "partition_offsets":  # readings without a log end are skipped, as time_lag does
        ends = pl.col("log_end_offset").sort_by("ts").drop_nulls()
        extra.append((ends.diff() < 0).sum().cast(pl.Int32).alias("log_end_falls"))
    if dataset == "offsets":
        committed = pl.col("committed_offset").sort_by("ts")
        extra += [
            pl.col("lag").sort_by("ts").first().alias("lag_first"),
            pl.col("lag").min().alias("lag_min"),
            pl.col("lag").max().alias("lag_max"),
            (committed.last() - committed.first()).alias("committed_delta"),
            (pl.col("group_state") == "Empty").sum().cast(pl.Int32).alias("empty_snapshots"),
        ]
    out = lf.group_by("_bucket", *keys).agg(*last, *extra).drop("_bucket")
    name = rollup_name(dataset, next(r for r, e in ROLLUPS.items() if e == every))
    return out.select(DATASETS[name][0].names()).sort(*keys, "ts").collect()  # by key: docs/scale.md


@dataclass(frozen=True)
class RollupResult:
    """What :func:`write_rollups` wrote: rows per rollup dataset, days done."""

    rows: dict[str, int]
    days: int

    def line(self) -> str:
        """A one-line summary."""
        rows = ", ".join(f"{n:,} {name}" for name, n in self.rows.items())
        return f"rolled up {self.days} day(s): {rows or 'nothing'}"


def write_rollups(store: Store, cluster: str, days: list[dt.date]) -> RollupResult:
    """Roll up ``days`` (whole UTC days) of ``cluster``'s raw offsets into every rollup dataset.

    Each day is read, rolled up and written on its own (memory: one day of raw rows); a day's
    buckets never cross midnight. Rollups already there for those days are replaced.
    """
    rows: dict[str, int] = {}
    for day in days:
        start = dt.datetime.combine(day, dt.time(), dt.UTC)
        end = start + dt.timedelta(days=1)
        for dataset in RAW:
            if cluster not in store.clusters(dataset):
                continue
            raw = without_flagged(
                store, store.scan(dataset, cluster=cluster, since=start, until=end), cluster, start
            )
            for resolution, every in ROLLUPS.items():
                name = rollup_name(dataset, resolution)
                store.delete_day(name, cluster, day)
                frame = rollup(raw, dataset, every)
                store.append(name, frame)
                rows[name] = rows.get(name, 0) + frame.height
    return RollupResult(rows, len(days))


def stored_days(store: Store, dataset: str, cluster: str, before: dt.date | None = None) -> list[dt.date]:
    """The UTC days with raw ``dataset`` rows for ``cluster`` (before ``before`` when given)."""
    dates = store.scan(dataset, cluster=cluster).select(pl.col("ts").dt.date().unique())
    days = dates.collect(engine="streaming")
    return sorted(d for d in days.to_series().to_list() if before is None or d < before)


def closed_days_to_roll_up(store: Store, cluster: str, before: dt.date | None) -> list[dt.date]:
    """Days of raw offsets before ``before`` (None: every day) that a raw dataset has and one of
    its rollups lacks."""
    todo: set[dt.date] = set()
    for dataset in RAW:
        raw = set(stored_days(store, dataset, cluster, before))
        for resolution in ROLLUPS:
            todo |= raw - set(stored_days(store, rollup_name(dataset, resolution), cluster))
    return sorted(todo)


def roll_up_closed_days(store: Store, cluster: str, before: dt.date | None) -> RollupResult | None:
    """Roll up ``cluster``'s days before ``before`` that a rollup lacks (None: none did). The days
    are chosen and written under the rollup lock, so a concurrent compaction waits and then finds
    them done (two writers of one day would each delete it and both append: every row twice)."""
    with store.maintenance(ROLLUP_LOCK):
        days = closed_days_to_roll_up(store, cluster, before)
        return write_rollups(store, cluster, days) if days else None


def rebuild_rollups(data_dir: str | os.PathLike[str], cluster: str | None = None) -> dict[str, RollupResult]:
    """Recompute every rollup of ``cluster`` (default: every cluster with offsets) from raw snapshots."""
    store = Store(data_dir)
    reset_outdated_rollups(store)  # rolled up again below
    clusters = (
        [cluster]
        if cluster
        else sorted(set(store.clusters("offsets")) | set(store.clusters("partition_offsets")))
    )
    out = {}
    for name in clusters:
        with store.maintenance(ROLLUP_LOCK):  # one writer of rollups at a time (roll_up_closed_days)
            for resolution in ROLLUPS:
                for dataset in RAW:
                    store.delete_cluster(rollup_name(dataset, resolution), name)
            days = sorted(
                set(stored_days(store, "offsets", name)) | set(stored_days(store, "partition_offsets", name))
            )
            out[name] = write_rollups(store, name, days)
    return out


#: The window length from which ``resolution="auto"`` reads each rollup (shorter: raw snapshots).
AUTO_FROM = {"5m": dt.timedelta(days=7), "1h": dt.timedelta(days=30)}
_LABEL = {"raw": "raw snapshots", "5m": "5-minute rollups", "1h": "hourly rollups"}


@dataclass(frozen=True)
class Resolution:
    """Which datasets a report reads for its window, and the sentence that says so."""

    name: str  # raw, 5m, 1h
    offsets: str
    partition_offsets: str
    since: dt.datetime | None
    until: dt.datetime | None
    note: str


def pick_resolution(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: str | dt.datetime | None,
    until: str | dt.datetime | None,
    resolution: str = "auto",
) -> Resolution:
    """Raw snapshots for a window shorter than 7 days, 5-minute rollups from 7 days, hourly from 30
    (``resolution`` forces one: ``raw``, ``5m``, ``1h``); raw when the rollup does not reach the
    newest raw snapshot (not rolled up yet: ``workbench compact`` or ``workbench rollup rebuild``)."""
    if resolution not in ("auto", "raw", *ROLLUPS):
        raise ConfigError(f"resolution must be auto, raw, {', '.join(ROLLUPS)} (got {resolution!r})")
    store = Store(data_dir)
    name, t0, t1 = resolve_window(store, "offsets", cluster, since, until)
    newest = store.latest_ts("offsets", name)
    oldest = t0 or store.scan("offsets", cluster=name).select(pl.col("ts").min()).collect().item()
    span = (
        (min(t1 or newest, newest) - oldest) if oldest is not None and newest is not None else dt.timedelta(0)
    )
    choice = resolution
    if resolution == "auto":
        choice = next((r for r in ("1h", "5m") if span >= AUTO_FROM[r]), "raw")
    note = ""
    if choice != "raw":
        rolled = (
            store.latest_ts(rollup_name("offsets", choice), name)
            if name in store.clusters(rollup_name("offsets", choice))
            else None
        )
        if rolled is None or newest is None or rolled < min(t1 or newest, newest) - _bucket(choice):
            note = f"; the {_LABEL[choice]} do not reach the newest snapshot (run `workbench rollup rebuild`)"
            choice = "raw"
    suffix = "" if choice == "raw" else f"_{choice}"
    why = "" if resolution != "auto" else f" (window {_days(span)}: {_rule()})"
    text = f"Computed from {_LABEL[choice]}{why}{note}."
    return Resolution(choice, f"offsets{suffix}", f"partition_offsets{suffix}", t0, t1, text)


def _bucket(resolution: str) -> dt.timedelta:
    return dt.timedelta(minutes=5) if resolution == "5m" else dt.timedelta(hours=1)


def _days(span: dt.timedelta) -> str:
    return f"{span.total_seconds() / 86400:.3g} days"


def _rule() -> str:
    return "raw below 7 days, 5-minute rollups from 7 days, hourly from 30"
