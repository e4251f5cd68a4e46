"""The latency report's default (``auto``): intended-to-ack for open-loop runs, send-to-ack for
the others; counts a tool did not print stay unknown through the summary and its table."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench import analyze, hdr
from workbench.importers.perf_test import read_e2e_latency
from workbench.schema import conform

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _run(run_id: str, kinds: dict[str, float]) -> tuple[dict, list[dict]]:
    """A run of 1000 records over 10 s with a histogram per latency kind (value in ms)."""
    run = {
        "ts": T0,
        "cluster": "c",
        "run_id": run_id,
        "kind": "producer",
        "label": run_id,
        "source": "workbench",
    }
    rows = [
        {
            "ts": T0, "end": T0 + dt.timedelta(seconds=10), "cluster": "c", "run_id": run_id,
            "phase": "steady", "cumulative": False, "latency": kind, "records": 1000, "bytes": 100_000,
            "errors": 0,
            **hdr.summarize(hist := hdr.from_values([ms * 1000] * 1000)), "histogram": hdr.encode(hist),
        }
        for kind, ms in kinds.items()
    ]  # fmt: skip
    return run, rows


@pytest.mark.parametrize(
    ("kinds", "shown", "p50"),
    [
        (
            {"send_to_ack": 1.0, "schedule_delay": 4.0, "intended_to_ack": 5.0},
            "intended_to_ack",
            5.0,
        ),  # open loop
        ({"send_to_ack": 1.0, "schedule_delay": 0.0}, "send_to_ack", 1.0),  # unthrottled: nothing intended
        ({"end_to_end": 7.0}, "end_to_end", 7.0),  # EndToEndLatency import
    ],
)
def test_auto_picks_per_run(kinds: dict[str, float], shown: str, p50: float) -> None:
    run, rows = _run("r", kinds)
    runs = conform(pl.DataFrame([run]), "bench_runs")
    intervals = conform(pl.DataFrame(rows), "bench_intervals")
    summary = analyze.latency.run_summary(runs, intervals, "auto")
    row = summary.row(0, named=True)
    assert row["latency"] == shown and row["p50_ms"] == pytest.approx(p50, rel=1e-3)
    dist = analyze.latency.distribution(runs, intervals, "auto", "steady")
    assert dist.filter(pl.col("percentile") == 100.0)["value_ms"][0] == pytest.approx(p50, rel=1e-3)
    series = analyze.latency.interval_series(runs, intervals, "auto")
    assert series["p50_ms"].to_list() == [pytest.approx(p50, rel=1e-3)]


def test_unknown_counts_show_unknown_never_zero() -> None:
    text = "Avg latency: 1.2853 ms\nPercentiles: 50th = 1, 99th = 3, 99.9th = 7\n"
    imported = read_e2e_latency(text, "c", T0)
    summary = analyze.latency.run_summary(imported.runs, imported.intervals, "auto")
    assert summary.select("records", "records_per_s", "mb_per_s", "errors").row(0) == (None, None, None, None)
    table = analyze.latency.summary_table(summary).row(0, named=True)
    shown = ("records", "errors", "success %", "records/s", "MiB/s", "target msg/s")
    assert [table[c] for c in shown] == ["unknown"] * len(shown)
    stats = analyze.latency.percentile_table(summary).row(0, named=True)
    assert stats["latency"] == "end-to-end" and stats["p99"] == 3.0
    assert stats["min"] is None  # the tool printed no min: unknown, shown as "unknown"
