# ruff: noqa: E501  (table rows stay one scenario per line)
"""Burrow's status on commit-level history, as tables: one commented scenario per row.

EXAMPLES are Burrow's own rule examples (``core/internal/evaluator/caching_test.go`` @ced55ba, rows
0-15): the ring, broker readings, current lag and time, with Burrow's status under its current
rules and what Burrow 1.2.1's rules give (``None``: not expressible in 1.2.1, which has no
null lags). CASES are the four cases of issue 12 end to end, from commits and log-end readings.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import polars as pl
import pytest

from workbench.analyze.burrow import BurrowConfig
from workbench.analyze.burrow.commits import (
    CommitRing,
    commits_from_snapshots,
    evaluate_ring,
    group_status_on_commits,
    partition_status_on_commits,
    with_commit_status,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
S = 1_000_000


class Example(NamedTuple):
    name: str
    offsets: list[int]
    times: list[int]  # commit times, s
    lags: list[int | None]
    broker: list[int]
    current_lag: int
    now: int  # s
    allowed_lag: int
    status: str  # current Burrow
    status_121: str | None  # Burrow 1.2.1's rules


FIVE = [100, 200, 300, 400, 500]
B9 = [792748079 + i for i in range(15)]
T9 = [1512224618 + i for i in range(15)]
# fmt: off
EXAMPLES = [
    # 0: zero lag somewhere in the window -> OK
    Example("0-zero-lag-once", [1000, 2000, 3000, 4000, 5000], FIVE, [0, 50, 100, 150, 200], [5200], 200, 600, 0, "OK", "OK"),
    # 1: 400 s since the last commit equals the span (not greater): not stopped
    Example("1-stop-boundary", [1000, 2000, 3000, 4000, 5000], FIVE, [0, 50, 100, 150, 200], [5200], 200, 900, 0, "OK", "OK"),
    # 2: 500 s since the last commit > span 400 s -> STOP, even with zero lag in the window
    Example("2-stop", [1000, 2000, 3000, 4000, 5000], FIVE, [0, 50, 100, 150, 200], [5200], 200, 1000, 0, "STOP", "STOP"),
    # 3: STOP with lag never zero too
    Example("3-stop-lag", [1000, 2000, 3000, 4000, 5000], FIVE, [50, 100, 150, 200, 250], [5250], 250, 1000, 0, "STOP", "STOP"),
    # 4: same offset throughout, but zero lag once -> OK
    Example("4-stall-zero-once", [1000] * 5, FIVE, [0, 50, 100, 150, 200], [1200], 200, 600, 0, "OK", "OK"),
    # 5: same offset, lag never zero -> STALL
    Example("5-stall", [1000] * 5, FIVE, [100, 150, 200, 250, 300], [1300], 300, 600, 0, "STALL", "STALL"),
    # 6: STALL with a constant lag too
    Example("6-stall-flat", [1000] * 5, FIVE, [100] * 5, [1100], 100, 600, 0, "STALL", "STALL"),
    # 7: a rewind that recovered (4000 >= 3000) and a lag that decreases -> OK; 1.2.1 has no recovery
    Example("7-rewind-recovered", [1000, 2000, 3000, 2000, 4000], FIVE, [100, 150, 200, 1250, 300], [4300], 300, 600, 0, "OK", "REWIND"),
    # 8: current lag 0 -> OK whatever the window says
    Example("8-current-zero", [1000, 2000, 3000, 4000, 5000], FIVE, [50, 100, 150, 200, 250], [5250], 0, 1000, 0, "OK", "OK"),
    # 9: 15 commits 1 s apart, 18 s silent, broker far ahead -> STOP
    Example("9-stop-fast-commits", B9, T9, [0] * 15, [792749024, 792749000, 792748800, 792748600, 792748500], 931, 1512224650, 0, "STOP", "STOP"),
    # 10: same, but a recent broker reading is at the last commit (caught up) -> OK
    Example("10-stop-caught-up", B9, T9, [0] * 15, [792748094, 792748093, 792748093, 792748093], 1, 1512224650, 0, "OK", "OK"),
    # 11: case 0 with null lags between: nulls change nothing
    Example("11-null-lags", [1000 + 500 * i for i in range(10)], [100 + 50 * i for i in range(10)], [0, None, 50, None, 100, None, 150, None, 200, None], [5700], 200, 600, 0, "OK", None),
    # 12: current lag 1 within allowed-lag 1 -> OK (1.2.1 has no allowed-lag: 250 s > 200 s span -> STOP)
    Example("12-allowed-lag", [1000, 2000, 2000], [100, 200, 300], [2, 1, 1], [2001], 1, 550, 1, "OK", "STOP"),
    # 13: case 5 with allowed-lag 99: lags above it -> STALL
    Example("13-stall-allowed", [1000] * 5, FIVE, [100, 150, 200, 250, 300], [1300], 300, 600, 99, "STALL", "STALL"),
    # 14: case 7 with allowed-lag 99 -> OK
    Example("14-rewind-recovered-allowed", [1000, 2000, 3000, 2000, 4000], FIVE, [100, 150, 200, 1250, 300], [4300], 300, 600, 99, "OK", "REWIND"),
    # 15: a rewind that never got back to 3000 -> REWIND
    Example("15-rewind", [1000, 2000, 3000, 2000, 2500], FIVE, [100, 150, 200, 1250, 300], [4300], 300, 600, 0, "REWIND", "REWIND"),
]
# fmt: on


@pytest.mark.parametrize("ex", EXAMPLES, ids=lambda e: e.name)
def test_burrow_rule_examples(ex: Example) -> None:
    ring = CommitRing(BurrowConfig(intervals=len(ex.offsets), allowed_lag=ex.allowed_lag))
    ring.slots = [(o, t * S, lag) for o, t, lag in zip(ex.offsets, ex.times, ex.lags, strict=True)]
    assert evaluate_ring(ring, ex.now * S, ex.broker, ex.current_lag, "current")[0] == ex.status
    if ex.status_121 is not None:
        assert evaluate_ring(ring, ex.now * S, ex.broker, ex.current_lag, "1.2.1")[0] == ex.status_121


def _frames(
    readings: list[tuple[int, int]], commits: list[tuple[float, int]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(log_ends, commits) for one partition 't'/0 of group 'g': (second, offset) pairs."""
    ts = [T0 + dt.timedelta(seconds=s) for s, _ in readings]
    log_ends = pl.DataFrame(
        {"topic": "t", "partition": 0, "ts": ts, "log_end_offset": [o for _, o in readings]}
    )
    cts = [T0 + dt.timedelta(seconds=s) for s, _ in commits]
    frame = pl.DataFrame(
        {"group": "g", "topic": "t", "partition": 0, "ts": cts, "committed_offset": [o for _, o in commits]}
    )
    return log_ends, frame.with_columns(pl.col("partition").cast(pl.Int32))


