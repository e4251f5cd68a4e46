"""One consumer-group offsets snapshot: every group's committed and assigned partitions, plus
log-start/log-end offsets of every partition in the cluster, stamped with one UTC timestamp."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from workbench import patterns
from workbench.collect.groups import ASSIGNED, GroupColumns, GroupsClient
from workbench.collect.groups_confluent import ConfluentGroups, needs_confluent
from workbench.collect.kafka import KafkaAdmin
from workbench.collect.transactions import stable_frame
from workbench.schema import conform

#: The key of an ``offsets`` row within one snapshot.
_KEYS = ["group", "topic", "partition"]


@dataclass(frozen=True)
class GroupFilter:
    """Include/exclude regular expressions matched against the whole group id, checked and run
    by the one engine of :mod:`workbench.patterns` (linear time)."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    flag: str = field(default="--include", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "include", tuple(patterns.check(p, self.flag) for p in self.include))
        object.__setattr__(self, "exclude", tuple(patterns.check(p, "--exclude") for p in self.exclude))

    def select(self, groups: Iterable[str]) -> list[str]:
        """The groups this filter keeps, in order."""
        return patterns.select(groups, self.include, self.exclude, self.flag)

    def __call__(self, group: str) -> bool:
        return bool(self.select([group]))


@dataclass(frozen=True)
class OffsetsSnapshot:
    """The frames of one snapshot (schemas ``offsets`` and ``partition_offsets``).

    ``failed_groups`` counts groups whose coordinator did not answer (left out of ``offsets``);
    ``problem`` says why, or is None when every group answered."""

    ts: dt.datetime
    offsets: pl.DataFrame
    partitions: pl.DataFrame
    groups: int
    duration_s: float
    failed_groups: int = 0
    problem: str | None = None
    stable: pl.DataFrame | None = None
    """Last stable offsets (``stable_offsets``): :mod:`workbench.collect.transactions`."""
    open_transactions: pl.DataFrame | None = None
    """Open transactions on stuck partitions: :mod:`workbench.collect.open_transactions`."""


def snapshot_offsets(
    admin: KafkaAdmin,
    cluster: str,
    groups: GroupFilter | None = None,
    include_internal: bool = False,
    group_client: GroupsClient | ConfluentGroups | None = None,
) -> OffsetsSnapshot:
    """Take one snapshot: metadata, then both watermark fan-outs in flight while the batched
    group requests (:mod:`workbench.collect.groups`) run; the frame is built by joins."""
    started = time.monotonic()
    meta = admin.metadata()
    client = group_client or groups_client(admin)
    all_partitions = [
        (t, p)
        for t, tm in meta.topics.items()
        if include_internal or not t.startswith("__")
        for p in tm.partitions
    ]
    ts = dt.datetime.now(dt.UTC)
    marks_in_flight = admin.submit_watermarks(all_partitions)
    stable_in_flight = admin.submit_stable_offsets(all_partitions)
    try:
        group_ids, cols = client.fetch(groups or GroupFilter())
    finally:
        if group_client is None:
            client.close()
    marks = _marks_frame(admin.resolve_watermarks(marks_in_flight))
    offsets = _offsets_frame(ts, cluster, cols, marks)
    partitions = _partitions_frame(ts, cluster, all_partitions, marks)
    failed = len(cols.failed)
    problem = _problem(cols.failed, len(group_ids)) if failed else None
    stable = stable_frame(ts, cluster, admin.resolve_stable_offsets(stable_in_flight))
    return OffsetsSnapshot(
        ts, offsets, partitions, len(group_ids) - failed, time.monotonic() - started, failed, problem, stable
    )


def groups_client(admin: KafkaAdmin) -> GroupsClient | ConfluentGroups:
    """Batched requests through kafka-python, or confluent-kafka where only it can log in."""
    if needs_confluent(admin.settings.config):
        return ConfluentGroups(admin)
    return GroupsClient(admin.settings, admin.timeout_s)


def _problem(failed: dict[str, str], total: int) -> str:
    reasons = sorted(set(failed.values()))
    return f"{len(failed)} of {total} groups did not answer ({'; '.join(reasons[:3])})"


def _marks_frame(marks: dict[tuple[str, int], tuple[int | None, int | None]]) -> pl.DataFrame:
    keys = list(marks)
    values = list(marks.values())
    return pl.DataFrame(
        {
            "topic": [k[0] for k in keys],
            "partition": [k[1] for k in keys],
            "log_start_offset": [v[0] for v in values],
            "log_end_offset": [v[1] for v in values],
        },
        schema={
            "topic": pl.String,
            "partition": pl.Int32,
            "log_start_offset": pl.Int64,
            "log_end_offset": pl.Int64,
        },
    )


def _offsets_frame(ts: dt.datetime, cluster: str, cols: GroupColumns, marks: pl.DataFrame) -> pl.DataFrame:
    """Committed and assigned partitions of every group (outer join), with state and watermarks."""
    committed, assigned, states = cols.pop_frames()
    frame = _with_assignments(committed, assigned)
    del committed, assigned
    frame = (
        frame.join(states, on="group", how="left")
        .join(marks, on=["topic", "partition"], how="left")
        .with_columns(
            pl.lit(ts).dt.cast_time_unit("us").alias("ts"),
            pl.lit(cluster).alias("cluster"),
            pl.col("group_state").fill_null("Unknown"),
            pl.lit("collector").alias("source"),
        )
        .sort(_KEYS)
    )
    return conform(frame, "offsets")


def _with_assignments(committed: pl.DataFrame, assigned: pl.DataFrame) -> pl.DataFrame:
    """The full join of committed and assigned rows. Only the rows of groups that have
    assignments take part: a full join on three string keys costs about 190 MB at 1 M rows,
    and groups without members (offset-only consumers) need none (docs/collector.md)."""
    assigned = assigned.unique(_KEYS, keep="first")
    if assigned.is_empty():
        return committed.with_columns(pl.lit(None, ASSIGNED[c]).alias(c) for c in ASSIGNED if c not in _KEYS)
    busy = committed["group"].is_in(assigned["group"].unique().implode())
    if busy.all():
        return committed.join(assigned, on=_KEYS, how="full", coalesce=True)
    joined = committed.filter(busy).join(assigned, on=_KEYS, how="full", coalesce=True)
    return pl.concat([joined, committed.filter(~busy)], how="diagonal")


def _partitions_frame(
    ts: dt.datetime, cluster: str, partitions: list[tuple[str, int]], marks: pl.DataFrame
) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"topic": [t for t, _ in partitions], "partition": [p for _, p in partitions]},
        schema={"topic": pl.String, "partition": pl.Int32},
    ).join(marks, on=["topic", "partition"], how="left")
    frame = frame.with_columns(
        pl.lit(ts).dt.cast_time_unit("us").alias("ts"),
        pl.lit(cluster).alias("cluster"),
        pl.lit("collector").alias("source"),
    )
    return conform(frame.sort(["topic", "partition"]), "partition_offsets")
