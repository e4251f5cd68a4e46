"""Table schema versions: each table's description names its dataset and schema version.

Reads and writes refuse a table of another version (:func:`check_version`). Rollup tables are
derived from raw snapshots, so a rollup schema change needs no migration of rows:
:func:`reset_outdated_rollups` replaces an outdated rollup table's contents with nothing (one
overwrite commit at the new schema and version, under the dataset's maintenance lock) and the
caller (``workbench compact``, ``workbench rollup rebuild``) rolls up every day again. Raw tables
are never touched here. See docs/store.md.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from workbench.errors import StoreLayoutError
from workbench.schema import DATASETS, empty
from workbench.store.settings import COMMIT, PARTITIONS, is_rollup, writer_for

if TYPE_CHECKING:
    from workbench.store.delta import Store

_VERSION_RE = re.compile(r"^workbench dataset (\S+) schema version (\d+)$")


def description(dataset: str) -> str:
    """The table description that carries the dataset's name and schema version."""
    return f"workbench dataset {dataset} schema version {DATASETS[dataset][1]}"


def _declared(table: DeltaTable, dataset: str) -> int | None:
    """The schema version ``table``'s description declares for ``dataset`` (None: not ours)."""
    m = _VERSION_RE.match(table.metadata().description or "")
    return int(m.group(2)) if m and m.group(1) == dataset else None


def check_version(table: DeltaTable, dataset: str, uri: str) -> None:
    """Raise :class:`StoreLayoutError` (one line: what to do) unless ``table`` is ``dataset``'s
    table at this workbench's schema version."""
    have, want = _declared(table, dataset), DATASETS[dataset][1]
    if have is None:
        raise StoreLayoutError(f"{uri}: not a workbench {dataset} table; point --data-dir elsewhere")
    if have < want and is_rollup(dataset):
        raise StoreLayoutError(
            f"{uri}: rollups of an older workbench (schema version {have}, this one reads "
            f"{want}): recompute them with `workbench rollup rebuild --data-dir DIR`"
        )
    if have != want:
        raise StoreLayoutError(
            f"{uri}: schema version {have} of dataset {dataset!r}, this workbench reads version "
            f"{want}: use a workbench that reads version {have}, or migrate it (docs/store.md)"
        )


def refuse_old_layout(uri: str) -> None:
    """Old-layout files are ``<stamp>-<hash>.parquet``; a table being created has ``part-*`` only."""
    if any(not f.name.startswith("part-") for f in Path(uri).glob("cluster=*/date=*/*.parquet")):
        data_dir = os.path.dirname(uri)
        raise StoreLayoutError(
            f"{uri} is in the old Parquet layout: run `workbench store migrate --data-dir {data_dir}` "
            "(verified row for row, the original is kept)"
        )


def stored_version(store: Store, dataset: str) -> int | None:
    """The schema version in ``dataset``'s table description (None: no table, or not ours)."""
    uri = store.table_uri(dataset)
    with store._errors(uri, "reading the table log"):
        try:
            table = DeltaTable(uri, storage_options=store.location.storage_options)
        except TableNotFoundError:
            return None
    return _declared(table, dataset)


def outdated_rollups(store: Store) -> list[str]:
    """The rollup datasets whose table has an older schema version than this workbench's."""
    return [
        d
        for d in DATASETS
        if is_rollup(d) and (v := stored_version(store, d)) is not None and v < DATASETS[d][1]
    ]


def reset_outdated_rollups(store: Store) -> list[str]:
    """Empty every outdated rollup table at the current schema and version; returns their names."""
    done = []
    for dataset in outdated_rollups(store):
        uri = store.table_uri(dataset)
        frame = empty(dataset).with_columns(date=pl.col("ts").dt.date())
        with store.maintenance(dataset), store._errors(uri, "resetting outdated rollups"):
            if stored_version(store, dataset) == DATASETS[dataset][1]:
                continue  # another compaction reset it while this one waited for the lock
            write_deltalake(
                uri,
                frame,
                partition_by=PARTITIONS,
                mode="overwrite",
                schema_mode="overwrite",
                commit_properties=COMMIT,
                writer_properties=writer_for(dataset),
                storage_options=store.location.storage_options,
            )
            table = DeltaTable(uri, storage_options=store.location.storage_options)
            table.alter.set_table_description(description(dataset), commit_properties=COMMIT)
        store._tables.pop(dataset, None)  # type: ignore[attr-defined]
        done.append(dataset)
    return done
