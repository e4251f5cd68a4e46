"""The lag-trend figures reduced piece by piece (analyze.lag.summary) equal those of the whole-window
analysis, on the sample and on a mid-size simulated history of 1-minute snapshots; figures from
rollups equal those from raw snapshots within the stated bounds."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.analyze import capacity as cap
from workbench.analyze import lag as lf
from workbench.analyze import lag as lw
from workbench.analyze.burrow import BurrowConfig
from workbench.analyze.capacity import sizing as sz
from workbench.analyze.lag import LagLevels, LagSummary, summarize_pieces, summary_findings
from workbench.frames.capacity import load_capacity_frames
from workbench.frames.lag import load_lag_pieces, load_lag_window
from workbench.frames.rollups import pick_resolution, rebuild_rollups
from workbench.simulate import simulate

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
CONFIG = BurrowConfig()
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days of 1-minute snapshots of the sample-scale cluster (about 700,000 offsets rows)."""
    root = tmp_path_factory.mktemp("mid")
    simulate(root, cluster="mid", days=2, interval="1m", scale="sample")
    return root


def summarize_history(
    data: Path, cluster: str | None, since: str, rows_per_piece: int = 1_000_000, resolution: str = "auto"
) -> LagSummary:
    src = load_lag_pieces(
        data, cluster, since, None, None, None, CONFIG.intervals, resolution, rows_per_piece
    )
    return summarize_pieces(
        src.pieces,
        CONFIG,
        LagLevels(),
        src.span,
        src.shown_from,
        log_ends=src.log_ends,
        commits=src.commits,
        history=src.history,
        source=src.source,
    )


def whole_window(data: Path, cluster: str | None, since: str) -> lw.LagWindow:
    offsets, log_ends, shown_from = load_lag_window(data, cluster, since, None, None, None, CONFIG.intervals)
    return lw.analyze_window(offsets, log_ends, shown_from, CONFIG)


def bucketed(frame: pl.DataFrame, step_s: int, keys: list[str], agg: pl.Expr) -> pl.DataFrame:
    return frame.with_columns(ts=pl.col("ts").dt.truncate(f"{step_s}s")).group_by("ts", *keys).agg(agg)


def assert_same_figures(summary: LagSummary, window: lw.LagWindow, split: bool = False) -> None:
    """Every figure of the summary against the whole-window analysis of the same window
    (``split``: groups were analysed in chunks of partitions, so sums may differ in the last bits)."""
    analysis = window.analysis
    incidents = lw.summarize_window(analysis)
    assert_frame_equal(summary.incidents, incidents, rel_tol=1e-9 if split else 0)
    facts = lf.window_facts(analysis, incidents, LagLevels())
    assert summary.facts.detail == facts.detail
    assert summary.facts.lost == facts.lost
    assert_frame_equal(summary.facts.runs, facts.runs)
    assert_frame_equal(summary.facts.spells, facts.spells)
    assert_frame_equal(summary.facts.peaks, facts.peaks)
    assert summary.facts.pending == facts.pending
    skew = lf.partition_skew_frame(analysis, incidents)
    assert_frame_equal(summary.skew, skew, check_column_order=False, check_dtypes=False, rel_tol=1e-9)
    step, order = summary.step_s, ["ts"]
    produce = bucketed(analysis.topics, step, ["topic"], pl.col("produce_rate").mean())
    assert_frame_equal(
        summary.produce.drop("snapshots").sort("topic", *order),
        produce.sort("topic", *order),
        check_column_order=False,
        rel_tol=1e-9,
    )
    series = lf.group_lag_series(analysis, incidents["group"].to_list())
    lag = bucketed(series, step, ["group"], pl.col("lag").max())
    assert_frame_equal(
        summary.groups.drop("time_lag_min").sort("group", "ts"),
        lag.sort("group", "ts"),
        check_column_order=False,
    )
    consume = bucketed(lf.consume_by_topic(analysis), step, ["topic", "group"], pl.col("consume_rate").mean())
    assert_frame_equal(
        summary.consume.drop("snapshots").sort("topic", "group", "ts"),
        consume.sort("topic", "group", "ts"),
        check_column_order=False,
        rel_tol=1e-9,
    )
    assert summary.facts.first_evaluated == lw.evaluated_start(analysis)
    assert summary.window["ts"].n_unique() == window.offsets["ts"].n_unique()
    levels = LagLevels()
    assert summary_findings(summary, levels, 5) == lf.headline_findings(analysis, incidents, levels, 5)


# one piece; pieces splitting reading sets; groups split into chunks of a few partitions
@pytest.mark.parametrize("rows_per_piece", [10**9, 40_000, 8_000])
def test_summary_of_the_sample_equals_the_whole_window_analysis(rows_per_piece: int) -> None:
    window = whole_window(SAMPLE, None, "7d")
    summary = summarize_history(SAMPLE, None, "7d", rows_per_piece, "raw")
    assert summary.source == "Computed from raw snapshots."
    assert_same_figures(summary, window, split=rows_per_piece < 10_000)


