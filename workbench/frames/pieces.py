"""A long offsets history in pieces of whole groups, for analyses that do not fit in memory at once."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence

import polars as pl

from workbench.errors import ConfigError
from workbench.frames.offsets import Filter, add_lag_columns, scan_offsets
from workbench.packing import pack_runs
from workbench.scalars import as_int
from workbench.schema import OFFSETS

__all__ = ["group_chunks", "offsets_in_pieces", "pack", "reading_sets"]


def reading_sets(sizes: pl.DataFrame) -> list[tuple[list[str], int]]:
    """Groups that read a common topic, directly or through other groups (connected components of
    the group-topic graph), with their row counts, in order of their first group's name.

    ``sizes``: one row per (group, topic) with its row count ``len``.
    """
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for group, topic in sizes.select("group", "topic").iter_rows():
        a, b = find("g:" + group), find("t:" + str(topic))
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = {}
    rows: dict[str, int] = {}
    for group, count in sizes.group_by("group").agg(pl.col("len").sum()).sort("group").iter_rows():
        root = find("g:" + group)
        members.setdefault(root, []).append(group)
        rows[root] = rows.get(root, 0) + count
    return sorted(((groups, rows[root]) for root, groups in members.items()), key=lambda item: item[0][0])


def pack(
    sets: list[tuple[list[str], int]], rows_per_piece: int, group_rows: dict[str, int] | None = None
) -> list[list[str]]:
    """Consecutive reading sets packed into pieces of at most ``rows_per_piece`` rows (a bigger set
    is a piece of its own). With ``group_rows`` (rows per group), a set bigger than the limit is
    split into its groups, packed the same way (a bigger group is a piece of its own)."""
    if group_rows is not None:
        sets = [
            part
            for groups, count in sets
            for part in (
                [([g], group_rows[g]) for g in groups] if count > rows_per_piece else [(groups, count)]
            )
        ]
    return pack_runs(sets, rows_per_piece)


def offsets_in_pieces(
    data_dir: str | os.PathLike[str],
    cluster: str | None = None,
    since: str | dt.datetime | None = "7d",
    until: str | dt.datetime | None = None,
    groups: Filter = None,
    topics: Filter = None,
    rows_per_piece: int = 5_000_000,
    *,
    split_sets: bool = False,
    split_groups: bool = False,
    columns: Sequence[str] | None = None,
    dataset: str = "offsets",
) -> Iterator[pl.DataFrame]:
    """:func:`~workbench.frames.load_offsets` in pieces of whole groups of about ``rows_per_piece``
    rows each, sorted by group, topic, partition, ts (the analysis's order).

    Groups that read a common topic stay in one piece, so the per-topic aggregates of a piece are
    whole. Each piece is read from the store when the iteration reaches it: memory holds one piece
    (about 100 bytes a row, several times that while it is analysed), not the history.
    ``split_sets``: split a reading set bigger than ``rows_per_piece`` into its groups (then a
    piece's per-topic aggregates cover only its groups' partitions). ``split_groups``: also split
    a bigger group into consecutive pieces of its partitions (:func:`group_chunks`). ``columns``:
    read only these.
    """
    if rows_per_piece < 1:
        raise ConfigError(f"rows_per_piece must be at least 1, got {rows_per_piece}")
    lf = scan_offsets(data_dir, cluster, since, until, groups, topics, dataset)
    if columns is not None:
        lf = lf.select(columns)
    keys = ["group", "topic", "partition"] if split_groups else ["group", "topic"]
    sizes = lf.group_by(keys).len().collect(engine="streaming")  # bounded on a month
    per_group = dict(sizes.group_by("group").agg(pl.col("len").sum()).iter_rows()) if split_sets else None
    sets = reading_sets(sizes.group_by("group", "topic").agg(pl.col("len").sum()))
    for names in pack(sets, rows_per_piece, per_group):
        if split_groups and len(names) == 1 and per_group and per_group[names[0]] > rows_per_piece:
            yield from group_chunks(lf, names[0], sizes.filter(pl.col("group") == names[0]), rows_per_piece)
        else:
            yield lf.filter(pl.col("group").is_in(names)).sort(_ORDER).collect()


_ORDER = ["group", "topic", "partition", "ts"]


def group_chunks(
    lf: pl.LazyFrame, group: str, sizes: pl.DataFrame, rows_per_piece: int
) -> Iterator[pl.DataFrame]:
    """One group's rows in pieces of whole partitions of about ``rows_per_piece`` rows, in
    (topic, partition) order. ``sizes``: its rows per (topic, partition).

    The group is read from the store once (one scan, not one per piece) and held compactly:
    each row's (topic, partition) as one number, other strings as categoricals, without the lag
    columns and the columns of one value, which each piece puts back (a month of 336 partitions at
    1-minute snapshots, 14.6 M rows: about 0.6 GB).
    """
    schema = lf.collect_schema()
    lagged = set(add_lag_columns(pl.DataFrame(schema=OFFSETS)).columns) - set(OFFSETS.names())
    base = [c for c in schema.names() if c not in lagged]
    table = sizes.sort("topic", "partition")
    topics = table["topic"].unique(maintain_order=True)
    width = (as_int(table["partition"].max()) or 0) + 1  # _k = topic rank x width + partition
    key = pl.col("topic").replace_strict(topics, pl.int_range(topics.len(), dtype=pl.Int64, eager=True))
    held = [c for c in base if c not in ("topic", "partition")]
    strings = [c for c in held if schema[c] == pl.String]
    frame = (
        lf.filter(pl.col("group") == group)
        .select(*held, _k=key * width + pl.col("partition").cast(pl.Int64))
        .with_columns(pl.col(strings).cast(pl.Categorical))
        .collect(engine="streaming")
    )
    single = {c: frame[c][0] for c in strings if frame.height and frame[c].n_unique() == 1}
    frame = frame.drop(*single)
    order = _partition_time_order(frame)  # each piece a slice, in _ORDER
    start = 0
    counts = table.select(_chunk=(pl.col("len").cum_sum() - pl.col("len")) // rows_per_piece, n=pl.col("len"))
    for count in counts.group_by("_chunk", maintain_order=True).agg(pl.col("n").sum())["n"]:
        rows = frame[order.slice(start, count)]
        start += count
        k = rows["_k"]
        rows = rows.with_columns(
            *(pl.col(c).cast(pl.String) for c in strings if c not in single),
            *(pl.lit(v, pl.String).alias(c) for c, v in single.items()),
            topic=topics.gather(k // width),
            partition=(k % width).cast(schema["partition"]),
        ).drop("_k")
        if len(base) < len(schema):
            rows = add_lag_columns(rows)  # type: ignore[assignment]
        yield rows.select(schema.names())


def _partition_time_order(frame: pl.DataFrame) -> pl.Series:
    """Row indices of ``frame`` by (``_k``, ts), from one Int64 key when it fits (a sort on two
    columns of 14.6 M rows took 20 s of CPU, the one key 1.7 s)."""
    stats = frame.select(
        span=(pl.col("ts").max() - pl.col("ts").min()).dt.total_microseconds() + 1,
        k_max=pl.col("_k").cast(pl.Int64).max(),
    ).row(0)
    span, k_max = stats
    if span is None or k_max is None or (k_max + 1) * span >= 2**62:
        return frame.select(pl.arg_sort_by("_k", "ts")).to_series()
    lo = frame["ts"].min()
    offset = (pl.col("ts") - pl.lit(lo)).dt.total_microseconds()
    return frame.select((pl.col("_k").cast(pl.Int64) * span + offset).arg_sort()).to_series()