class Case(NamedTuple):
    name: str
    readings: list[tuple[int, int]]  # (s, log end), the log-end history
    commits: list[tuple[float, int]]  # (s, committed offset), from __consumer_offsets
    at: int  # evaluation time, s
    status: str  # Burrow's partition status


READ = [(10 * k, 100 * k) for k in range(1, 31)]  # the producer adds 100 messages per 10 s
# fmt: off
CASES = [
    # issue case 1: keeps up, committing 23 behind the live head 5 s after each reading: the
    # reading Burrow holds at each commit is below the commit, so the lag at commit is 0 -> OK
    # (the snapshot path saw a constant lag of 23 and said WARN)
    Case("keeps-up", READ, [(10 * k + 5, 100 * k + 50 - 23) for k in range(1, 30)], 299, "OK"),
    # issue case 2: a member stays but stops committing at 150 s while the log grows -> STOP
    # (the snapshot path took every snapshot of an owned partition as a commit -> STALL)
    Case("member-stops-committing", READ, [(10 * k + 5, 100 * k) for k in range(1, 15)], 299, "STOP"),
    # issue case 3: no member; an admin client re-commits offset 500 every 10 s while lag grows
    # -> STALL (the snapshot path saw one old commit, OK while min-distance merged nothing)
    Case("recommitted-unchanged", READ, [(10 * k + 5, 500) for k in range(5, 30)], 299, "STALL"),
    # issue case 4: a healthy group on its first commit (at the head) -> OK, not STALL/WARN
    Case("first-commit-healthy", READ[:3], [(25, 200)], 29, "OK"),
    # a consumer falling behind: commits advance 60 per 10 s, the log 100 -> WARN
    Case("falling-behind", READ, [(10 * k + 5, 60 * k) for k in range(1, 30)], 299, "WARN"),
    # a rewind to the start that has not recovered -> REWIND
    Case("rewind", READ, [(10 * k + 5, 100 * k) for k in range(1, 25)] + [(255, 0), (265, 10), (275, 20), (285, 30), (295, 40)], 299, "REWIND"),
]
# fmt: on


