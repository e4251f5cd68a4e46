"""Rollup tables of an older schema version: emptied at the new version, to be rolled up again.

Rollups are derived from raw snapshots, so a rollup schema change needs no migration of rows:
:func:`reset_outdated_rollups` replaces an outdated table's contents with nothing (one overwrite
commit at the new schema and version, under the dataset's maintenance lock) and the caller
(``workbench compact``, ``workbench rollup rebuild``, ``workbench store migrate``) rolls up every
day again. Raw tables are never touched here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from workbench.schema import DATASETS, empty
from workbench.store.delta import _VERSION_RE, PARTITIONS, description
from workbench.store.settings import COMMIT, is_rollup, writer_for

if TYPE_CHECKING:
    from workbench.store.delta import Store


def stored_version(store: Store, dataset: str) -> int | None:
    """The schema version in ``dataset``'s table description (None: no table, or not ours)."""
    uri = store.table_uri(dataset)
    with store._errors(uri, "reading the table log"):
        try:
            table = DeltaTable(uri, storage_options=store.location.storage_options)
        except TableNotFoundError:
            return None
    m = _VERSION_RE.match(table.metadata().description or "")
    return int(m.group(2)) if m and m.group(1) == dataset else None


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
