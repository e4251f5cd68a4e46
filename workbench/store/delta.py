"""One Delta Lake table per dataset: appends as commits, optimize, delete, consistent reads."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError

from workbench.errors import StoreError, StoreLayoutError, WorkbenchError
from workbench.scalars import as_datetime
from workbench.schema import DATASETS, ROLLUPS, conform
from workbench.store import files as _files
from workbench.store._location import Location, quiet_native_panics, translate
from workbench.store.visibility import visible

PARTITIONS = ["cluster", "date"]
#: Files a commit removed stay this long before vacuum deletes them: longer than any read.
VACUUM_HOURS = 1
_VERSION_RE = re.compile(r"^workbench dataset (\S+) schema version (\d+)$")
_COMMIT = CommitProperties(max_commit_retries=200)
_WRITER = WriterProperties(compression="ZSTD")
#: Rollups are written sorted by key (group, topic, partition) then ts, in row groups small enough
#: that a read of some groups skips most of a day's file by its statistics (docs/scale.md).
ROLLUP_ROW_GROUP = 65_536
_ROLLUP_WRITER = WriterProperties(compression="ZSTD", max_row_group_size=ROLLUP_ROW_GROUP)


def _writer(dataset: str) -> WriterProperties:
    """The Parquet writer settings of ``dataset`` (small row groups for rollups)."""
    return _ROLLUP_WRITER if dataset.endswith(tuple(f"_{r}" for r in ROLLUPS)) else _WRITER


#: Table properties at creation: commits older than two days are dropped from the log at the next
#: checkpoint (time travel is not used), so a month of 30 s appends keeps a bounded log.
TABLE_PROPERTIES = {"delta.logRetentionDuration": "interval 2 days", "delta.checkpointInterval": "100"}
_RETRIES = 5


def description(dataset: str) -> str:
    """The table description that carries the dataset's name and schema version."""
    return f"workbench dataset {dataset} schema version {DATASETS[dataset][1]}"


def file_schema(dataset: str) -> pl.Schema:
    """The columns a data file holds: the dataset's, less the ``cluster`` partition column."""
    return pl.Schema({k: v for k, v in DATASETS[dataset][0].items() if k != "cluster"})


