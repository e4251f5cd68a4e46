"""The capacity plan read in time slices equals the plan of the whole window held in memory."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.analyze import capacity as cap
from workbench.analyze.capacity import rates as cr
from workbench.analyze.capacity import sizing as sz
from workbench.errors import ConfigError
from workbench.frames.capacity import load_capacity_frames
from workbench.frames.slices import window_slices
from workbench.simulate import simulate

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
PARAMS = cap.CapacityParams(sz.PartitionCapacity(5e6, 5e4, "given"))


@pytest.fixture(scope="module")
def mid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days of 1-minute snapshots of the sample-scale cluster."""
    root = tmp_path_factory.mktemp("mid-cap")
    simulate(root, cluster="mid", days=2, interval="1m", scale="sample")
    return root


def _plans(data: Path, cluster: str | None, since: str | None, rows: int) -> tuple[cap.CapacityPlan, ...]:
    """The plan from slices of about ``rows`` offsets rows, and from the same rows in one frame."""
    stored = load_capacity_frames(data, cluster, since, "raw", rows_per_slice=rows)
    inputs = cap.capacity_inputs(stored)
    sliced = cap.plan_capacity(inputs, PARAMS)
    window = stored.partition_offsets
    assert len(window.bounds) > 3  # really read in several slices
    got = list(window.slices())
    po = pl.concat([p for p, _ in got])
    offsets = pl.concat([o for _, pieces in got for o in pieces])
    whole = cap.plan_capacity(dataclasses.replace(inputs, partition_offsets=po, offsets=offsets), PARAMS)
    return sliced, whole, inputs, po


def _same(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert_frame_equal(a, b, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize(
    ("where", "cluster", "since", "rows"),
    [
        ("sample", None, "7d", 5_000),
        pytest.param("mid", "mid", None, 60_000, marks=pytest.mark.slow),
    ],
)
def test_sliced_plan_equals_whole_window(
    where: str, cluster: str | None, since: str | None, rows: int, request: pytest.FixtureRequest
) -> None:
    data = SAMPLE if where == "sample" else request.getfixturevalue("mid")
    sliced, whole, inputs, po = _plans(data, cluster, since, rows)
    assert sliced.topics.height > 3 and sliced.consumers.height > 3 and sliced.brokers.height > 0
    for name in ("topic_rates", "topics", "consumers", "brokers", "skew", "snapshots"):
        _same(getattr(sliced, name), getattr(whole, name))
    assert sliced.cluster == pytest.approx(whole.cluster, rel=1e-9)
    # and the per-topic series equal the former whole-window functions'
    part = cr.partition_ingress(po.sort("ts", "topic", "partition"), inputs.log_dirs, inputs.size_marks)
    former = cr.topic_ingress(part).sort("topic", "ts")
    _same(sliced.topic_rates.select(former.columns), former.select(sliced.topic_rates.columns))


def test_slices_cover_the_window_once() -> None:
    window = window_slices(SAMPLE, None, "7d", rows_per_slice=3_000)
    got = list(window.slices())
    bounds = window.bounds
    assert len(bounds) == len(got) > 3
    assert all(a < b for a, b in bounds) and all(
        bounds[i][1] == bounds[i + 1][0] for i in range(len(bounds) - 1)
    )
    po = pl.concat([p for p, _ in got])
    assert po.select("ts", "topic", "partition").is_duplicated().sum() == 0
    assert po["ts"].min() >= bounds[0][0] and po["ts"].max() < bounds[-1][1]


def test_slice_size_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="rows_per_slice"):
        window_slices(SAMPLE, None, "7d", rows_per_slice=0)
