"""The consume side: committed offsets, group membership and state per snapshot.

Details: docs/simulate.md (`workbench.simulate.consumers`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.simulate import incidents as inc
from workbench.simulate.incidents import Timeline
from workbench.simulate.topology import Member, Topology, members, round_robin, stable_rng
from workbench.simulate.traffic import ProduceHistory

HEADROOM = 3.0
#: Range of the groups' commit cadences in seconds (log-uniform; Kafka's auto-commit default is 5 s).
COMMIT_EVERY_S = (2.0, 30.0)
#: Range of the groups' mean processing backlog, in seconds of traffic.
BACKLOG_S = (0.2, 3.0)


@dataclass(frozen=True)
class GroupPlan:
    """Per group-partition constants and per group timetables, fixed for the whole window."""

    cap: np.ndarray  # (GP,) messages per interval a consumer can commit past
    commit_every_s: np.ndarray  # (GP,) the group's commit cadence in seconds
    backlog_s: np.ndarray  # (GP,) mean processing backlog in seconds of traffic
    backlog_period: np.ndarray  # (GP,) seconds per breathing cycle of the backlog
    backlog_phase: np.ndarray  # (GP,)
    never: np.ndarray  # (GP,) bool: assigned, never committed
    member_table: list[Member]
    member_base: np.ndarray  # (G, 2) first member-table index per group and generation
    owner: np.ndarray  # (2, GP) member number before / after the partition expansion


def plan_groups(topo: Topology, timeline: Timeline, hist: ProduceHistory, seed: int) -> GroupPlan:
    """Fix capacities, commit cadences, processing backlogs and members of every group."""
    rng = stable_rng(seed, "groups")
    n_groups = len(topo.groups)
    g_every = np.exp(rng.uniform(np.log(COMMIT_EVERY_S[0]), np.log(COMMIT_EVERY_S[1]), size=n_groups))
    g_backlog = rng.uniform(*BACKLOG_S, size=n_groups)
    g_period = rng.uniform(1800, 14400, size=n_groups)
    peak = hist.max_inc[topo.gp_part]
    cap = np.ceil(HEADROOM * peak + 10).astype(np.int64)
    if inc.CAPACITY_GROUP in _names(topo):
        bound = topo.gp_group == topo.group_index(inc.CAPACITY_GROUP)
        cap[bound] = np.ceil(inc.CAPACITY_FACTOR * peak[bound]).astype(np.int64)
    never = np.zeros(len(topo.gp_group), dtype=bool)
    if inc.NEVER_GROUP in _names(topo):
        ti = topo.topic_index(inc.NEVER_TOPIC)
        never = (topo.gp_group == topo.group_index(inc.NEVER_GROUP)) & (topo.p_topic[topo.gp_part] == ti)
        never &= topo.p_num[topo.gp_part] == inc.NEVER_PARTITION
    table, base = _member_table(topo, seed)
    return GroupPlan(
        cap=cap,
        commit_every_s=g_every[topo.gp_group],
        backlog_s=g_backlog[topo.gp_group],
        backlog_period=g_period[topo.gp_group],
        backlog_phase=rng.uniform(0, 2 * np.pi, size=len(topo.gp_group)),
        never=never,
        member_table=table,
        member_base=base,
        owner=_owners(topo, timeline),
    )


def _names(topo: Topology) -> set[str]:
    return {g.name for g in topo.groups}


def _member_table(topo: Topology, seed: int) -> tuple[list[Member], np.ndarray]:
    table: list[Member] = []
    base = np.zeros((len(topo.groups), 2), dtype=np.int64)
    for gi, g in enumerate(topo.groups):
        for gen in (0, 1):
            base[gi, gen] = len(table)
            if gen == 0 or g.name == inc.REWIND_GROUP:
                table.extend(members(seed, g.name, topo.member_count(gi), gen))
            else:
                base[gi, gen] = base[gi, 0]
    return table, base


def _owners(topo: Topology, timeline: Timeline) -> np.ndarray:
    """Round-robin member numbers of each group-partition, before and after the expansion."""
    owner = np.zeros((2, len(topo.gp_group)), dtype=np.int64)
    for epoch, step in enumerate((0, timeline.growth)):
        for gi in range(len(topo.groups)):
            sel = np.flatnonzero((topo.gp_group == gi) & (topo.p_created[topo.gp_part] <= step))
            parts = topo.gp_part[sel]
            owner[epoch, sel] = round_robin(parts, topo.p_topic, topo.p_num, topo.member_count(gi))
    return owner


def group_status(topo: Topology, timeline: Timeline, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
    """(has members, member generation) per (step, group) for steps [t0, t1)."""
    steps = np.arange(t0, t1)[:, None]
    has = np.ones((t1 - t0, len(topo.groups)), dtype=bool)
    gen = np.zeros((t1 - t0, len(topo.groups)), dtype=np.int64)
    names = [g.name for g in topo.groups]
    for gi, name in enumerate(names):
        if name in (inc.EMPTY_GROUP, inc.IDLE_EMPTY_GROUP):
            has[:, gi] = False
        elif name == inc.STOP_GROUP:
            has[:, gi] = steps[:, 0] < timeline.stop
        elif name == inc.REWIND_GROUP:
            stop, _, restart = timeline.rewind
            has[:, gi] = (steps[:, 0] < stop) | (steps[:, 0] >= restart)
            gen[:, gi] = steps[:, 0] >= restart
    return has, gen


def consuming(topo: Topology, timeline: Timeline, t0: int, t1: int) -> np.ndarray:
    """(T, G) bool: whether each group commits progress at each step of [t0, t1)."""
    has, _ = group_status(topo, timeline, t0, t1)
    active = has.copy()
    steps = np.arange(t0, t1)
    if inc.STALL_GROUP in _names(topo):
        a, b = timeline.stall
        active[:, topo.group_index(inc.STALL_GROUP)] &= (steps < a) | (steps >= b)
    return active


def initial_committed(topo: Topology, hist: ProduceHistory, target0: np.ndarray) -> np.ndarray:
    """Committed offsets at step 0: near the log end, except the EMPTY group's old backlog."""
    c = target0.copy()
    if inc.EMPTY_GROUP in _names(topo):
        sel = topo.gp_group == topo.group_index(inc.EMPTY_GROUP)
        parts = topo.gp_part[sel]
        ret_h = topo.topics[topo.topic_index(inc.EMPTY_TOPIC)].retention_h
        behind_s = (ret_h - inc.EMPTY_RETENTION_HIT_H) * 3600
        c[sel] = hist.leo0[parts] - np.floor(hist.mean_rate[parts] * behind_s).astype(np.int64)
    return c


