"""The fast paths of the lag analysis (sorted input, packed integer group keys, as-of merges) give
exactly what the general paths give: shuffled input, string-keyed group-bys, binary searches."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.analyze import (
    BurrowConfig,
    group_lag,
    group_status,
    member_lag,
    partition_lag,
    partition_status,
    time_lag,
    topic_lag,
)
from workbench.analyze import burrow_status as status_module
from workbench.analyze import lag as lag_module
from workbench.analyze.lag import dense_ids, is_sorted_by
from workbench.analyze.timelag import _last_at_or_before

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def history(seed: int, groups: int = 3, partitions: int = 4, snapshots: int = 60) -> pl.DataFrame:
    """Groups reading two topics (shared by groups), with missing commits, stops and rewinds."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(groups):
        for topic in ("a", "b"):
            for p in range(partitions):
                end = int(rng.integers(0, 1000))
                committed = end
                for i in range(snapshots):
                    end += int(rng.poisson(20)) if rng.random() > 0.1 else 0
                    if rng.random() > 0.2:
                        committed = min(end, committed + int(rng.poisson(19)))
                    if rng.random() < 0.02:
                        committed -= int(rng.integers(0, 50))
                    rows.append(
                        {
                            "ts": T0 + dt.timedelta(seconds=30 * i + int(rng.integers(0, 3))),
                            "cluster": "c",
                            "group": f"g{g}",
                            "topic": topic,
                            "partition": p,
                            "committed_offset": None if rng.random() < 0.05 else committed,
                            "log_start_offset": 0,
                            "log_end_offset": None if rng.random() < 0.02 else end,
                            "member_id": None if rng.random() < 0.05 else f"m{p % 3}",
                            "client_id": f"client{p % 3}",
                            "host": "h",
                        }
                    )
    schema = {"partition": pl.Int32, "committed_offset": pl.Int64, "log_end_offset": pl.Int64}
    return pl.DataFrame(rows, schema_overrides=schema)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sorted_and_shuffled_input_give_the_same_analysis(seed: int) -> None:
    frame = history(seed)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
    assert is_sorted_by(frame, ["cluster", "group", "topic", "partition", "ts"])
    assert not is_sorted_by(shuffled, ["cluster", "group", "topic", "partition", "ts"])
    a, b = time_lag(partition_lag(frame)), time_lag(partition_lag(shuffled))
    assert_frame_equal(a, b)
    config = BurrowConfig()
    assert_frame_equal(partition_status(frame, config), partition_status(shuffled, config))


@pytest.mark.parametrize("seed", [0, 1])
def test_packed_group_keys_match_the_string_group_by(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = time_lag(partition_lag(history(seed)))
    ps = partition_status(history(seed), BurrowConfig())
    fast = [group_lag(parts), topic_lag(parts), topic_lag(parts, by_group=True), member_lag(parts)]
    fast_gs = group_status(ps)
    monkeypatch.setattr(lag_module, "_packed_key", lambda *args, **kwargs: None)  # general path
    monkeypatch.setattr(status_module, "_group_status_fast", lambda *args, **kwargs: None)
    slow = [group_lag(parts), topic_lag(parts), topic_lag(parts, by_group=True), member_lag(parts)]
    for f, s in zip(fast, slow, strict=True):
        assert_frame_equal(f, s, check_exact=False, rel_tol=1e-12)
    assert fast[1]["groups"].max() == 3  # topics are shared by the groups
    assert_frame_equal(fast_gs, group_status(ps))


def test_dense_ids_follow_sort_order() -> None:
    frame = pl.DataFrame({"a": ["y", "x", "y", None, "x"], "b": [1, 2, 1, 0, 2]})
    assert dense_ids(frame, ["a", "b"]).to_list() == [2, 1, 2, 0, 1]
    assert dense_ids(frame, ["a", "b"], nulls_last=True).to_list() == [1, 0, 1, 2, 0]


def test_last_at_or_before_merge_equals_binary_search() -> None:
    rng = np.random.default_rng(3)
    keys = pl.Series(np.unique(rng.integers(0, 10_000, 3_000)))
    for q in (
        pl.Series(np.sort(rng.integers(-5, 10_010, 5_000))),
        pl.Series(rng.integers(-5, 10_010, 5_000)),
    ):
        want = keys.search_sorted(q, side="right").cast(pl.Int64) - 1
        assert _last_at_or_before(keys, q).to_list() == want.to_list()


def test_aggregates_are_reproducible_to_the_bit() -> None:
    # topics shared by several groups take the ingress branch of topic_lag; float sums must not
    # depend on a hash group-by's (thread-dependent) order
    parts = time_lag(partition_lag(history(5)))
    for fn in (group_lag, topic_lag, member_lag):
        first = fn(parts)
        assert all(first.equals(fn(parts)) for _ in range(3))
