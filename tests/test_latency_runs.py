"""The latency report keeps runs apart, charts every latency beside send-to-ack, ranks producer and
consumer runs apart, and shows the Kafka tools' own figures; unknown stays unknown."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench import analyze
from workbench.frames.bench import load_runs
from workbench.importers.perf_test import read_consumer_perf
from workbench.report.notify import LEVELS

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
CONSUMER = """\
start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2023-02-23 11:00:27:431, 2023-02-23 11:00:31:063, 3.2949, 0.9072, 3455, 951.2665, 3557, 75, 43.9326, 46066.6667
"""  # noqa: E501


def test_runs_with_one_label_stay_apart_and_every_latency_is_charted() -> None:
    runs, intervals = load_runs(SAMPLE)
    series = analyze.latency.kinds_series(runs, intervals)
    rerun = series.filter(pl.col("run").str.starts_with("linger.ms=5 acks=all ("))
    assert rerun["run_id"].n_unique() == rerun["run"].n_unique() == 2  # the run and its rerun
    open_loop = series.filter(pl.col("run_id") == "sample-20261118T0902-2")
    assert {"send-to-ack", "schedule-delay", "intended-to-ack"} <= set(open_loop["latency"].to_list())
    throughput = analyze.latency.throughput_series(runs, intervals)
    targets = throughput.group_by("run_id").agg(pl.col("target_per_s").first())
    unthrottled = targets.filter(pl.col("run_id") == "sample-20261118T0930-7")["target_per_s"][0]
    assert unthrottled is None and targets["target_per_s"].drop_nulls().unique().to_list() == [80_000.0]


def test_auto_shows_intended_to_ack_with_min_errors_and_success() -> None:
    runs, intervals = load_runs(SAMPLE)
    summary = analyze.latency.run_summary(runs, intervals, "auto")
    behind = summary.filter(pl.col("run_id") == "sample-20261118T0902-2").row(0, named=True)
    assert behind["latency"] == "intended_to_ack" and behind["p99_ms"] > 9000  # the wait is in it
    assert (summary["min_ms"] <= summary["p50_ms"]).all() and (summary["success_pct"] == 100.0).all()
    findings = analyze.latency.headline(runs, intervals, summary, "auto", None, 10.0)
    assert {level for level, _ in findings} <= set(LEVELS)  # --notify and the findings file count them
    assert any("fell behind its schedule" in s and "intended-to-ack" in s for _, s in findings)


def test_consumer_runs_ranked_apart_mixed_clusters_said_and_printed_figures_shown() -> None:
    runs, intervals = load_runs(SAMPLE)
    imported = read_consumer_perf(CONSUMER, "other")
    runs = pl.concat([runs, imported.runs], how="diagonal_relaxed")
    intervals = pl.concat([intervals, imported.intervals], how="diagonal_relaxed")
    summary = analyze.latency.run_summary(runs, intervals, "auto")
    sentences = [s for _, s in analyze.latency.headline(runs, intervals, summary, "auto", None, 10.0)]
    assert any(s.startswith("Highest producer throughput") for s in sentences)
    assert any(s.startswith("Highest consumer throughput") for s in sentences)
    assert any("come from 2 clusters (other, sample)" in s for s in sentences)
    table = analyze.latency.summary_table(summary)
    assert table["kind"].to_list()[-1] == "consumer"  # producers first, then consumers
    printed = analyze.latency.printed_table(runs).row(0, named=True)
    assert (printed["fetch time (ms)"], printed["fetch MB/s"], printed["fetch msg/s"]) == (
        "75",
        "43.93",
        "46,066.67",
    )
    assert printed["rebalance time (ms)"] == "3,557"
