"""Arrays of one chunk of snapshots -> frames in the stored schemas (see :mod:`workbench.schema`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.schema import UTC_TS, conform
from workbench.simulate.consumers import GroupPlan, group_status
from workbench.simulate.incidents import Timeline
from workbench.simulate.topology import Topology

SOURCE = "simulate"
STATES = ["Stable", "Empty"]


@dataclass(frozen=True)
class Chunk:
    """One chunk of the window: steps [t0, t1) and everything computed for them."""

    t0: int
    t1: int
    leo: np.ndarray  # (T, P) log-end offsets
    log_start: np.ndarray  # (T, P)
    committed: np.ndarray  # (T, GP)


def _lookup(names: list[str], idx: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    """``names[idx]`` as a String series, null where ``valid`` is False."""
    pos = pl.Series(idx.astype(np.uint32))
    if valid is not None:
        pos = pl.select(pl.when(pl.Series(valid)).then(pos)).to_series()
    return pl.Series(names, dtype=pl.String).gather(pos)


def _nullable(values: np.ndarray, valid: np.ndarray) -> pl.Series:
    return pl.select(pl.when(pl.Series(valid)).then(pl.Series(values))).to_series()


def _timestamps(timeline: Timeline, steps: np.ndarray) -> pl.Series:
    start_us = int(timeline.start.timestamp()) * 1_000_000
    return pl.Series(start_us + steps.astype(np.int64) * timeline.interval_s * 1_000_000).cast(UTC_TS)


def offsets_frame(
    topo: Topology, timeline: Timeline, plan: GroupPlan, chunk: Chunk, cluster: str
) -> pl.DataFrame:
    """One row per (snapshot, group, topic, partition) for partitions that exist at the snapshot."""
    steps = np.arange(chunk.t0, chunk.t1)
    exists = steps[:, None] >= topo.p_created[topo.gp_part][None, :]
    ti, gi = np.nonzero(exists)
    group = topo.gp_group[gi]
    part = topo.gp_part[gi]
    has, gen = group_status(topo, timeline, chunk.t0, chunk.t1)
    present = has[ti, group]
    epoch = (steps[ti] >= timeline.growth).astype(np.int64)
    member = plan.member_base[group, gen[ti, group]] + plan.owner[epoch, gi]
    table = plan.member_table
    topic_names = [t.name for t in topo.topics]
    return conform(
        pl.DataFrame(
            {
                "ts": _timestamps(timeline, steps[ti]),
                "group": _lookup([g.name for g in topo.groups], group),
                "group_state": _lookup(STATES, (~present).astype(np.int64)),
                "topic": _lookup(topic_names, topo.p_topic[part]),
                "partition": pl.Series(topo.p_num[part], dtype=pl.Int32),
                "committed_offset": _nullable(chunk.committed[ti, gi], ~plan.never[gi]),
                "log_start_offset": pl.Series(chunk.log_start[ti, part]),
                "log_end_offset": pl.Series(chunk.leo[ti, part]),
                "member_id": _lookup([m.member_id for m in table], member, present),
                "client_id": _lookup([m.client_id for m in table], member, present),
                "host": _lookup([m.host for m in table], member, present),
            }
        ).with_columns(cluster=pl.lit(cluster), source=pl.lit(SOURCE)),
        "offsets",
    )


def partition_offsets_frame(topo: Topology, timeline: Timeline, chunk: Chunk, cluster: str) -> pl.DataFrame:
    """One row per (snapshot, topic, partition) for every partition that exists, read or not."""
    steps = np.arange(chunk.t0, chunk.t1)
    ti, pi = np.nonzero(steps[:, None] >= topo.p_created[None, :])
    return conform(
        pl.DataFrame(
            {
                "ts": _timestamps(timeline, steps[ti]),
                "topic": _lookup([t.name for t in topo.topics], topo.p_topic[pi]),
                "partition": pl.Series(topo.p_num[pi], dtype=pl.Int32),
                "log_start_offset": pl.Series(chunk.log_start[ti, pi]),
                "log_end_offset": pl.Series(chunk.leo[ti, pi]),
            }
        ).with_columns(cluster=pl.lit(cluster), source=pl.lit(SOURCE)),
        "partition_offsets",
    )


def collections_frame(topo: Topology, timeline: Timeline, chunk: Chunk, cluster: str) -> pl.DataFrame:
    """One successful collection per snapshot, with a plausible duration."""
    steps = np.arange(chunk.t0, chunk.t1)
    group_rows = (steps[:, None] >= topo.p_created[topo.gp_part][None, :]).sum(axis=1)
    partitions = (steps[:, None] >= topo.p_created[None, :]).sum(axis=1)
    secs = steps * timeline.interval_s
    wobble = 1 + 0.15 * np.sin(2 * np.pi * secs / 5400.0) + 0.1 * np.sin(2 * np.pi * secs / 1300.0 + 1.0)
    duration = np.round((60.0 + 0.04 * group_rows + 0.02 * partitions) * wobble, 1)
    return conform(
        pl.DataFrame(
            {
                "ts": _timestamps(timeline, steps),
                "ok": pl.Series(np.ones(len(steps), dtype=bool)),
                "groups": pl.Series(np.full(len(steps), len(topo.groups)), dtype=pl.Int32),
                "group_rows": pl.Series(group_rows, dtype=pl.Int32),
                "partitions": pl.Series(partitions, dtype=pl.Int32),
                "duration_ms": pl.Series(duration, dtype=pl.Float64),
            }
        ).with_columns(cluster=pl.lit(cluster), kind=pl.lit("offsets")),
        "collections",
    )