@pytest.mark.parametrize("rows_per_piece", [100_000, 15_000])  # whole groups; groups in chunks
def test_summary_of_a_mid_size_history_equals_the_whole_window_analysis(
    mid: Path, rows_per_piece: int
) -> None:
    window = whole_window(mid, "mid", "1d")
    summary = summarize_history(mid, "mid", "1d", rows_per_piece, "auto")
    assert summary.source.startswith("Computed from raw snapshots (window 1 days")
    assert_same_figures(summary, window, split=rows_per_piece < 20_000)
    assert summary.groups.height <= summary.incidents.height * 400  # groups x buckets, not snapshots


def test_figures_from_rollups_equal_raw_within_bounds(mid: Path, tmp_path: Path) -> None:
    """From 5-minute rollups (the last snapshot of every 5 minutes): the newest snapshot's lag is
    the same; time lag within the rollup interval where it lies inside the loaded history (an
    older position is extrapolated from the history's first point, which differs with the warm-up:
    10 snapshots are 10 minutes raw, 50 from rollups); the mean produce rate per 30-minute bucket
    within 0.1 % (the 5-minute deltas cover the same span as the 1-minute ones)."""
    data = tmp_path / "data"
    shutil.copytree(mid, data)
    assert pick_resolution(data, "mid", "1d", None, "5m").name == "raw"  # not rolled up yet
    rebuild_rollups(data, "mid")
    raw = summarize_history(data, "mid", "1d", resolution="raw")
    rolled = summarize_history(data, "mid", "1d", resolution="5m")
    assert rolled.source == "Computed from 5-minute rollups."
    both = raw.incidents.join(rolled.incidents, on="group", suffix="_5m")
    assert both.height == raw.incidents.height
    assert (both["as_of"] == both["as_of_5m"]).all()
    assert (both["totallag"] == both["totallag_5m"]).all()
    inside = both.filter(pl.col("max_time_lag_s") < 6 * 3600)
    assert inside.height >= both.height - 3
    gap = (inside["max_time_lag_s"] - inside["max_time_lag_s_5m"]).abs().drop_nulls()
    assert gap.max() <= 300  # type: ignore[operator]
    produce = raw.produce.join(rolled.produce, on=["ts", "topic"], suffix="_5m").filter(
        pl.col("ts") > pl.col("ts").min()
    )
    ratio = (produce["produce_rate_5m"] - produce["produce_rate"]).abs() / produce["produce_rate"].abs().clip(
        1e-9
    )
    assert produce.height > 0 and ratio.max() <= 1e-3  # type: ignore[operator]


def test_capacity_from_rollups_equals_raw_within_bounds(mid: Path, tmp_path: Path) -> None:
    """Capacity over the whole history from 5-minute rollups: mean byte rates within 1 % (message
    rates the same, sizes matched to raw snapshots at the log-dir times), p99 rates within 5 %
    (5-minute means smooth 1-minute peaks), a group's max consume rate at most the raw one and
    within 25 % (a 5-minute mean of a 1-minute burst); members and consumer states the same."""
    data = tmp_path / "data"
    shutil.copytree(mid, data)
    rebuild_rollups(data, "mid")
    params = cap.CapacityParams(sz.PartitionCapacity(5e6, 5e4, "given"))
    plans = {}
    for res in ("raw", "5m"):
        frames = load_capacity_frames(data, "mid", None, res)
        assert frames.source.startswith(f"Computed from {'raw snapshots' if res == 'raw' else '5-minute'}")
        plans[res] = cap.plan_capacity(cap.capacity_inputs(frames), params)
    topics = (
        plans["raw"]
        .topics.join(plans["5m"].topics, on="topic", suffix="_5m")
        .filter(pl.col("mean_bytes_per_s") > 0)
    )
    assert topics.height == plans["raw"].topics.filter(pl.col("mean_bytes_per_s") > 0).height > 10
    for col, bound in (("mean_bytes_per_s", 0.01), ("p99_bytes_per_s", 0.05)):
        gap = ((topics[f"{col}_5m"] - topics[col]).abs() / topics[col]).max()
        assert gap <= bound, col  # type: ignore[operator]
    groups = plans["raw"].consumers.join(plans["5m"].consumers, on=["group", "topic"], suffix="_5m")
    assert groups.height == plans["raw"].consumers.height
    assert (groups["members"] == groups["members_5m"]).all()
    assert (groups["state"] == groups["state_5m"]).all()
    ratio = groups["max_msg_per_s_5m"] / groups["max_msg_per_s"]
    assert ratio.max() <= 1.0 + 1e-9 and ratio.min() >= 0.75  # type: ignore[operator]


def test_pieces_analysed_side_by_side_give_the_figures_of_one(
    mid: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.analyze.lag import summary as sm

    monkeypatch.setattr(sm, "WORKERS", 1)
    one = summarize_history(mid, "mid", "1d", rows_per_piece=20_000)  # split groups, many pieces
    monkeypatch.setattr(sm, "WORKERS", 2)
    two = summarize_history(mid, "mid", "1d", rows_per_piece=20_000)
    for name in ("incidents", "status", "groups", "produce", "consume", "skew", "window"):
        assert_frame_equal(getattr(two, name), getattr(one, name))
    assert two.facts.detail == one.facts.detail and two.step_s == one.step_s
    assert_frame_equal(two.facts.runs, one.facts.runs)
    assert_frame_equal(two.facts.peaks, one.facts.peaks)