@pytest.mark.parametrize(
    "config", [BurrowConfig(), BurrowConfig(intervals=10, min_distance_s=1, minimum_complete=1.0)]
)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_issue_cases_give_burrows_verdicts(case: Case, config: BurrowConfig) -> None:
    log_ends, commits = _frames(case.readings, case.commits)
    at = [T0 + dt.timedelta(seconds=case.at)]
    out = partition_status_on_commits(commits, log_ends, at, config)
    assert out["status"].to_list() == [case.status]


def test_min_distance_merges_and_early_commits_are_dropped() -> None:
    log_ends, commits = _frames([(10, 100), (20, 200)], [(5, 50), (11, 100), (11.5, 150), (21, 200)])
    out = partition_status_on_commits(
        commits, log_ends, [T0 + dt.timedelta(seconds=25)], BurrowConfig(min_distance_s=1)
    )
    # the commit at 5 s precedes every reading (dropped); 11.5 s merged into 11 s keeping its time
    assert out.select("commit_lag", "current_lag", "complete").row(0) == (0, 0, 0.2)
    assert out["last_commit"].item() == T0 + dt.timedelta(seconds=21)


def test_group_status_maps_and_expires() -> None:
    parts = pl.DataFrame(
        {
            "ts": [T0, T0, T0 + dt.timedelta(days=8)],
            "group": ["a", "a", "b"],
            "status": ["WARN", "STALL", "OK"],
            "current_lag": [3, 4, 0],
            "complete": [1.0, 0.5, 1.0],
            "last_commit": [T0, T0, T0],
        }
    )
    out = group_status_on_commits(parts)
    assert out.select("group", "status", "totallag", "complete").rows() == [
        ("a", "ERR", 7, 0.5),
        ("b", "NOTFOUND", 0, 1.0),
    ]


def test_commits_from_snapshots_estimates_commit_times() -> None:
    snaps = pl.DataFrame(
        {
            "ts": [T0 + dt.timedelta(seconds=s) for s in (0, 30, 60, 90)],
            "group": "g",
            "topic": "t",
            "partition": 0,
            "committed_offset": [5, 5, 9, None],
        }
    )
    out = commits_from_snapshots(snaps)
    assert out.select("ts", "committed_offset").rows() == [(T0, 5), (T0 + dt.timedelta(seconds=45), 9)]


def test_with_commit_status_replaces_groups_with_commits_only() -> None:
    log_ends, commits = _frames(READ, [(10 * k + 5, 500) for k in range(5, 30)])  # group g: STALL
    at = T0 + dt.timedelta(seconds=299)
    keys = {"ts": [at, at], "group": ["g", "h"], "topic": ["t", "t"], "partition": [0, 0]}
    ps = pl.DataFrame(keys | {"status": ["OK", "WARN"]}).with_columns(pl.col("partition").cast(pl.Int32))
    gs = pl.DataFrame({"ts": [at, at], "group": ["g", "h"], "status": ["OK", "WARN"], "status_code": [1, 2]})
    ps2, gs2 = with_commit_status(ps, gs, commits, log_ends, BurrowConfig())
    assert ps2.select("group", "status", "status_source").rows() == [
        ("g", "STALL", "commits"),
        ("h", "WARN", "snapshots"),
    ]
    assert gs2.select("group", "status", "status_code", "status_source").rows() == [
        ("g", "ERR", 3, "commits"),
        ("h", "WARN", 2, "snapshots"),
    ]


def test_reread_commits_count_once_and_tombstones_are_ignored() -> None:
    """Two passes over the same __consumer_offsets records (two collectors at once, or a crash
    between rows and positions) store the rows twice: one commit per position counts."""
    log_ends, commits = _frames(READ, [(10 * k + 5, 100 * k) for k in range(1, 12)])
    commits = commits.with_columns(
        offsets_partition=pl.lit(7, pl.Int32), offsets_offset=pl.int_range(pl.len(), dtype=pl.Int64)
    )
    tomb = commits.tail(1).with_columns(committed_offset=None, offsets_offset=pl.lit(99, pl.Int64))
    doubled = pl.concat([commits, commits, tomb])
    at = [T0 + dt.timedelta(seconds=125)]
    once = partition_status_on_commits(commits, log_ends, at, BurrowConfig(intervals=20))
    twice = partition_status_on_commits(doubled, log_ends, at, BurrowConfig(intervals=20))
    assert once.equals(twice) and once["complete"].item() == 11 / 20
