"""bench/floor_probe.py's replay of the schedule from the loop's own CPU alone: a record is sent
at its intended time or when the work before it is done, whichever is later (no timing)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import floor_probe

PERIOD = 200  # µs: 5,000 msg/s
N = 12


@pytest.mark.parametrize(
    ("case", "slow_gaps", "expected"),
    [
        ("every gap's work fits in the period: never late", {}, [0] * N),
        (
            "650 µs of work after record 5 makes the next three late, then the loop catches up",
            {5: 650},
            [0] * 6 + [450, 300, 150, 0, 0, 0],
        ),
        ("work exactly one period long is not late", {4: 200}, [0] * N),
        ("two slow gaps in a row add up", {2: 300, 3: 300}, [0] * 3 + [100, 200, 50, 0] + [0] * 5),
    ],
)
def test_replay(case: str, slow_gaps: dict[int, int], expected: list[int]) -> None:
    cost = np.array([slow_gaps.get(gap, 50) for gap in range(N - 1)])
    assert floor_probe.replay(np.arange(N) * PERIOD + 1000, cost).tolist() == expected


def test_own_only_delay_counts_build_steps_and_finds_the_start_from_the_first_wait() -> None:
    ns = 1000
    own = np.full(N - 1, 50 * ns)
    steps = np.zeros(N + 1, np.int64)
    steps[3] = 300 * ns  # a build step in the wait before record 3
    prod = SimpleNamespace(first_target=(2, 10**9 + 2 * PERIOD * ns), step_sum=steps)
    stats = floor_probe.own_only_delay(prod, own, N, PERIOD * ns)
    assert stats["own_only_delay_max_ms"] == pytest.approx(0.150)  # record 3: 50 + 300 - 200 µs
    assert floor_probe.own_only_delay(SimpleNamespace(first_target=(-1, 0)), own, N, PERIOD) == {}
