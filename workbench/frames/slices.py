"""A window of one cluster read in consecutive time slices (for the capacity plan's reduction)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import polars as pl

from workbench.errors import ConfigError, NotFoundError
from workbench.frames.offsets import resolve_window, without_flagged
from workbench.store import Store

__all__ = ["ROWS_PER_SLICE", "WindowSlices", "window_slices"]

#: Offsets rows a slice aims at (a slice takes about 300 bytes a row while it is reduced).
ROWS_PER_SLICE = 2_000_000
PO_COLUMNS = ("ts", "topic", "partition", "log_start_offset", "log_end_offset")
OFFSETS_COLUMNS = ("ts", "group", "topic", "partition", "committed_offset", "member_id")
_FIRST = dt.timedelta(hours=1)
_TICK = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class WindowSlices:
    """The window's ``partition_offsets`` (and ``offsets``) of one cluster, read one time slice at a
    time when iterated (:class:`workbench.analyze.capacity.Slices`). A slice's length adapts to
    the rows the one before held, aiming at ``rows_per_slice`` offsets rows (partition offsets
    rows without offsets); the slices cover the window once, oldest first."""

    store: Store
    cluster: str
    start: dt.datetime
    end: dt.datetime
    """Exclusive: one microsecond after the newest snapshot."""
    partition_dataset: str = "partition_offsets"
    offsets_dataset: str | None = "offsets"
    offsets_start: dt.datetime | None = None
    """Where the offsets window starts (``since`` counted back from the offsets' own newest row)."""
    rows_per_slice: int = ROWS_PER_SLICE
    bounds: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list, compare=False)
    """The slices read by the last iteration (for tests and the bench)."""

    def partition_slices(self) -> Iterator[pl.DataFrame]:
        """Partition offsets only, in slices of about ``rows_per_slice`` rows."""
        for _, po, _ in self._walk(with_offsets=False):
            yield po

    def slices(self) -> Iterator[tuple[pl.DataFrame, list[pl.DataFrame]]]:
        """Partition offsets and offsets of the same slice of time."""
        self.bounds.clear()
        for bounds, po, offsets in self._walk(with_offsets=self.offsets_dataset is not None):
            self.bounds.append(bounds)
            yield po, ([offsets] if offsets is not None else [])

    def _walk(
        self, with_offsets: bool
    ) -> Iterator[tuple[tuple[dt.datetime, dt.datetime], pl.DataFrame, pl.DataFrame | None]]:
        a, step = self.start, _FIRST
        while a < self.end:
            b = min(a + step, self.end)
            po = self._read(self.partition_dataset, a, b, PO_COLUMNS)
            offsets = None
            if with_offsets and self.offsets_dataset is not None:
                lower = max(a, self.offsets_start or a)
                offsets = self._read(self.offsets_dataset, lower, b, OFFSETS_COLUMNS) if lower < b else None
            yield (a, b), po, offsets
            rows = offsets.height if offsets is not None else po.height
            step = _next_step(step, rows, self.rows_per_slice)
            a = b

    def _read(self, dataset: str, a: dt.datetime, b: dt.datetime, columns: Sequence[str]) -> pl.DataFrame:
        lf = self.store.scan(dataset, cluster=self.cluster, since=a, until=b)
        return without_flagged(self.store, lf, self.cluster, a).select(columns).collect()


def _next_step(step: dt.timedelta, rows: int, target: int) -> dt.timedelta:
    """The next slice's length: scaled to ``target`` rows from the last one's, at most 8x longer
    or 4x shorter (4x longer after an empty slice)."""
    factor = 4.0 if rows == 0 else min(8.0, max(0.25, target / rows))
    return max(step * factor, dt.timedelta(seconds=1))


def window_slices(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: str | dt.datetime | None,
    partition_dataset: str = "partition_offsets",
    offsets_dataset: str | None = "offsets",
    rows_per_slice: int = ROWS_PER_SLICE,
) -> WindowSlices:
    """The :class:`WindowSlices` of ``since`` (a duration counts back from the newest partition
    offsets row of the dataset; None: the whole history) up to the newest snapshot."""
    if rows_per_slice < 1:
        raise ConfigError(f"rows_per_slice must be at least 1, got {rows_per_slice}")
    store = Store(data_dir)
    name, t0, _ = resolve_window(store, partition_dataset, cluster, since, None)
    datasets = [partition_dataset] + ([offsets_dataset] if offsets_dataset else [])
    newest = [t for t in (store.latest_ts(d, name) for d in datasets) if t is not None]
    start = t0 or _oldest(store, partition_dataset, name)
    off_start = None
    if offsets_dataset is not None:
        _, off_start, _ = resolve_window(store, offsets_dataset, name, since, None)
    if start is None or not newest:
        raise NotFoundError(f"{data_dir}: no {partition_dataset} rows of {name}: collect some first")
    end = max(newest) + _TICK
    return WindowSlices(
        store, name, start, end, partition_dataset, offsets_dataset, off_start, rows_per_slice
    )


def _oldest(store: Store, dataset: str, cluster: str) -> dt.datetime | None:
    """The oldest row's time (the whole history was asked for)."""
    value = store.scan(dataset, cluster=cluster).select(pl.col("ts").min()).collect().item()
    return value if isinstance(value, dt.datetime) else None
