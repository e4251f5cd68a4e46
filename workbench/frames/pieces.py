"""A long offsets history in pieces of whole groups, for analyses that do not fit in memory at once."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence

import polars as pl

from workbench.errors import ConfigError
from workbench.frames.offsets import Filter, scan_offsets

__all__ = ["offsets_in_pieces", "pack", "reading_sets"]


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
    pieces: list[list[str]] = []
    size = rows_per_piece + 1
    for groups, count in sets:
        if size + count > rows_per_piece:
            pieces.append([])
            size = 0
        pieces[-1].extend(groups)
        size += count
    return pieces


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
    columns: Sequence[str] | None = None,
    dataset: str = "offsets",
) -> Iterator[pl.DataFrame]:
    """:func:`~workbench.frames.load_offsets` in pieces of whole groups of about ``rows_per_piece``
    rows each, sorted by group, topic, partition, ts (the analysis's order).

    Groups that read a common topic stay in one piece, so the per-topic aggregates of a piece are
    whole. Each piece is read from the store when the iteration reaches it: memory holds one piece
    (about 100 bytes a row, several times that while it is analysed), not the history.
    ``split_sets``: split a reading set bigger than ``rows_per_piece`` into its groups (then a
    piece's per-topic aggregates cover only its groups' partitions). ``columns``: read only these.
    """
    if rows_per_piece < 1:
        raise ConfigError(f"rows_per_piece must be at least 1, got {rows_per_piece}")
    lf = scan_offsets(data_dir, cluster, since, until, groups, topics, dataset)
    if columns is not None:
        lf = lf.select(columns)
    sizes = lf.group_by("group", "topic").len().collect(engine="streaming")  # bounded on a month
    per_group = dict(sizes.group_by("group").agg(pl.col("len").sum()).iter_rows()) if split_sets else None
    for names in pack(reading_sets(sizes), rows_per_piece, per_group):
        yield lf.filter(pl.col("group").is_in(names)).sort(["group", "topic", "partition", "ts"]).collect()