@dataclass(frozen=True)
class Store:
    """A data directory (or object-store URI) holding one Delta table per dataset."""

    root: Path | str

    def __init__(self, root: str | os.PathLike[str]) -> None:
        loc = Location.parse(root)
        object.__setattr__(self, "root", loc.display)
        object.__setattr__(self, "location", loc)
        object.__setattr__(self, "_tables", {})

    location: Location = None  # type: ignore[assignment]  # set in __init__

    # -- tables ------------------------------------------------------------------------------
    def table_uri(self, dataset: str) -> str:
        """Where ``dataset``'s table lives."""
        self._check_dataset(dataset)
        return self.location.join(dataset)

    def table(self, dataset: str) -> DeltaTable | None:
        """The newest version of ``dataset``'s table (None when it has none), version-checked."""
        uri = self.table_uri(dataset)
        if self.location.local and not os.path.isdir(os.path.join(uri, "_delta_log")):
            _refuse_old_layout(uri)
            return None
        cached: DeltaTable | None = self._tables.get(dataset)  # type: ignore[attr-defined]
        with self._errors(uri, "reading the table log"):
            if cached is not None:
                cached.update_incremental()  # reads only the commits since the last load
                return cached
            try:
                table = DeltaTable(uri, storage_options=self.location.storage_options)
            except TableNotFoundError:
                return None
        self._check_version(table, dataset, uri)
        self._tables[dataset] = table  # type: ignore[attr-defined]
        return table

    def _check_version(self, table: DeltaTable, dataset: str, uri: str) -> None:
        desc = table.metadata().description or ""
        m = _VERSION_RE.match(desc)
        want = DATASETS[dataset][1]
        if m is None or m.group(1) != dataset:
            raise StoreLayoutError(f"{uri}: not a workbench {dataset} table; point --data-dir elsewhere")
        if int(m.group(2)) != want:
            raise StoreLayoutError(
                f"{uri}: schema version {m.group(2)} of dataset {dataset!r}, this workbench reads version "
                f"{want}: use a workbench that reads version {m.group(2)}, or migrate it (docs/store.md)"
            )

    # -- writing -----------------------------------------------------------------------------
    def append(self, dataset: str, frame: pl.DataFrame) -> list[str]:
        """Add ``frame`` to ``dataset`` in one commit; returns the (cluster, date) partitions written.

        An empty frame writes nothing. Concurrent appends and compactions are safe (the commit
        protocol retries on a newer table version).
        """
        self._check_dataset(dataset)
        frame = conform(frame, dataset)
        if frame.is_empty():
            return []
        if frame["cluster"].null_count() or (frame["cluster"] == "").any():
            raise StoreError("cluster name is empty: pass --cluster NAME")
        frame = frame.with_columns(date=pl.col("ts").dt.date())
        data = frame.rechunk().to_arrow()  # one batch: delta-rs may interleave several (row order)
        uri = self.table_uri(dataset)
        for attempt in range(_RETRIES):
            table = self.table(dataset)
            try:
                with self._errors(uri, f"appending {frame.height} rows"):
                    write_deltalake(
                        table if table is not None else uri,
                        data,
                        partition_by=PARTITIONS,
                        mode="append",
                        description=description(dataset),
                        configuration=TABLE_PROPERTIES if table is None else None,
                        commit_properties=_COMMIT,
                        writer_properties=_writer(dataset),
                        storage_options=self.location.storage_options,
                    )
                break
            except _Conflict:
                if attempt == _RETRIES - 1:
                    raise StoreError(
                        f"{uri}: the append kept conflicting with other writers; retry"
                    ) from None
        parts = frame.select("cluster", "date").unique(maintain_order=True)
        return [f"cluster={c}/date={d.isoformat()}" for c, d in parts.iter_rows()]

    # -- reading -----------------------------------------------------------------------------
    def clusters(self, dataset: str) -> list[str]:
        """Cluster names that have data in ``dataset``."""
        table = self.table(dataset)
        if table is None:
            return []
        return sorted({f.cluster for f in self._live(table, dataset)})

    def files(
        self,
        dataset: str,
        cluster: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[str]:
        """The live data files of ``dataset`` that may hold rows of ``cluster`` in [since, until]."""
        table = self.table(dataset)
        if table is None:
            return []
        return [f.uri for f in _files.select(self._live(table, dataset), cluster, since, until)]

    def scan(
        self,
        dataset: str,
        cluster: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        complete_only: bool = True,
    ) -> pl.LazyFrame:
        """A lazy scan of one table version, filtered to [since, until) (either end optional).

        Only files whose partition and statistics overlap the window are read; a file that is
        missing or damaged is skipped with a one-line warning; a collector's snapshot shows
        only once its completion marker is committed (:mod:`workbench.store.visibility`) unless
        ``complete_only`` is False.
        """
        lf, _ = self._scan(dataset, cluster, since, until, complete_only)
        return lf

    def _scan(
        self,
        dataset: str,
        cluster: str | None,
        since: dt.datetime | None,
        until: dt.datetime | None,
        complete_only: bool = True,
    ) -> tuple[pl.LazyFrame, list[_files.DataFile]]:
        schema = DATASETS[dataset][0] if dataset in DATASETS else None
        table = self.table(dataset)
        if table is None or schema is None:
            return pl.LazyFrame(schema=schema), []
        chosen = _files.select(self._live(table, dataset), cluster, since, until)
        if self.location.local:
            deep = len(chosen) <= _files.FOOTER_CHECK_MAX
            chosen = [f for f in chosen if not _skip_bad(dataset, f, deep)]
        if not chosen:
            return pl.LazyFrame(schema=schema), []
        by_cluster: dict[str, list[str]] = {}
        for f in chosen:
            by_cluster.setdefault(f.cluster, []).append(f.uri)
        opts = self.location.storage_options or None
        parts = [
            pl.scan_parquet(uris, schema=file_schema(dataset), storage_options=opts).with_columns(
                cluster=pl.lit(name, pl.String)
            )
            for name, uris in by_cluster.items()
        ]
        lf = pl.concat(parts, how="vertical").select(list(schema))
        if since is not None:
            lf = lf.filter(pl.col("ts") >= since)
        if until is not None:
            lf = lf.filter(pl.col("ts") < until)
        return (visible(self, dataset, lf, cluster, since, until, chosen) if complete_only else lf), chosen

    def read(self, dataset: str, **kwargs: object) -> pl.DataFrame:
        """Eager :meth:`scan`; a file that fails to decode is found, skipped with a warning, and the
        read retried once."""
        return self._collect(dataset, lambda lf: lf, **kwargs)  # type: ignore[arg-type]

    def _collect(
        self,
        dataset: str,
        shape: Callable[[pl.LazyFrame], pl.LazyFrame],
        cluster: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        complete_only: bool = True,
    ) -> pl.DataFrame:
        for attempt in range(2):
            lf, chosen = self._scan(dataset, cluster, since, until, complete_only)
            try:
                return shape(lf).collect()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:
                found = self._find_bad(dataset, chosen)
                if attempt or not found:
                    raise self._translate(exc, self.table_uri(dataset), "reading") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _find_bad(self, dataset: str, chosen: list[_files.DataFile]) -> int:
        want = file_schema(dataset)
        found = 0
        for f in chosen:
            why = _files.deep_problem(f, want) if self.location.local else None
            if why is not None:
                _files.warn_skipped(dataset, f, why)
                found += 1
        return found

    def latest_ts(self, dataset: str, cluster: str) -> dt.datetime | None:
        """The newest visible ``ts`` of ``cluster``: from the log's file statistics, then one check."""
        table = self.table(dataset)
        if table is None:
            return None
        mine = [f for f in self._live(table, dataset) if f.cluster == cluster]
        stamps = [f.ts_max for f in mine if f.ts_max is not None]
        if len(stamps) < len(mine) or not stamps:
            return self._max_ts(dataset, cluster, None)
        newest = max(stamps)
        found = self._max_ts(dataset, cluster, newest)
        if found is not None:
            return found
        newest_day = dt.datetime.combine(max(f.day for f in mine), dt.time(), dt.UTC)
        return self._max_ts(dataset, cluster, newest_day) or self._max_ts(dataset, cluster, None)

    def _max_ts(self, dataset: str, cluster: str, since: dt.datetime | None) -> dt.datetime | None:
        frame = self._collect(dataset, lambda lf: lf.select(pl.col("ts").max()), cluster=cluster, since=since)
        return as_datetime(frame.item())

    # -- maintenance -------------------------------------------------------------------------
    @contextmanager
    def maintenance(self, dataset: str) -> Iterator[None]:
        """Hold the dataset's maintenance lock: one compaction, delete or repair at a time.

        delta-rs 1.6 lets two optimize (or optimize and delete) commits remove the same files,
        which duplicates rows (docs/store.md); appends need no lock. For an object-store root the
        lock is this host's (``Location.lock_dir``): run maintenance from one host (docs/fleet.md).
        """
        locks = str(self.location.lock_dir)
        with self._errors(locks, "taking the maintenance lock"):
            os.makedirs(locks, exist_ok=True)
            fd = os.open(os.path.join(locks, f"{dataset}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def compact(self, dataset: str, cluster: str | None = None, before: dt.date | None = None) -> list[str]:
        """Optimize: merge each day's small files (days before ``before``), checkpoint, vacuum.

        Safe alongside appends, reads and other compactions (a conflicting compaction gives way).
        Returns the files written.
        """
        if self.table(dataset) is None:
            return []
        with self.maintenance(dataset):
            return self._compact(dataset, cluster, before)

    def _compact(self, dataset: str, cluster: str | None, before: dt.date | None) -> list[str]:
        table = self.table(dataset)
        if table is None:
            return []
        uri = self.table_uri(dataset)
        filters: list[Any] = [("cluster", "=", cluster)] if cluster is not None else []
        if before is not None:
            filters.append(("date", "<", before.isoformat()))
        old = {f.uri for f in self._live(table, dataset)}
        for attempt in range(_RETRIES):
            try:
                with self._errors(uri, "compacting"):
                    table.optimize.compact(
                        partition_filters=filters or None,
                        writer_properties=_writer(dataset),
                        commit_properties=_COMMIT,
                    )
                break
            except _Conflict:
                table = self.table(dataset)
                if table is None or attempt == _RETRIES - 1:
                    return []
        self._tidy(dataset)
        table = self.table(dataset)
        return [] if table is None else [f.uri for f in self._live(table, dataset) if f.uri not in old]

    def tidy(self, dataset: str) -> None:
        """Checkpoint the log and vacuum files removed over :data:`VACUUM_HOURS` ago."""
        if self.table(dataset) is not None:
            with self.maintenance(dataset):
                self._tidy(dataset)

    def _tidy(self, dataset: str) -> None:
        table = self.table(dataset)
        if table is None:
            return
        with self._errors(self.table_uri(dataset), "checkpointing and vacuuming"):
            try:
                table.create_checkpoint()
                table.cleanup_metadata()
                table.vacuum(retention_hours=VACUUM_HOURS, enforce_retention_duration=False, dry_run=False)
            except _Conflict:
                pass  # another process tidied at the same time: nothing lost, the next run finishes

    def delete(self, dataset: str, predicate: str) -> list[str]:
        """Delete the rows matching a partition ``predicate`` in one commit; returns removed files.

        The removed files are deleted at once (they are whole partitions nothing else writes).
        """
        if self.table(dataset) is None:
            return []
        with self.maintenance(dataset):
            return self._delete(dataset, predicate)

    def _delete(self, dataset: str, predicate: str) -> list[str]:
        table = self.table(dataset)
        if table is None:
            return []
        uri = self.table_uri(dataset)
        for attempt in range(_RETRIES):
            before = {f.uri for f in self._live(table, dataset)}
            try:
                with self._errors(uri, "deleting"):
                    table.delete(predicate, commit_properties=_COMMIT)
                break
            except _Conflict:
                table = self.table(dataset)
                if table is None or attempt == _RETRIES - 1:
                    raise StoreError(
                        f"{uri}: the delete kept conflicting with other writers; retry"
                    ) from None
        table = self.table(dataset)
        gone = sorted(before - {f.uri for f in self._live(table, dataset)}) if table else sorted(before)
        if self.location.local:
            _remove_files(gone)
        return gone

    def delete_cluster(self, dataset: str, cluster: str) -> list[str]:
        """Delete every row of ``cluster`` from ``dataset``."""
        return self.delete(dataset, f"cluster = '{cluster.replace(chr(39), chr(39) * 2)}'")

    def delete_day(self, dataset: str, cluster: str, day: dt.date) -> list[str]:
        """Delete ``cluster``'s rows of ``dataset`` on UTC ``day`` (one partition)."""
        name = cluster.replace(chr(39), chr(39) * 2)
        return self.delete(dataset, f"cluster = '{name}' AND date = '{day.isoformat()}'")

    # -- helpers -----------------------------------------------------------------------------
    def _live(self, table: DeltaTable, dataset: str) -> list[_files.DataFile]:
        with self._errors(self.table_uri(dataset), "listing files"):
            return _files.live_files(table, self.table_uri(dataset))

    @contextmanager
    def _errors(self, where: str, doing: str) -> Iterator[None]:
        try:
            with quiet_native_panics():
                yield
        except (WorkbenchError, _Conflict):
            raise
        except (OSError, DeltaError, pl.exceptions.PolarsError) as exc:
            raise self._translate(exc, where, doing) from exc

    def _translate(self, exc: BaseException, where: str, doing: str) -> StoreError:
        err = translate(exc, where, doing)
        return type(err)(self.location.scrub(str(err)))

    @staticmethod
    def _check_dataset(dataset: str) -> None:
        if dataset not in DATASETS:
            raise StoreError(f"unknown dataset {dataset!r}: expected one of {', '.join(sorted(DATASETS))}")


_Conflict = CommitFailedError


def _skip_bad(dataset: str, f: _files.DataFile, deep: bool) -> bool:
    why = _files.known_bad.get(f.uri) or _files.cheap_problem(f)
    if why is None and deep:
        why = _files.footer_problem(f, file_schema(dataset))
    if why is not None:
        _files.warn_skipped(dataset, f, why)
    return why is not None


def _refuse_old_layout(uri: str) -> None:
    """Old-layout files are ``<stamp>-<hash>.parquet``; a table being created has ``part-*`` only."""
    if any(not f.name.startswith("part-") for f in Path(uri).glob("cluster=*/date=*/*.parquet")):
        data_dir = os.path.dirname(uri)
        raise StoreLayoutError(
            f"{uri} is in the old Parquet layout: run `workbench store migrate --data-dir {data_dir}` "
            "(verified row for row, the original is kept)"
        )


def _remove_files(uris: list[str]) -> None:
    for uri in uris:
        try:
            os.remove(uri)
        except FileNotFoundError:
            continue
        parent = os.path.dirname(uri)
        for d in (parent, os.path.dirname(parent)):
            try:
                os.rmdir(d)
            except OSError:
                break
