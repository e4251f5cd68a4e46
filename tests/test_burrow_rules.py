"""Burrow's partition rules as a table: one commented scenario per row (like caching_test.go).

Each WINDOWS row gives a window (offsets, commit times in s, slot lags; oldest first), the time of
evaluation, the current lag and the broker's log-end ring, then every rule's outcome and the
expected status. Both the scalar reference (``evaluate_window`` + the scalar rules) and the
vectorized expressions (``evaluate_windows``) must agree with the row. HISTORIES rows go end to end
from snapshots (ring building, min-distance merging) through both ``partition_status`` and the
scalar reference. A random-history test cross-checks the two implementations.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import NamedTuple

import polars as pl
import pytest
from factories import offsets

from workbench.analyze import BurrowConfig, group_status, partition_status
from workbench.analyze.burrow.reference import Slot, evaluate_window, reference_partition_status
from workbench.analyze.burrow.rules import (
    lag_never_within_allowed,
    rule1_zero_lag,
    rule2_rewinding,
    rule3_stopped,
    rule4_stalled,
    rule5_lag_not_decreasing,
)
from workbench.analyze.burrow.status import evaluate_windows
from workbench.errors import ConfigError
from workbench.frames import add_lag_columns

S = 1_000_000  # µs per second
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


class Window(NamedTuple):
    name: str
    offsets: list[int]
    times: list[int]  # commit times, s
    lags: list[int | None]
    now: int  # s
    current_lag: int | None
    broker: list[int | None]
    config: BurrowConfig
    # rule outcomes: 1 zero-lag, 3 stopped, 2 rewinding, gate lag-never-ok, 4 stalled, 5 not-decreasing
    rules: tuple[bool, bool, bool, bool, bool, bool]
    status: str


C = BurrowConfig(intervals=5)
TS = [0, 10, 20, 30, 40]  # commit times of most windows, s
HI = [500, 510, 520, 530, 540]  # broker log ends well above every commit: never caught up

WINDOWS = [
    # zero lag: current lag 0 → rule 1 → OK, whatever the window says (it would be WARN).
    Window("zero-lag", [10, 20, 30, 40, 50], TS, [5, 6, 7, 8, 9], 40, 0, HI, C,
           (True, False, False, True, False, True), "OK"),
    # allowed-lag: lag 3 ≤ allowed 5 → rule 1 → OK.
    Window("allowed-lag", [10, 20, 30, 40, 50], TS, [6, 6, 7, 8, 3], 40, 3, HI,
           BurrowConfig(intervals=5, allowed_lag=5), (True, False, False, False, False, False), "OK"),
    # same window, allowed-lag 0: lag never 0 and never decreasing… except 8 → 3 → OK.
    Window("allowed-lag-0", [10, 20, 30, 40, 50], TS, [6, 6, 7, 8, 9], 40, 9, HI, C,
           (False, False, False, True, False, True), "WARN"),
    # stop: last commit 60 s ago > span 40 s; broker never at/below 50 → STOP.
    Window("stop", [10, 20, 30, 40, 50], TS, [5, 5, 5, 5, 5], 100, 90, HI, C,
           (False, True, False, True, False, True), "STOP"),
    # stop boundary: 40 s since the last commit is not > span 40 s → not stopped (lag flat → WARN).
    Window("stop-boundary", [10, 20, 30, 40, 50], TS, [5, 5, 5, 5, 5], 80, 5, HI, C,
           (False, False, False, True, False, True), "WARN"),
    # stop but caught up: a broker reading (50) ≤ last commit 50: an idle topic, not a stop;
    # the slot lags were 0 → gate closed → OK.
    Window("stop-caught-up", [10, 20, 30, 40, 50], TS, [0, 0, 0, 0, 0], 100, 4,
           [50, 50, 50, 54, 54], C, (False, False, False, False, False, True), "OK"),
    # single commit: span 0, any delay → STOP.
    Window("single-commit-stop", [50], [0], [9], 5, 9, [59], C,
           (False, True, False, True, True, True), "STOP"),
    # rewind: 15 < 30 and nothing later reaches 30 again → REWIND.
    Window("rewind", [10, 20, 30, 15, 25], TS, [5, 5, 5, 20, 15], 40, 15, HI, C,
           (False, False, True, True, False, False), "REWIND"),
    # rewind then recovered: 35 ≥ 30 → not rewinding; the lag decreased (20 → 3) → OK.
    Window("rewind-recovered", [10, 20, 30, 15, 35], TS, [5, 5, 4, 20, 3], 40, 3, HI, C,
           (False, False, False, True, False, False), "OK"),
    # only the FIRST decrease counts: 25 < 30 then recovered to 30; the later 12 < 31 is ignored.
    Window("rewind-first-only", [10, 30, 25, 31, 12], TS, [1, 2, 3, 4, 5], 40, 5, HI, C,
           (False, False, False, True, False, True), "WARN"),
    # stop wins over rewind (rule 3 is checked first).
    Window("stop-over-rewind", [10, 20, 30, 15, 25], TS, [5, 5, 5, 20, 15], 100, 15, HI, C,
           (False, True, True, True, False, False), "STOP"),
    # stall: the consumer keeps committing the same offset, lag never 0 → STALL.
    Window("stall", [50, 50, 50, 50, 50], TS, [10, 20, 30, 40, 50], 45, 55, HI, C,
           (False, False, False, True, True, True), "STALL"),
    # stall gated: same offsets but one slot had zero lag → OK.
    Window("stall-but-zero-once", [50, 50, 50, 50, 50], TS, [0, 20, 30, 40, 50], 45, 55,
           HI, C, (False, False, False, False, True, True), "OK"),
    # warn: offsets advance, lag never decreases (10, 10, 12, 15, 20) → WARN.
    Window("warn", [10, 20, 30, 40, 50], TS, [10, 10, 12, 15, 20], 40, 20, HI, C,
           (False, False, False, True, False, True), "WARN"),
    # lag decreasing somewhere (25 → 18) → OK even though it grew overall.
    Window("lag-decreasing", [10, 20, 30, 40, 50], TS, [20, 25, 18, 30, 40], 40, 40, HI, C,
           (False, False, False, True, False, False), "OK"),
    # unknown slot lags are skipped: 10, _, 12, _, 15 never decreases → WARN.
    Window("null-lags", [10, 20, 30, 40, 50], TS, [10, None, 12, None, 15], 40, 15, HI, C,
           (False, False, False, True, False, True), "WARN"),
    # skipping a null must compare 14 with 12, not with the null: 12, _, 11 decreases → OK.
    Window("null-lags-decrease", [10, 20, 30, 40, 50], TS, [10, 12, None, 11, 15], 40, 15,
           HI, C, (False, False, False, True, False, False), "OK"),
    # unknown current lag: rule 1 cannot pass; the window decides (WARN).
    Window("unknown-current-lag", [10, 20, 30, 40, 50], TS, [1, 2, 3, 4, 5], 40, None, HI, C,
           (False, False, False, True, False, True), "WARN"),
    # incomplete: 2 of 5 slots = 0.4 < minimum-complete 0.5 → OK unevaluated (else WARN).
    Window("incomplete-min-complete", [10, 20], [0, 10], [10, 12], 10, 12, HI,
           BurrowConfig(intervals=5, minimum_complete=0.5), (False, False, False, True, False, True), "OK"),
    # the same window with minimum-complete 0.4 is evaluated → WARN.
    Window("complete-enough", [10, 20], [0, 10], [10, 12], 10, 12, HI,
           BurrowConfig(intervals=5, minimum_complete=0.4), (False, False, False, True, False, True), "WARN"),
]  # fmt: skip


@pytest.mark.parametrize("w", WINDOWS, ids=[w.name for w in WINDOWS])
def test_scalar_rules(w: Window) -> None:
    allowed = w.config.allowed_lag
    got = (
        rule1_zero_lag(w.current_lag, allowed),
        rule3_stopped(w.now * S, [t * S for t in w.times], w.offsets[-1], w.broker),
        rule2_rewinding(w.offsets),
        lag_never_within_allowed(w.lags, allowed),
        rule4_stalled(w.offsets),
        rule5_lag_not_decreasing(w.lags),
    )
    assert got == w.rules
    slots = [Slot(o, t * S, lag) for o, t, lag in zip(w.offsets, w.times, w.lags, strict=True)]
    status, complete = evaluate_window(w.now * S, slots, w.current_lag, w.broker, w.config)
    assert status == w.status
    assert complete == len(w.offsets) / w.config.intervals


@pytest.mark.parametrize("w", WINDOWS, ids=[w.name for w in WINDOWS])
def test_vectorized_rules(w: Window) -> None:
    frame = pl.DataFrame(
        {
            "now": [w.now * S],
            "current_lag": [w.current_lag],
            "offsets": [w.offsets],
            "timestamps": [[t * S for t in w.times]],
            "lags": [w.lags],
            "broker": [w.broker],
        },
        schema_overrides={"current_lag": pl.Int64, "lags": pl.List(pl.Int64), "broker": pl.List(pl.Int64)},
    )
    row = evaluate_windows(frame, w.config).row(0, named=True)
    names = ("zero_lag", "stopped", "rewinding", "lag_never_ok", "stalled", "lag_not_decreasing")
    assert tuple(row[n] for n in names) == w.rules
    assert row["status"] == w.status


# --------------------------------------------------------------------------------------------
# End to end: snapshots (t s, committed, log end) → ring → status at every snapshot.


class History(NamedTuple):
    name: str
    snapshots: list[tuple[float, int | None, int | None]]
    config: BurrowConfig
    statuses: list[str]  # expected status at each snapshot


H5 = BurrowConfig(intervals=5)
HISTORIES = [
    # healthy: the consumer keeps up (lag 0 at each snapshot) → OK throughout.
    History("healthy", [(0, 10, 10), (10, 20, 20), (20, 30, 30)], H5, ["OK", "OK", "OK"]),
    # new lagging partition: one slot, all offsets equal, lag never 0 → STALL (Burrow's rules on a
    # one-commit window at its own commit time); then advancing with a decreasing lag → OK.
    History("new-partition", [(0, 10, 20), (10, 20, 25), (20, 30, 32)], H5, ["STALL", "OK", "OK"]),
    # consumer dies: the offset stays 30 while the log grows; slot times stay at 20 s (first seen).
    # 40 s: 20 s since the commit is not > the span 20 s → WARN. 50 s: 30 s > span 10 s, but the
    # broker ring (last 5 log ends) still holds 25 ≤ 30: caught up within the window → WARN.
    # 60 s: the ring is 35..75, all above 30 → STOP.
    History("consumer-stops",
            [(0, 10, 15), (10, 20, 25), (20, 30, 35), (30, 30, 45), (40, 30, 55), (50, 30, 65), (60, 30, 75)],
            H5, ["STALL", "WARN", "WARN", "WARN", "WARN", "WARN", "STOP"]),
    # idle topic: offset frozen but equal to the log end → lag 0 → OK (rule 1).
    History("idle-caught-up", [(0, 10, 10), (10, 20, 20), (20, 20, 20), (100, 20, 20)], H5, ["OK"] * 4),
    # idle topic, one new message arrives at 100 s: lag 1 but a broker reading (20) ≤ commit 20 in
    # the ring → not stopped; slot lags were 0 → OK.
    History("idle-then-message", [(0, 10, 10), (10, 20, 20), (20, 20, 20), (100, 20, 21)], H5, ["OK"] * 4),
    # rewind: the group resets from 300 to 100 → REWIND; it is still below 300 later → REWIND.
    # (Before: one lagging slot → STALL, then lag 10, 10, 10 never decreasing → WARN.)
    History("reset-rewind",
            [(0, 100, 110), (10, 200, 210), (20, 300, 310), (30, 100, 320), (40, 150, 330)],
            H5, ["STALL", "WARN", "WARN", "REWIND", "REWIND"]),
    # a snapshot without a commit keeps the previous window (and its lag from the log end).
    History("missing-commit", [(0, 10, 15), (10, 20, 25), (20, None, 35), (30, 40, 45)], H5,
            ["STALL", "WARN", "WARN", "WARN"]),
    # min-distance 5 s: commits at 10, 12, 14 s merge into the slot of 10 s (older timestamp), so
    # at 14 s the window is [0 s, 10 s] and 4 s since "the last commit" < span 10 s → not stopped.
    History("min-distance-merge", [(0, 10, 15), (10, 20, 25), (12, 22, 27), (14, 24, 30)],
            BurrowConfig(intervals=5, min_distance_s=5), ["STALL", "WARN", "WARN", "WARN"]),
    # without merging, the same history has 4 slots; still WARN (lag 5, 5, 5, 6 never decreases).
    History("no-min-distance", [(0, 10, 15), (10, 20, 25), (12, 22, 27), (14, 24, 30)], H5,
            ["STALL", "WARN", "WARN", "WARN"]),
    # min-distance greedy chaining: 0, 3, 6, 9 s with min-distance 5 → slots at 0 and 6 s (6−0 ≥ 5),
    # 3 and 9 merge. At 9 s the window spans 0..6 s and the offset only grew by merges → 2 slots.
    History("min-distance-chain", [(0, 10, 10), (3, 11, 12), (6, 12, 14), (9, 13, 16)],
            BurrowConfig(intervals=5, min_distance_s=5), ["OK", "STALL", "WARN", "WARN"]),
]  # fmt: skip


def history_frame(snapshots: list[tuple[float, int | None, int | None]], partition: int = 0) -> pl.DataFrame:
    """An offsets frame (with lag columns) for one partition."""
    return add_lag_columns(offsets(snapshots, t0=T0, cluster="c", partition=partition))


@pytest.mark.parametrize("h", HISTORIES, ids=[h.name for h in HISTORIES])
def test_histories(h: History) -> None:
    frame = history_frame(h.snapshots)
    assert partition_status(frame, h.config)["status"].to_list() == h.statuses
    assert reference_partition_status(frame, h.config)["status"].to_list() == h.statuses


def test_min_distance_keeps_older_timestamp() -> None:
    frame = history_frame([(0, 10, 15), (10, 20, 25), (12, 22, 27), (14, 24, 30)])
    out = partition_status(frame, BurrowConfig(intervals=5, min_distance_s=5))
    assert out["window_slots"].to_list() == [1, 2, 2, 2]
    assert out["last_commit_ts"].to_list()[-1] == T0 + dt.timedelta(seconds=10)


def _random_history(rng: random.Random, partition: int, n: int) -> list[tuple[float, int | None, int | None]]:
    t, c, e, out = 0.0, rng.randint(0, 50), rng.randint(50, 80), []
    for _ in range(n):
        t += rng.choice([0.3, 0.5, 1, 2, 5, 10])
        e += rng.choice([0, 0, 1, 3, 10])
        r = rng.random()
        if 0.35 <= r < 0.7:
            c = min(e, c + rng.randint(0, 8))
        elif r < 0.78:
            c = max(0, c - rng.randint(1, 10))  # rewind / reset
        elif r < 0.85:
            c = e  # caught up
        out.append((t, None if rng.random() < 0.1 else c, None if rng.random() < 0.05 else e))
    return out


@pytest.mark.parametrize("seed", range(60))
def test_vectorized_matches_reference_on_random_histories(seed: int) -> None:
    rng = random.Random(seed)
    config = BurrowConfig(
        intervals=rng.choice([1, 2, 3, 5, 10]),
        min_distance_s=rng.choice([0, 0, 0.4, 1, 3]),
        allowed_lag=rng.choice([0, 0, 2, 5]),
        minimum_complete=rng.choice([0, 0, 0.5, 1.0]),
    )
    frame = pl.concat([history_frame(_random_history(rng, p, 40), p) for p in range(3)])
    got = partition_status(frame, config)
    want = reference_partition_status(frame, config)
    assert got["status"].to_list() == want["status"].to_list()
    assert got["complete"].to_list() == pytest.approx(want["complete"].to_list())


def test_group_status_rolls_up_burrow_style() -> None:
    ps = pl.DataFrame(
        {
            "group": ["g"] * 4 + ["h"] * 2,
            "ts": [T0] * 6,
            "topic": ["a", "a", "b", "b", "a", "a"],
            "partition": [0, 1, 0, 1, 0, 1],
            "current_lag": [5, None, 40, 7, 0, 0],
            "complete": [1.0, 0.0, 1.0, 0.4, 1.0, 1.0],
            "status": ["OK", "OK", "STALL", "WARN", "OK", "OK"],
        }
    )
    gs = group_status(ps).sort("group")
    g, h = gs.row(0, named=True), gs.row(1, named=True)
    # STALL → ERR; the null lag neither poisons the sum nor the max
    assert (g["status"], g["totallag"], g["maxlag"], g["maxlag_topic"], g["maxlag_partition"]) == (
        "ERR",
        52,
        40,
        "b",
        0,
    )
    assert (g["complete"], g["partition_count"], g["error_partitions"], g["warn_partitions"]) == (
        0.5,
        4,
        1,
        1,
    )
    assert (h["status"], h["status_code"], h["totallag"], h["complete"]) == ("OK", 1, 0, 1.0)


@pytest.mark.parametrize(
    "kwargs", [{"intervals": 0}, {"min_distance_s": -1}, {"allowed_lag": -1}, {"minimum_complete": 1.5}]
)
def test_config_validation(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        BurrowConfig(**kwargs)  # type: ignore[arg-type]
