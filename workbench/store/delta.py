"""One Delta Lake table per dataset: appends as commits, optimize, delete, consistent reads."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from workbench.errors import StoreError, WorkbenchError
from workbench.scalars import as_datetime
from workbench.schema import DATASETS, conform
from workbench.store import append as _append
from workbench.store import files as _files
from workbench.store._location import Location, quiet_native_panics, translate
from workbench.store.maintenance import Maintenance
from workbench.store.settings import (
    COMMIT,
    PARTITIONS,
    RETRIES,
    ROLLUP_ROW_GROUP,
    TABLE_PROPERTIES,
    Conflict,
    file_schema,
    is_rollup,
    writer_for,
)
from workbench.store.versions import check_version, description, refuse_old_layout
from workbench.store.visibility import visible


@dataclass(frozen=True)
class Store(Maintenance):
    """A data directory (or object-store URI) holding one Delta table per dataset."""

    root: Path | str

    def __init__(self, root: str | os.PathLike[str], pinned: bool = False) -> None:
        """``pinned``: each table's log is loaded once and never refreshed, so every read of a
        read-only command sees one version of each table (and skips a log listing per read)."""
        loc = Location.parse(root)
        object.__setattr__(self, "root", loc.display)
        object.__setattr__(self, "location", loc)
        object.__setattr__(self, "pinned", pinned)
        object.__setattr__(self, "_tables", {})
        object.__setattr__(self, "_listed", {})
        object.__setattr__(self, "_newest", {})
        object.__setattr__(self, "_loading", {})

    @classmethod
    def of(cls, data_dir: DataDir) -> Store:
        """``data_dir`` itself when it is a Store (one command shares its loaded table logs), else
        a new Store of that directory or URI."""
        return data_dir if isinstance(data_dir, Store) else cls(data_dir)

    location: Location = None  # type: ignore[assignment]  # set in __init__
    pinned: bool = False  # set in __init__

    # -- tables ------------------------------------------------------------------------------
    def table_uri(self, dataset: str) -> str:
        """Where ``dataset``'s table lives."""
        self._check_dataset(dataset)
        return self.location.join(dataset)

    def prefetch(self, *datasets: str) -> None:
        """A pinned store: load these tables' logs now, side by side on threads (delta-rs reads
        them without the GIL); :meth:`table` waits for its own. A failure is left to it."""
        loading: dict[str, threading.Thread] = self._loading  # type: ignore[attr-defined]
        for dataset in datasets if self.pinned else ():
            if dataset not in self._tables and dataset not in loading:  # type: ignore[attr-defined]
                loading[dataset] = threading.Thread(target=self._load, args=(dataset,), daemon=True)
                loading[dataset].start()

    def settle(self) -> None:
        """Wait for every table :meth:`prefetch` started (none may still run at exit)."""
        loading: dict[str, threading.Thread] = self._loading  # type: ignore[attr-defined]
        while loading:
            loading.popitem()[1].join()

    def _load(self, dataset: str) -> None:
        try:
            self.table(dataset, loading=True)
        except Exception:  # the caller's own table() raises it with its message
            pass

    def table(self, dataset: str, loading: bool = False) -> DeltaTable | None:
        """The newest version of ``dataset``'s table (None when it has none), version-checked."""
        uri = self.table_uri(dataset)
        thread = None if loading else self._loading.pop(dataset, None)  # type: ignore[attr-defined]
        if thread is not None:
            thread.join()
        tables: dict[str, DeltaTable | None] = self._tables  # type: ignore[attr-defined]
        cached = tables.get(dataset)
        if self.pinned and dataset in tables:
            return cached
        if self.location.local and not os.path.isdir(os.path.join(uri, "_delta_log")):
            refuse_old_layout(uri)
            if self.pinned:
                tables[dataset] = None
            return None
        with self._errors(uri, "reading the table log"):
            if cached is not None:
                cached.update_incremental()  # reads only the commits since the last load
                return cached
            try:
                table = DeltaTable(uri, storage_options=self.location.storage_options)
            except TableNotFoundError:
                if self.pinned:
                    tables[dataset] = None
                return None
        check_version(table, dataset, uri)
        self._tables[dataset] = table  # type: ignore[attr-defined]
        return table

    # -- writing -----------------------------------------------------------------------------
    def append(self, dataset: str, frame: pl.DataFrame) -> list[str]:
        """Add ``frame`` to ``dataset`` in one commit; returns the (cluster, date) partitions written.

        An empty frame writes nothing. Concurrent appends and compactions are safe (the commit
        protocol retries on a newer table version).
        """
        self._check_dataset(dataset)
        if self.pinned:
            raise StoreError("internal: a pinned store is read-only (open Store(root) to write)")
        frame = conform(frame, dataset)
        if frame.is_empty():
            return []
        if frame["cluster"].null_count() or (frame["cluster"] == "").any():
            raise StoreError("cluster name is empty: pass --cluster NAME")
        frame = frame.with_columns(date=pl.col("ts").dt.date())
        table = self.table(dataset)
        local = self.location.local and _append.plain_clusters(frame)
        if table is None and local:
            self._write_deltalake(dataset, frame.head(0))  # a new table: its schema, no rows
            table = self.table(dataset)
        if table is not None and local:
            self._append_files(dataset, table, frame)
        else:
            self._write_deltalake(dataset, frame)
        parts = frame.select("cluster", "date").unique(maintain_order=True)
        return [f"cluster={c}/date={d.isoformat()}" for c, d in parts.iter_rows()]

    def _append_files(self, dataset: str, table: DeltaTable, frame: pl.DataFrame) -> None:
        """Polars writes the files, delta-rs commits them (:mod:`workbench.store.append`)."""
        uri = self.table_uri(dataset)
        group = ROLLUP_ROW_GROUP if is_rollup(dataset) else None
        with self._errors(uri, f"appending {frame.height} rows"):
            actions = _append.write_files(uri, frame, list(file_schema(dataset)), group)
        for attempt in range(RETRIES):
            try:
                with self._errors(uri, f"committing {frame.height} rows"):
                    table.create_write_transaction(
                        list(actions), "append", table.schema(), PARTITIONS, commit_properties=COMMIT
                    )
                return
            except Conflict:
                if attempt == RETRIES - 1:
                    raise StoreError(
                        f"{uri}: the append kept conflicting with other writers; retry"
                    ) from None
                table = self.table(dataset) or table

    def _write_deltalake(self, dataset: str, frame: pl.DataFrame) -> None:
        """delta-rs writes and commits (a new table, an object store, unusual cluster names)."""
        data: Any = frame.rechunk()  # one batch: delta-rs may interleave several (row order)
        if frame.height:  # a new table's empty frame goes as Polars' Arrow stream: no pyarrow import
            data = data.to_arrow()  # (tens of MB in a collector); the table metadata is the same
        uri = self.table_uri(dataset)
        for attempt in range(RETRIES):
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
                        commit_properties=COMMIT,
                        writer_properties=writer_for(dataset),
                        storage_options=self.location.storage_options,
                    )
                break
            except Conflict:
                if attempt == RETRIES - 1:
                    raise StoreError(
                        f"{uri}: the append kept conflicting with other writers; retry"
                    ) from None

    # -- reading -----------------------------------------------------------------------------
    def clusters(self, dataset: str) -> list[str]:
        """Cluster names that have data in ``dataset``."""
        table = self.table(dataset)
        if table is None:
            return []
        self._live(table, dataset)
        return list(self._listed[dataset][2])  # type: ignore[attr-defined]

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
            chosen = _without_bad(dataset, chosen)
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
        if not self.pinned:  # visibility also depends on the collections table's version
            return self._latest_ts(table, dataset, cluster)
        newest: dict[tuple[str, str], dt.datetime | None] = self._newest  # type: ignore[attr-defined]
        if (dataset, cluster) not in newest:
            newest[dataset, cluster] = self._latest_ts(table, dataset, cluster)
        return newest[dataset, cluster]

    def _latest_ts(self, table: DeltaTable, dataset: str, cluster: str) -> dt.datetime | None:
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

    # -- helpers -----------------------------------------------------------------------------
    def _live(self, table: DeltaTable, dataset: str) -> list[_files.DataFile]:
        """The live files of ``table``'s version (listed once per version: a version never changes)."""
        version = table.version()
        listed: dict[str, tuple[int, list[_files.DataFile], list[str]]] = self._listed  # type: ignore[attr-defined]
        if dataset not in listed or listed[dataset][0] != version:
            with self._errors(self.table_uri(dataset), "listing files"):
                files = _files.live_files(table, self.table_uri(dataset))
            listed[dataset] = (version, files, sorted({f.cluster for f in files}))
        return listed[dataset][1]

    @contextmanager
    def _errors(self, where: str, doing: str) -> Iterator[None]:
        try:
            with quiet_native_panics():
                yield
        except (WorkbenchError, Conflict):
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


#: A data directory: a path, an object-store URI, or an open :class:`Store` (see :meth:`Store.of`).
DataDir = str | os.PathLike[str] | Store


def _without_bad(dataset: str, chosen: list[_files.DataFile]) -> list[_files.DataFile]:
    """``chosen`` less the files found bad (one warning each): known bad, missing, truncated, no
    magic; and, on a scan of at most ``FOOTER_CHECK_MAX`` files, an unreadable or foreign footer."""
    bad = {f.uri: why for f in chosen if (why := _files.known_bad.get(f.uri) or _files.cheap_problem(f))}
    if len(chosen) <= _files.FOOTER_CHECK_MAX:
        whole = [f for f in chosen if f.uri not in bad]
        bad.update(_files.footer_problems(whole, file_schema(dataset)))
    for f in chosen:
        if f.uri in bad:
            _files.warn_skipped(dataset, f, bad[f.uri])
    return [f for f in chosen if f.uri not in bad]
