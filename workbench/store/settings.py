"""Delta write settings shared by appends and maintenance (:mod:`workbench.store.delta`)."""

from __future__ import annotations

import os

import polars as pl
from deltalake import CommitProperties, WriterProperties
from deltalake.exceptions import CommitFailedError

from workbench.schema import DATASETS, ROLLUPS

#: The partition columns of every table.
PARTITIONS = ["cluster", "date"]
#: Files a commit removed stay this long before vacuum deletes them: longer than any read.
VACUUM_HOURS = 1
COMMIT = CommitProperties(max_commit_retries=200)
WRITER = WriterProperties(compression="ZSTD")
#: Rollups are written sorted by key (group, topic, partition) then ts, in row groups small enough
#: that a read of some groups skips most of a day's file by its statistics (docs/scale.md).
ROLLUP_ROW_GROUP = 65_536
ROLLUPWRITER = WriterProperties(compression="ZSTD", max_row_group_size=ROLLUP_ROW_GROUP)


def file_schema(dataset: str) -> pl.Schema:
    """The columns a data file holds: the dataset's, less the ``cluster`` partition column."""
    return pl.Schema({k: v for k, v in DATASETS[dataset][0].items() if k != "cluster"})


def is_rollup(dataset: str) -> bool:
    return dataset.endswith(tuple(f"_{r}" for r in ROLLUPS))


def writer_for(dataset: str) -> WriterProperties:
    """The Parquet writer settings of ``dataset`` (small row groups for rollups)."""
    return ROLLUPWRITER if is_rollup(dataset) else WRITER


#: Table properties at creation: commits older than two days are dropped from the log at the next
#: checkpoint (time travel is not used), so a month of 30 s appends keeps a bounded log.
TABLE_PROPERTIES = {"delta.logRetentionDuration": "interval 2 days", "delta.checkpointInterval": "100"}
RETRIES = 5


#: A commit that lost to another writer's (delta-rs retries first; then the caller retries).
Conflict = CommitFailedError


def remove_files(uris: list[str]) -> None:
    """Delete local files and their emptied partition directories."""
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
