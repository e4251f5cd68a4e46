"""``workbench check``: verify every live data file; quarantine the bad ones.

A file is bad when it is missing, its size differs from its log entry, it is not Parquet, its
schema is not the dataset's, its row count differs from the log, or a column fails to decode.
Quarantine moves the file to ``DATA_DIR/.quarantine/<dataset>/...`` (kept, never deleted) and
commits its removal from the table (Delta ``FSCK``), so reads stop warning about it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import polars as pl

from workbench.errors import StoreError
from workbench.schema import DATASETS
from workbench.store import files as _files
from workbench.store.delta import Store
from workbench.store.settings import file_schema

QUARANTINE = ".quarantine"


@dataclass(frozen=True)
class BadFile:
    """A live file of a table that cannot be read as the dataset."""

    dataset: str
    uri: str
    relpath: str
    problem: str


def deep_problem(dataset: str, f: _files.DataFile) -> str | None:
    """Why ``f`` is not a readable file of ``dataset`` (reads it whole), or None."""
    return _files.deep_problem(f, file_schema(dataset))


def remote_problem(store: Store, dataset: str, f: _files.DataFile) -> str | None:
    """Why a file of an object-store table cannot be read whole as ``dataset`` (reads it), or None."""
    try:
        frame = pl.read_parquet(f.uri, storage_options=store.location.storage_options)
    except Exception as exc:
        return "unreadable: " + store.location.scrub(_files._first_line(exc))
    if dict(frame.schema) != dict(file_schema(dataset)):
        return "foreign schema (columns or types differ from the dataset's)"
    if f.rows is not None and frame.height != f.rows:
        return f"{frame.height} rows where the table log says {f.rows}"
    return None


def check(store: Store) -> list[BadFile]:
    """Every bad live file of every dataset in ``store`` (a local directory or object store)."""
    bad = []
    for dataset in sorted(DATASETS):
        table = store.table(dataset)
        if table is None:
            continue
        for f in store._live(table, dataset):
            local = store.location.local
            why = deep_problem(dataset, f) if local else remote_problem(store, dataset, f)
            if why is not None:
                bad.append(BadFile(dataset, f.uri, f.relpath, why))
    return bad


def quarantine(store: Store, bad: list[BadFile]) -> str:
    """Move ``bad`` files aside and commit their removal; returns the quarantine directory."""
    if not store.location.local:
        raise StoreError(f"{store.root}: quarantine works on a local data directory only")
    aside = os.path.join(store.location.uri, QUARANTINE)
    for b in bad:
        target = os.path.join(aside, b.dataset, b.relpath)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.exists(b.uri):
            shutil.move(b.uri, target)
    for dataset in sorted({b.dataset for b in bad}):
        table = store.table(dataset)
        if table is not None:
            with (
                store.maintenance(dataset),
                store._errors(store.table_uri(dataset), "removing quarantined files from the table"),
            ):
                table.repair(dry_run=False)
    return aside
