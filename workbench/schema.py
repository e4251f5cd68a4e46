"""The record contract: one Polars schema (and a version) per stored dataset.

Every stage meets here. Collectors, importers and the simulator produce frames in these
schemas; the store writes and reads them; frames and analytics consume them. A dataset's
schema changes only together with its version number.

Timestamps are UTC, microsecond resolution. Offsets are Int64; a committed offset that does
not exist is null, never 0 and never librdkafka's -1001.
"""

from __future__ import annotations

import polars as pl

UTC_TS = pl.Datetime("us", "UTC")

#: Consumer-group offsets: one row per (snapshot, group, topic, partition) that the group
#: committed or is assigned.
OFFSETS = pl.Schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "group": pl.String,
        "group_state": pl.String,
        "topic": pl.String,
        "partition": pl.Int32,
        "committed_offset": pl.Int64,
        "log_start_offset": pl.Int64,
        "log_end_offset": pl.Int64,
        "member_id": pl.String,
        "client_id": pl.String,
        "host": pl.String,
        "source": pl.String,
    }
)

#: Every topic partition of the cluster at a snapshot, read or not: ingress needs them all.
PARTITION_OFFSETS = pl.Schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "topic": pl.String,
        "partition": pl.Int32,
        "log_start_offset": pl.Int64,
        "log_end_offset": pl.Int64,
        "source": pl.String,
    }
)

#: One row per collection attempt, successful or not: the collector's own log as data.
COLLECTIONS = pl.Schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "kind": pl.String,
        "ok": pl.Boolean,
        "error": pl.String,
        "groups": pl.Int32,
        "group_rows": pl.Int32,
        "partitions": pl.Int32,
        "duration_ms": pl.Float64,
    }
)

#: dataset name -> (schema, version). The store refuses frames that do not match.
DATASETS: dict[str, tuple[pl.Schema, int]] = {
    "offsets": (OFFSETS, 1),
    "partition_offsets": (PARTITION_OFFSETS, 1),
    "collections": (COLLECTIONS, 1),
}


def empty(dataset: str) -> pl.DataFrame:
    """An empty frame with the dataset's schema."""
    return pl.DataFrame(schema=DATASETS[dataset][0])


def conform(frame: pl.DataFrame, dataset: str) -> pl.DataFrame:
    """Select and cast ``frame``'s columns to the dataset schema, in schema order.

    Missing nullable columns are added as nulls; extra columns are dropped. Casting is strict,
    so a value that does not fit (text in an offset column) raises instead of becoming null.
    """
    schema = DATASETS[dataset][0]
    cols = []
    for name, dtype in schema.items():
        if name in frame.columns:
            cols.append(pl.col(name).cast(dtype, strict=True))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(cols)
