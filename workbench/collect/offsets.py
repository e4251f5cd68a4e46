"""One consumer-group offsets snapshot: every group's committed and assigned partitions, plus
log-start/log-end offsets of every partition in the cluster, stamped with one UTC timestamp."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from workbench import patterns
from workbench.collect.kafka import GroupDescription, KafkaAdmin
from workbench.collect.transactions import stable_frame
from workbench.schema import conform


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
    """The frames of one snapshot (schemas ``offsets`` and ``partition_offsets``)."""

    ts: dt.datetime
    offsets: pl.DataFrame
    partitions: pl.DataFrame
    groups: int
    duration_s: float
    stable: pl.DataFrame | None = None
    """Last stable offsets (``stable_offsets``): :mod:`workbench.collect.transactions`."""


def snapshot_offsets(
    admin: KafkaAdmin,
    cluster: str,
    groups: GroupFilter | None = None,
    include_internal: bool = False,
) -> OffsetsSnapshot:
    """Take one snapshot. Requests run concurrently: group descriptions, committed offsets of
    every group and both watermark fan-outs are all in flight before any is awaited."""
    started = time.monotonic()
    meta = admin.metadata()
    keep = groups or GroupFilter()
    group_ids = keep.select(admin.list_groups())
    all_partitions = [
        (t, p)
        for t, tm in meta.topics.items()
        if include_internal or not t.startswith("__")
        for p in tm.partitions
    ]
    ts = dt.datetime.now(dt.UTC)
    in_flight = (
        admin.submit_describe(group_ids),
        admin.submit_committed(group_ids),
        admin.submit_watermarks(all_partitions),
        admin.submit_stable_offsets(all_partitions),
    )
    descriptions = admin.resolve_descriptions(in_flight[0])
    committed = admin.resolve_committed(in_flight[1])
    marks = admin.resolve_watermarks(in_flight[2])
    offsets = _offsets_frame(ts, cluster, group_ids, descriptions, committed, marks)
    partitions = _partitions_frame(ts, cluster, all_partitions, marks)
    stable = stable_frame(ts, cluster, admin.resolve_stable_offsets(in_flight[3]))
    return OffsetsSnapshot(ts, offsets, partitions, len(group_ids), time.monotonic() - started, stable)


def _group_partitions(desc: GroupDescription | None, committed: dict) -> list[tuple[str, int]]:
    assigned = [tp for m in (desc.members if desc else ()) for tp in m.partitions]
    return sorted(set(assigned) | set(committed))


def _offsets_frame(
    ts: dt.datetime,
    cluster: str,
    group_ids: list[str],
    descriptions: dict[str, GroupDescription],
    committed: dict[str, dict[tuple[str, int], int | None]],
    marks: dict[tuple[str, int], tuple[int | None, int | None]],
) -> pl.DataFrame:
    rows = []
    for gid in group_ids:
        desc = descriptions.get(gid)
        owners = {tp: m for m in (desc.members if desc else ()) for tp in m.partitions}
        commits = committed.get(gid, {})
        for tp in _group_partitions(desc, commits):
            member = owners.get(tp)
            start, end = marks.get(tp, (None, None))
            rows.append(
                {
                    "ts": ts,
                    "cluster": cluster,
                    "group": gid,
                    "group_state": desc.state if desc else "Unknown",
                    "topic": tp[0],
                    "partition": tp[1],
                    "committed_offset": commits.get(tp),
                    "log_start_offset": start,
                    "log_end_offset": end,
                    "member_id": member.member_id if member else None,
                    "client_id": member.client_id if member else None,
                    "host": member.host if member else None,
                    "source": "collector",
                }
            )
    if not rows:
        return conform(pl.DataFrame(schema={"ts": pl.Datetime("us", "UTC")}), "offsets")
    return conform(pl.DataFrame(rows, infer_schema_length=None), "offsets")


def _partitions_frame(
    ts: dt.datetime,
    cluster: str,
    partitions: list[tuple[str, int]],
    marks: dict[tuple[str, int], tuple[int | None, int | None]],
) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "ts": [ts] * len(partitions),
            "cluster": [cluster] * len(partitions),
            "topic": [t for t, _ in partitions],
            "partition": [p for _, p in partitions],
            "log_start_offset": [marks.get(tp, (None, None))[0] for tp in partitions],
            "log_end_offset": [marks.get(tp, (None, None))[1] for tp in partitions],
            "source": ["collector"] * len(partitions),
        },
        schema_overrides={"log_start_offset": pl.Int64, "log_end_offset": pl.Int64, "partition": pl.Int32},
    )
    return conform(frame.sort(["topic", "partition"]), "partition_offsets")
