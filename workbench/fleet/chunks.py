"""Chunks of whole partitions of a consumer group: the unit of the ``lag_groups`` analysis on
Spark and in process, so that no task holds a whole large group (docs/fleet.md).

A group's partitions, in (topic, partition) order, are cut into chunks of about
``rows_per_chunk`` rows; each chunk is analysed with its partitions' log ends only, and the
chunks' per-(group, ts) rows are merged in partition order by
:func:`workbench.analyze.lag.combine.merge_group_table`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import polars as pl

from workbench.analyze.lag import analyze_lag, group_table
from workbench.analyze.lag.combine import merge_group_table
from workbench.errors import ConfigError
from workbench.fleet import ROWS_PER_CHUNK
from workbench.frames.lag import LAG_COLUMNS
from workbench.frames.offsets import scan_partition_offsets
from workbench.frames.pieces import offsets_in_pieces
from workbench.store import Store

CHUNK = "chunk"
PARTITION_KEYS = ["cluster", "group", "topic", "partition"]


def check_rows(rows_per_chunk: int) -> int:
    """``rows_per_chunk`` when at least 1, else a :class:`ConfigError`."""
    if rows_per_chunk < 1:
        raise ConfigError(f"rows per chunk must be at least 1, got {rows_per_chunk}")
    return rows_per_chunk


def chunk_ids(counts: pl.DataFrame, rows_per_chunk: int) -> pl.DataFrame:
    """``counts`` (rows ``len`` per cluster, group, topic, partition) with a ``chunk`` number:
    each group's partitions in (topic, partition) order, a new chunk every ``rows_per_chunk``
    rows (a partition is never cut; chunk 0 holds the first partitions)."""
    check_rows(rows_per_chunk)
    ordered = counts.sort(PARTITION_KEYS)
    start = pl.col("len").cum_sum().over("cluster", "group") - pl.col("len")
    return ordered.with_columns((start // rows_per_chunk).cast(pl.Int32).alias(CHUNK))


def merge_chunks(rows: pl.DataFrame) -> pl.DataFrame:
    """The ``group_table`` rows of one group's chunks (column ``chunk``), merged in chunk order
    into the group's rows."""
    parts = [
        f.drop(CHUNK) for _, f in rows.sort(CHUNK, maintain_order=True).group_by(CHUNK, maintain_order=True)
    ]
    return merge_group_table(parts) if parts else rows.drop(CHUNK)


def lag_groups_in_process(
    data_dir: str | os.PathLike[str],
    cluster: str,
    rows_per_chunk: int = ROWS_PER_CHUNK,
    until: dt.datetime | None = None,
) -> Iterator[pl.DataFrame]:
    """The ``lag_groups`` rows of ``cluster`` computed in one process in bounded memory: pieces
    of whole groups, a group bigger than ``rows_per_chunk`` in chunks of its partitions (merged);
    each piece gets only its partitions' log ends. ``until``: only snapshots before it."""
    store = Store(data_dir)
    ends = None
    if cluster in store.clusters("partition_offsets"):
        ends = scan_partition_offsets(data_dir, cluster, None, until)
    pieces = offsets_in_pieces(
        data_dir,
        cluster,
        None,
        until,
        rows_per_piece=check_rows(rows_per_chunk),
        split_sets=True,
        split_groups=True,
        columns=LAG_COLUMNS,
    )
    pending: list[pl.DataFrame] = []
    name = None
    for piece in pieces:
        rows = group_table(analyze_lag(piece, None if ends is None else _ends_of(ends, piece)))
        groups = piece["group"].unique()
        if name is not None and groups.len() == 1 and groups[0] == name:
            pending.append(rows)  # the next chunk of a split group
            continue
        if pending:
            yield merge_group_table(pending)
        pending, name = [rows], groups[0] if groups.len() == 1 else None
    if pending:
        yield merge_group_table(pending)


def _ends_of(ends: pl.LazyFrame, piece: pl.DataFrame) -> pl.DataFrame:
    """The log-end rows of ``piece``'s partitions (its topics filtered while reading)."""
    keys = piece.select("topic", "partition").unique()
    mine = ends.filter(pl.col("topic").is_in(keys["topic"].unique().to_list()))
    return mine.join(keys.lazy(), on=["topic", "partition"], how="semi").collect()
