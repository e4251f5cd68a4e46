"""Percentile math against numpy and the hdrhistogram package; merging; comparison; sweep curve."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest
from hdrh.histogram import HdrHistogram

from workbench import hdr
from workbench.analyze.latency import percentiles as la
from workbench.schema import conform

#: One bucket at 3 significant digits is < 0.1 % wide; neighbouring samples may differ a bit more.
REL = 2e-3


@pytest.mark.parametrize(
    "values",
    [
        np.arange(1, 10_001, dtype=float),  # uniform 1..10000 µs: exact ranks
        np.random.default_rng(1).lognormal(7, 1, 100_000),  # heavy tail
        np.random.default_rng(2).exponential(2_000, 20_000) + 100,
        np.array([5.0] * 1999 + [1_000_000.0]),  # one outlier: only p99.99 reaches it
    ],
    ids=["uniform", "lognormal", "exponential", "outlier"],
)
def test_percentiles_agree_with_numpy_and_hdrhistogram(values: np.ndarray) -> None:
    hist = hdr.from_values(values)
    ours = hdr.values_at_percentiles(hist, list(la.PERCENTILES.values()))
    for p, got in zip(la.PERCENTILES.values(), ours, strict=True):
        assert got == hist.get_value_at_percentile(p)  # the package's own definition, exactly
        exact = la.exact_percentile(np.rint(values), p)  # numpy inverted_cdf on the samples
        assert got == pytest.approx(exact, rel=REL, abs=1), p


def test_summary_in_ms_and_ordered() -> None:
    stats = hdr.summarize(hdr.from_values([1000, 2000, 3000, 4000]))  # µs
    assert stats["count"] == 4
    assert stats["p50_ms"] == pytest.approx(2.0, rel=REL)
    assert stats["max_ms"] == pytest.approx(4.0, rel=REL)
    assert stats["mean_ms"] == pytest.approx(2.5, rel=REL)
    assert hdr.summarize(hdr.new_histogram())["count"] == 0


def test_encode_decode_round_trip_and_bad_text() -> None:
    hist = hdr.from_values([10, 20, 30])
    back = hdr.decode(hdr.encode(hist))
    assert back.get_total_count() == 3 and back.get_max_value() == hist.get_max_value()
    with pytest.raises(ValueError, match="HdrHistogram"):
        hdr.decode("not-a-histogram")


def test_merge_is_the_histogram_of_all_values_not_an_average() -> None:
    a = np.full(900, 1000.0)  # 900 fast samples
    b = np.full(100, 50_000.0)  # 100 slow ones
    merged = hdr.merge([hdr.encode(hdr.from_values(a)), None, hdr.encode(hdr.from_values(b))])
    whole = hdr.from_values(np.concatenate([a, b]))
    assert merged.get_total_count() == 1000
    for p in (50, 90, 95, 99):
        assert merged.get_value_at_percentile(p) == whole.get_value_at_percentile(p)
    # the average of the two p99s (~25.5 ms) is not the p99 of the whole (50 ms)
    assert hdr.summarize(merged)["p99_ms"] == pytest.approx(50.0, rel=REL)


def test_foreign_histogram_layout_is_converted() -> None:
    java_like = HdrHistogram(1, 60_000_000, 5)  # OMB's layout
    java_like.record_value(1234, 10)
    merged = hdr.merge([java_like.encode().decode()])
    assert merged.get_total_count() == 10
    assert hdr.summarize(merged)["p50_ms"] == pytest.approx(1.234, rel=REL)


T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _run(
    run_id: str, label: str, minute: int, values: np.ndarray, sweep: dict | None = None
) -> tuple[dict, list]:
    rows = []
    for sec, part in enumerate(np.array_split(values, 4)):
        t = T0 + dt.timedelta(minutes=minute, seconds=sec)
        hist = hdr.from_values(part)
        rows.append({
            "ts": t, "end": t + dt.timedelta(seconds=1), "cluster": "c", "run_id": run_id, "phase": "steady",
            "cumulative": False, "latency": "send_to_ack", "records": len(part), "bytes": 100 * len(part),
            "errors": 0, **hdr.summarize(hist), "histogram": hdr.encode(hist),
        })  # fmt: skip
    run = {"ts": T0 + dt.timedelta(minutes=minute), "cluster": "c", "run_id": run_id, "kind": "producer",
           "label": label, "source": "test", "sweep": json.dumps(sweep) if sweep else None}  # fmt: skip
    return run, rows


def _frames(*specs: tuple[dict, list]) -> tuple[pl.DataFrame, pl.DataFrame]:
    runs = conform(pl.DataFrame([s[0] for s in specs]), "bench_runs")
    intervals = conform(pl.DataFrame([r for s in specs for r in s[1]]), "bench_intervals")
    return runs, intervals


def test_run_summary_merges_intervals() -> None:
    values = np.random.default_rng(3).lognormal(8, 0.5, 4000)
    runs, intervals = _frames(_run("r1", "a", 0, values))
    s = la.run_summary(runs, intervals).row(0, named=True)
    assert s["records"] == 4000 and s["records_per_s"] == pytest.approx(1000.0)
    assert s["p99_ms"] * 1000 == pytest.approx(la.exact_percentile(np.rint(values), 99), rel=REL)
    assert s["p50_ms"] <= s["p99_ms"] <= s["max_ms"]


@pytest.mark.parametrize(
    ("scale", "baseline", "threshold", "expect"),
    [
        # scenario: same latency -> nothing flagged
        (1.0, None, 10.0, set()),
        # scenario: rerun 30 % slower -> every latency metric flagged (throughput equal)
        (1.3, None, 10.0, {"mean_ms", "p50_ms", "p99_ms", "p999_ms", "max_ms"}),
        # scenario: 30 % slower but the threshold is 50 % -> nothing flagged
        (1.3, None, 50.0, set()),
        # scenario: rerun faster -> no regression (improvements are not flagged)
        (0.7, None, 10.0, set()),
        # scenario: explicit baseline_run
        (1.3, "r1", 10.0, {"mean_ms", "p50_ms", "p99_ms", "p999_ms", "max_ms"}),
    ],
)
def test_compare_runs(scale: float, baseline: str | None, threshold: float, expect: set[str]) -> None:
    values = np.random.default_rng(4).lognormal(8, 0.5, 4000)
    runs, intervals = _frames(_run("r1", "a", 0, values), _run("r2", "a", 5, values * scale))
    comp = la.compare_runs(la.run_summary(runs, intervals), baseline, threshold)
    assert set(comp["run_id"]) == {"r2"} and set(comp["baseline_run_id"]) == {"r1"}
    assert set(comp.filter(pl.col("regression"))["metric"]) == expect
    p99 = comp.filter(pl.col("metric") == "p99_ms").row(0, named=True)
    assert p99["diff_pct"] == pytest.approx(100 * (scale - 1), abs=1.0)


def test_compare_runs_unknown_baseline() -> None:
    runs, intervals = _frames(_run("r1", "a", 0, np.ones(10) * 100))
    with pytest.raises(KeyError):
        la.compare_runs(la.run_summary(runs, intervals), "nope")


def test_sweep_curve_and_distribution() -> None:
    rng = np.random.default_rng(5)
    specs = [
        _run(f"s{i}", f"linger.ms={lg}", i, rng.lognormal(7 + i, 0.4, 2000), {"linger.ms": str(lg)})
        for i, lg in enumerate((0, 5, 20))
    ]
    runs, intervals = _frames(*specs, _run("x", "no sweep", 9, rng.lognormal(7, 0.4, 100)))
    curve = la.sweep_curve(la.run_summary(runs, intervals))
    assert curve["linger.ms"].to_list() == ["0", "5", "20"]
    assert curve["p99_ms"].is_sorted()
    dist = la.distribution(runs, intervals)
    for _, part in dist.group_by("run_id"):
        assert part["value_ms"].is_sorted() and part["percentile"].max() == 100.0
    series = la.interval_series(runs, intervals)
    assert series.height == 16 and (series["records_per_s"] > 0).all()
