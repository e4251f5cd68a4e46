"""The histogram contract (workbench.hdr): vectorized recording equals HdrHistogram's own, and
unit conversion stays within the 0.1 % the module promises against exact sorted samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram

from workbench import hdr
from workbench.importers.hlog import read_hlog


def test_record_many_equals_record_value() -> None:
    values = np.random.default_rng(1).lognormal(7, 2, 50_000)
    one_by_one = hdr.new_histogram()
    for v in np.clip(np.rint(values), hdr.LOWEST_US, hdr.HIGHEST_US).astype(int).tolist():
        one_by_one.record_value(v)
    assert hdr.encode(hdr.from_values(values)) == hdr.encode(one_by_one)


@pytest.mark.parametrize(
    ("lowest", "highest", "digits", "log_median", "sigma", "n"),
    [
        (hdr.LOWEST_US, hdr.HIGHEST_US, 3, 7.0, 2.0, 20_000),  # the workbench's own layout
        (hdr.LOWEST_US, hdr.HIGHEST_US, 3, 1.0, 0.5, 50),  # a few values in the first bucket
        (1000, 3_600_000_000_000, 2, 17.0, 1.5, 5_000),  # an imported ns layout (unit magnitude 9)
        (1, 3_600_000, 4, 4.0, 3.0, 5_000),  # ms, 4 digits, values clamped at the top
        (hdr.LOWEST_US, hdr.HIGHEST_US, 3, 0.0, 0.0, 0),  # empty: 0.0 like hdrh
    ],
)
def test_mean_value_equals_hdrh_exactly(lowest, highest, digits, log_median, sigma, n) -> None:
    hist = HdrHistogram(lowest, highest, digits)
    values = np.random.default_rng(n).lognormal(log_median, sigma, n)
    for v in np.clip(np.rint(values), lowest, highest).astype(int).tolist():
        hist.record_value(v)
    assert hdr.mean_value(hist) == hist.get_mean_value()


def _nearest_rank(sorted_values: np.ndarray, pct: float) -> float:
    return float(sorted_values[max(1, math.ceil(pct * len(sorted_values) / 100 - 1e-9)) - 1])


def _hlog_of(hist: HdrHistogram) -> str:
    return f"#[StartTime: 1772366400.000 (seconds since epoch)]\n0.000,60.000,0,{hdr.encode(hist)}\n"


@pytest.mark.parametrize(
    ("unit", "to_ms", "median", "highest"),
    [
        ("ns", 1e-6, 20e6, 3_600_000_000_000),  # ns values: bucketed twice, this was 1.75e-3 off
        ("us", 1e-3, 5e3, 3_600_000_000),
        ("ms", 1.0, 50, 3_600_000),  # integer-ms tools (perf-test resolution)
    ],
)
def test_hlog_units_within_one_bucket_of_exact_samples(
    unit: str, to_ms: float, median: float, highest: int
) -> None:
    rng = np.random.default_rng(2)
    samples = np.sort(np.rint(rng.lognormal(math.log(median), 0.8, 100_000)).astype(np.int64))
    source = HdrHistogram(1, highest, 3)  # what the other tool recorded, in its own unit
    for value, count in zip(*np.unique(samples, return_counts=True), strict=True):
        source.record_value(int(value), int(count))
    row = read_hlog(_hlog_of(source), unit, "c").intervals.row(0, named=True)
    assert row["count"] == len(samples)
    for column, pct in hdr.PERCENTILES.items():
        exact = _nearest_rank(samples, pct) * to_ms
        assert row[column] == pytest.approx(exact, rel=1e-3), column
    assert row["max_ms"] == pytest.approx(samples[-1] * to_ms, rel=1e-3)