def keeping_up_target(
    topo: Topology, plan: GroupPlan, hist: ProduceHistory, t0: int, t1: int, interval_s: int, seed: int
) -> np.ndarray:
    """(T, GP) where a keeping-up consumer's last commit is at each snapshot of [t0, t1).

    Log end minus the messages produced since that commit and the ones still being processed:
    a Poisson draw around ``rate × (uniform share of the commit cadence + breathing backlog)``.
    Deterministic: the draws come from a generator seeded by the run's seed and the chunk's start.
    """
    leo = hist.leo[t0:t1][:, topo.gp_part]
    prev = hist.leo[max(t0 - 1, 0) : t1 - 1][:, topo.gp_part]
    if t0 == 0:  # step 0 has no interval before it: use the first interval's rate
        first = hist.leo[min(1, len(hist.leo) - 1), topo.gp_part] - leo[0]
        prev = np.vstack([leo[:1] - first, prev])
    rate = (leo - prev) / interval_s
    rng = stable_rng(seed, "commit-jitter", str(t0))
    since_commit = rng.uniform(0.0, 1.0, size=leo.shape) * plan.commit_every_s
    secs = (np.arange(t0, t1, dtype=np.float64) * interval_s)[:, None]
    wave = np.sin(2 * np.pi * secs / plan.backlog_period + plan.backlog_phase)
    backlog = plan.backlog_s * (1 + 0.6 * wave)
    behind = rng.poisson(rate * (since_commit + backlog))
    return leo - np.minimum(behind, leo - prev)


def commit(
    topo: Topology,
    timeline: Timeline,
    plan: GroupPlan,
    hist: ProduceHistory,
    start: np.ndarray | None,
    t0: int,
    t1: int,
    seed: int,
) -> np.ndarray:
    """(T, GP) committed offsets for steps [t0, t1), continuing from ``start`` (None at step 0)."""
    target = keeping_up_target(topo, plan, hist, t0, t1, timeline.interval_s, seed)
    active = consuming(topo, timeline, t0, t1)[:, topo.gp_group]
    c = initial_committed(topo, hist, target[0]) if start is None else start
    _, reset, _ = timeline.rewind
    rewind_sel = _rewind_columns(topo)
    out = np.empty_like(target)
    for i in range(t1 - t0):
        step_cap = np.where(active[i], plan.cap, 0)
        c = np.minimum(np.maximum(target[i], c), c + step_cap)
        if t0 + i == reset and rewind_sel.any():
            back = max(0, reset - timeline.rewind_back_steps)
            c = c.copy()
            c[rewind_sel] = hist.leo[back, topo.gp_part[rewind_sel]]
        out[i] = c
    return out


def _rewind_columns(topo: Topology) -> np.ndarray:
    if inc.REWIND_GROUP not in _names(topo):
        return np.zeros(len(topo.gp_group), dtype=bool)
    return topo.gp_group == topo.group_index(inc.REWIND_GROUP)
