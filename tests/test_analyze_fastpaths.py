"""The fast paths of the lag analysis (sorted input, packed integer group keys, as-of merges, numpy
bins on a snapshot grid) give exactly what the general paths give: shuffled input, string-keyed
group-bys, binary searches."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.analyze import (
    BurrowConfig,
    analyze_lag,
    group_lag,
    group_status,
    member_lag,
    partition_lag,
    partition_status,
    time_lag,
    topic_lag,
)
from workbench.analyze._groupby import grouping as grouping_module
from workbench.analyze._groupby.grid import Agg, aggregate, grid_bins
from workbench.analyze._groupby.grouping import dense_ids
from workbench.analyze.burrow import status as status_module
from workbench.analyze.lag import is_sorted_by
from workbench.analyze.lag.analysis import _group_topic_table
from workbench.analyze.lag.timelag import _last_at_or_before

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def history(
    seed: int, groups: int = 3, partitions: int = 4, snapshots: int = 60, grid: bool = False
) -> pl.DataFrame:
    """Groups reading two topics (shared by groups), with missing commits and log ends, stops,
    rewinds and unowned partitions. ``grid``: every partition of a group is sampled at the group's
    snapshot times (as the collector does; groups on their own clocks, topic b of group g has g
    more partitions); otherwise each partition has its own jittered times."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(groups):
        times = [
            T0 + dt.timedelta(seconds=30 * i + 7 * g + int(rng.integers(0, 3))) for i in range(snapshots)
        ]
        for topic in ("a", "b"):
            for p in range(partitions + (g if grid and topic == "b" else 0)):
                end = int(rng.integers(0, 1000))
                committed = end
                for i in range(snapshots):
                    end += int(rng.poisson(20)) if rng.random() > 0.1 else 0
                    if rng.random() > 0.2:
                        committed = min(end, committed + int(rng.poisson(19)))
                    if rng.random() < 0.02:
                        committed -= int(rng.integers(0, 50))
                    jittered = T0 + dt.timedelta(seconds=30 * i + int(rng.integers(0, 3)))
                    rows.append(
                        {
                            "ts": times[i] if grid else jittered,
                            "cluster": "c",
                            "group": f"g{g}",
                            "topic": topic,
                            "partition": p,
                            "committed_offset": None if rng.random() < 0.05 else committed,
                            "log_start_offset": 0,
                            "log_end_offset": None if rng.random() < 0.02 else end,
                            "member_id": None if rng.random() < 0.08 else f"m{(p + g) % 3}",
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
    monkeypatch.setattr(grouping_module, "_packed_key", lambda *args, **kwargs: None)  # general path
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


@pytest.mark.parametrize("piece_rows", [1 << 20, 7, 100])
def test_in_order_time_lag_equals_the_general_path(piece_rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # every log end known and rows in history order: the numpy fast path (in pieces of whole
    # partitions) must give what the as-of search path gives, to the bit
    from workbench.analyze.lag import timelag as timelag_module

    frame = history(7, groups=1).with_columns(pl.col("log_end_offset").forward_fill().fill_null(0))
    frame = frame.with_columns(  # truncations start new segments; a log start ahead of commits
        log_end_offset=pl.when(pl.int_range(pl.len()) % 97 == 50).then(0).otherwise("log_end_offset"),
        log_start_offset=pl.when(pl.col("partition") == 1).then(pl.col("log_end_offset") // 2).otherwise(0),
    )
    parts = partition_lag(frame)
    monkeypatch.setattr(timelag_module, "_PIECE_ROWS", piece_rows)
    fast = timelag_module._time_lag_in_order(parts, ["cluster", "topic", "partition"])
    assert fast is not None
    empty = parts.select("cluster", "ts", "topic", "partition", "log_end_offset").clear()
    general = time_lag(parts, empty)  # a (empty) log-end history forces the general path
    assert_frame_equal(fast, general)
    assert set(fast["time_lag_method"]) >= {"zero", "interpolated", "no_commit"}
    assert len(timelag_module._pieces(np.array([0, 3, 9, 10]), 12, 4)) == 3


# --- aggregates on a snapshot grid (numpy bins) ---------------------------------------------


def _aggregates(parts: pl.DataFrame, ps: pl.DataFrame) -> list[pl.DataFrame]:
    return [
        group_lag(parts),
        topic_lag(parts),
        topic_lag(parts, by_group=True),
        member_lag(parts),
        group_status(ps),
    ]


@pytest.mark.parametrize(("seed", "owners"), [(0, "churn"), (1, "churn"), (2, "stable"), (3, "rebalance")])
def test_grid_aggregates_equal_the_hash_group_by(
    seed: int, owners: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = history(seed, snapshots=50, grid=True)
    if owners != "churn":  # each partition keeps its owner (for a while: rebalance at snapshot 20)
        moved = pl.col("ts") >= pl.col("ts").unique().sort().get(20) if owners == "rebalance" else False
        member = pl.format("m{}", (pl.col("partition") + pl.when(moved).then(1).otherwise(0)) % 3)
        frame = frame.with_columns(member_id=pl.when(pl.col("partition") == 3).then(None).otherwise(member))
    parts = time_lag(partition_lag(frame))
    ps = partition_status(frame, BurrowConfig())
    keys, pkeys = ["cluster", "group"], ["topic", "partition"]
    assert grid_bins(parts, keys, pkeys) is not None  # the grid path is the one under test
    on_grid = _aggregates(parts, ps)
    calls = []
    monkeypatch.setattr(grouping_module, "grid_bins", lambda *a, **k: calls.append(1))  # packed key
    packed = _aggregates(parts, ps)
    assert calls
    monkeypatch.setattr(grouping_module, "_packed_key", lambda *a, **k: None)  # string group-by
    monkeypatch.setattr(status_module, "_group_status_fast", lambda *a, **k: None)
    plain = _aggregates(parts, ps)
    for grid, pk, pln in zip(on_grid, packed, plain, strict=True):
        assert_frame_equal(grid, pk, check_exact=False, rel_tol=1e-12)
        assert_frame_equal(grid, pln, check_exact=False, rel_tol=1e-12)
    assert on_grid[3]["member_id"].null_count() > 0  # unowned partitions form their own row
    bins = grid_bins(parts, keys, pkeys, dense_ids(parts, ["member_id"], nulls_last=True))
    stretches = sum(len(b.stretches) for b in bins.blocks) if bins else None
    assert stretches == {"churn": stretches, "stable": 3, "rebalance": 6}[owners]


def test_analysis_on_a_grid_equals_the_analysis_off_it(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = history(4, snapshots=50, grid=True)
    a = analyze_lag(frame)
    monkeypatch.setattr(grouping_module, "grid_bins", lambda *a, **k: None)
    b = analyze_lag(frame)
    for name in ("groups", "members", "topics", "group_status"):
        assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=False, rel_tol=1e-12)


def _snapshot(i: int) -> pl.Expr:
    return pl.col("ts").unique().sort().get(i)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda f: f.filter(~((pl.col("partition") == 1) & (pl.col("ts") == _snapshot(20)))), "gap in a run"),
        (lambda f: f.with_columns(ts=pl.col("ts") + pl.duration(seconds=pl.col("partition"))), "own clocks"),
        (lambda f: f.sort("ts"), "not sorted"),
        (lambda f: pl.concat([f, f.tail(1)]), "duplicate row"),
    ],
)
def test_histories_off_the_grid_are_recognised(change, why: str) -> None:  # type: ignore[no-untyped-def]
    frame = history(0, groups=1, snapshots=50, grid=True).sort("cluster", "group", "topic", "partition", "ts")
    assert grid_bins(frame, ["cluster", "group"], ["topic", "partition"]) is not None
    assert grid_bins(change(frame), ["cluster", "group"], ["topic", "partition"]) is None, why


def ragged(frame: pl.DataFrame) -> pl.DataFrame:
    """Group g1's topic b gains partition 9 at snapshot 30 (as when a topic gains partitions), and
    group g0's partition 2 of topic a is last seen at snapshot 40."""
    added = frame.filter((pl.col("group") == "g1") & (pl.col("topic") == "b") & (pl.col("partition") == 0))
    added = added.filter(pl.col("ts") >= _snapshot(30)).with_columns(partition=pl.lit(9, pl.Int32))
    gone = (pl.col("group") == "g0") & (pl.col("topic") == "a") & (pl.col("partition") == 2)
    out = pl.concat([frame.filter(~gone | (pl.col("ts") <= _snapshot(40).over("group"))), added])
    return out.sort("cluster", "group", "topic", "partition", "ts")


def test_ragged_groups_stay_on_the_grid_and_equal_the_hash_group_by(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = ragged(history(6, snapshots=50, grid=True))
    parts = time_lag(partition_lag(frame))
    ps = partition_status(frame, BurrowConfig())
    bins = grid_bins(parts, ["cluster", "group"], ["topic", "partition"])
    assert bins is not None and sum(b.place is not None for b in bins.blocks) == 2  # g0, g1 ragged
    on_grid = _aggregates(parts, ps)
    monkeypatch.setattr(grouping_module, "grid_bins", lambda *a, **k: None)
    packed = _aggregates(parts, ps)
    for grid, pk in zip(on_grid, packed, strict=True):
        assert_frame_equal(grid, pk, check_exact=False, rel_tol=1e-12)
    g1 = on_grid[0].filter(pl.col("group") == "g1")  # group_lag: the added partition counts
    assert g1["partitions"].max() == g1["partitions"].min() + 1


def test_aggregate_follows_polars_types_and_null_rules() -> None:
    frame = pl.DataFrame(
        {
            "g": ["a"] * 4 + ["b"] * 4,
            "topic": ["t"] * 8,
            "partition": [0, 0, 1, 1] * 2,
            "ts": [T0, T0 + dt.timedelta(seconds=1)] * 4,
            "x": [1, None, 3, None, None, None, None, None],
            "f": [0.5, 1.5, float("nan"), 2.0, None, None, 1.0, None],
            "b": [True, None, False, None, None, None, None, None],
        },
        schema_overrides={"x": pl.Int32},
    )
    aggs = [
        Agg("n", "len"),
        Agg("xc", "count", pl.col("x")),
        Agg("xs", "sum", pl.col("x")),
        Agg("xm", "max", pl.col("x")),
        Agg("fs", "sum", pl.col("f")),
        Agg("fm", "max", pl.col("f")),
        Agg("ba", "any", pl.col("b")),
        Agg("bm", "mean", pl.col("b"), pl.Float32()),
        Agg("bs", "sum", pl.col("x") > 0, pl.Int64()),
    ]
    bins = grid_bins(frame, ["g"], ["topic", "partition"])
    assert bins is not None
    got = aggregate(frame, bins, aggs)
    want = frame.group_by("g", "ts", maintain_order=True).agg(a.polars() for a in aggs).drop("g", "ts")
    assert got is not None
    assert_frame_equal(got, want)
    assert aggregate(frame, bins, [Agg("u", "n_unique", pl.col("x"))]) is None  # no grid form


@pytest.mark.parametrize("one_to_one", [True, False])
def test_topic_lag_of_the_analysis_equals_topic_lag(one_to_one: bool) -> None:
    # one topic per group, read by no other group: the analysis derives the topic rows from the
    # group rows; topics shared by groups: it aggregates them
    frame = history(5, grid=True)
    if one_to_one:
        frame = frame.filter(pl.col("topic") == "a").with_columns(topic=pl.format("t-{}", "group"))
    analysis = analyze_lag(frame)
    assert_frame_equal(analysis.topics, topic_lag(analysis.partitions), check_exact=False, rel_tol=1e-12)
    assert (_group_topic_table(analysis.partitions) is not None) is one_to_one
