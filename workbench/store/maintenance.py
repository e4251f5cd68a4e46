"""Store maintenance: compaction, checkpoint and vacuum, deletes, under one lock per dataset.

Mixed into :class:`workbench.store.Store`; delta-rs 1.6 lets two optimize (or optimize and
delete) commits remove the same files, hence the lock (docs/store.md).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from deltalake import DeltaTable

from workbench.errors import StoreError
from workbench.store import bygroup as _bygroup
from workbench.store import files as _files
from workbench.store.settings import (
    COMMIT,
    RETRIES,
    VACUUM_HOURS,
    Conflict,
    file_schema,
    remove_files,
    writer_for,
)

if TYPE_CHECKING:
    from workbench.store._location import Location


class Maintenance:
    """The maintenance methods of :class:`workbench.store.Store`."""

    if TYPE_CHECKING:
        location: Location

        def table(self, dataset: str) -> DeltaTable | None: ...
        def table_uri(self, dataset: str) -> str: ...
        def _live(self, table: DeltaTable, dataset: str) -> list[_files.DataFile]: ...
        def _errors(self, where: str, doing: str) -> AbstractContextManager[None]: ...

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
        old = {f.uri for f in self._live(table, dataset)}
        for filters in self._optimize_filters(dataset, cluster, before):
            self._optimize(dataset, filters)
        if dataset in _bygroup.CLUSTERED and self.location.local:
            self._cluster_days(dataset, cluster, before)
        self._tidy(dataset)
        table = self.table(dataset)
        return [] if table is None else [f.uri for f in self._live(table, dataset) if f.uri not in old]

    def _optimize_filters(self, dataset: str, cluster: str | None, before: dt.date | None) -> list[list[Any]]:
        """Partition filters of the days Delta's OPTIMIZE bin-packs: all of them, except the closed
        days of a clustered dataset on a local root (:mod:`workbench.store.bygroup` does those
        but each cluster's newest day)."""
        mine: list[Any] = [("cluster", "=", cluster)] if cluster is not None else []
        if dataset not in _bygroup.CLUSTERED or not self.location.local:
            return [mine + ([("date", "<", before.isoformat())] if before is not None else [])]
        table = self.table(dataset)
        newest = _bygroup.newest_days(self._live(table, dataset)) if table is not None else {}
        out = [[*mine, ("date", ">=", before.isoformat())]] if before is not None else []
        for name, day in sorted(newest.items()):
            if (cluster is None or name == cluster) and (before is None or day < before):
                out.append([("cluster", "=", name), ("date", "=", day.isoformat())])
        return out

    def _optimize(self, dataset: str, filters: list[Any]) -> None:
        table = self.table(dataset)
        uri = self.table_uri(dataset)
        for attempt in range(RETRIES):
            if table is None:
                return
            try:
                with self._errors(uri, "compacting"):
                    table.optimize.compact(
                        partition_filters=filters or None,
                        writer_properties=writer_for(dataset),
                        commit_properties=COMMIT,
                    )
                return
            except Conflict:
                table = self.table(dataset) if attempt < RETRIES - 1 else None

    def _cluster_days(self, dataset: str, cluster: str | None, before: dt.date | None) -> None:
        """Rewrite each closed day not yet clustered (:mod:`workbench.store.bygroup`), one commit a
        day that removes exactly the files it read (an append beside it stays); a day whose files
        another writer removed meanwhile is given up (its new files deleted)."""
        table = self.table(dataset)
        if table is None:
            return
        uri = self.table_uri(dataset)
        key, schema = _bygroup.CLUSTERED[dataset], file_schema(dataset)
        for day_files in _bygroup.days_to_cluster(self._live(table, dataset), cluster, before):
            with self._errors(uri, f"clustering {day_files[0].day} of {day_files[0].cluster}"):
                adds = _bygroup.rewrite_day(uri, day_files, key, schema)
            try:
                with self._errors(uri, "committing a clustered day"):
                    table.create_write_transaction(
                        [*adds, *_bygroup.removals(day_files)],
                        "append",
                        table.schema(),
                        ["cluster", "date"],
                        commit_properties=COMMIT,
                    )
            except Conflict:  # another writer removed some of these files: give way
                remove_files([os.path.join(uri, a.path) for a in adds])
            except BaseException:
                remove_files([os.path.join(uri, a.path) for a in adds])
                raise
            table = self.table(dataset)
            if table is None:
                return

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
            except Conflict:
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
        for attempt in range(RETRIES):
            before = {f.uri for f in self._live(table, dataset)}
            try:
                with self._errors(uri, "deleting"):
                    table.delete(predicate, commit_properties=COMMIT)
                break
            except Conflict:
                table = self.table(dataset)
                if table is None or attempt == RETRIES - 1:
                    raise StoreError(
                        f"{uri}: the delete kept conflicting with other writers; retry"
                    ) from None
        table = self.table(dataset)
        gone = sorted(before - {f.uri for f in self._live(table, dataset)}) if table else sorted(before)
        if self.location.local:
            remove_files(gone)
        return gone

    def delete_cluster(self, dataset: str, cluster: str) -> list[str]:
        """Delete every row of ``cluster`` from ``dataset``."""
        return self.delete(dataset, f"cluster = '{cluster.replace(chr(39), chr(39) * 2)}'")

    def delete_day(self, dataset: str, cluster: str, day: dt.date) -> list[str]:
        """Delete ``cluster``'s rows of ``dataset`` on UTC ``day`` (one partition)."""
        name = cluster.replace(chr(39), chr(39) * 2)
        return self.delete(dataset, f"cluster = '{name}' AND date = '{day.isoformat()}'")
