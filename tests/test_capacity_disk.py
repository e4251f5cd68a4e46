"""Disk sizing splits each topic's byte rate by its partitions' current shares, so a topic that
gained partitions in the window is not overstated (each partition's lifetime mean summed was)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from workbench.analyze import capacity as cap
from workbench.analyze.capacity import sizing as sz
from workbench.analyze.capacity.plan import current_share
from workbench.frames.capacity import load_capacity_frames

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _part(layout: list[tuple[int, int, float]]) -> pl.DataFrame:
    """(hours, partitions, topic bytes/s) phases -> hourly per-partition rows, traffic split evenly
    except partition 0, which carries twice the others' share."""
    rows, hour = [], 0
    for hours, partitions, rate in layout:
        weights = [2.0] + [1.0] * (partitions - 1)
        for _ in range(hours):
            for p, w in enumerate(weights):
                ts = T0 + dt.timedelta(hours=hour)
                rows.append({"ts": ts, "topic": "t", "partition": p, "bytes_per_s": rate * w / sum(weights)})
            hour += 1
    return pl.DataFrame(rows)


@pytest.mark.parametrize(
    ("layout", "shares"),
    [
        ([(48, 4, 1000.0)], [0.4, 0.2, 0.2, 0.2]),  # steady layout: the measured split
        ([(24, 4, 1000.0), (24, 6, 1000.0)], [2 / 7] + [1 / 7] * 5),  # 4 -> 6 mid-window: today's split
        ([(24, 2, 0.0)], [0.5, 0.5]),  # no bytes seen: equal shares
    ],
)
def test_current_share(layout: list[tuple[int, int, float]], shares: list[float]) -> None:
    got = current_share(_part(layout)).sort("partition")["share"].to_list()
    assert got == pytest.approx(shares)


@pytest.mark.slow
def test_retention_of_every_topic_sums_to_its_own_rate_on_the_sample() -> None:
    inputs = cap.capacity_inputs(load_capacity_frames(SAMPLE, None, "7d"))
    params = cap.CapacityParams(sz.PartitionCapacity(5e6, 5e4, "given"))
    plan = cap.plan_capacity(inputs, params)
    po = pl.concat(list(inputs.partition_offsets.partition_slices()))  # type: ignore[union-attr]
    po = po.filter(pl.col("topic") == "inventory-updates")
    assert po.group_by("partition").agg(pl.col("ts").min())["ts"].n_unique() > 1  # it gained partitions
    bounded = (pl.col("retention_h") > 0) & ~pl.col("cleanup_policy").fill_null("delete").str.contains(
        "compact"
    )
    topics = plan.topics.filter(bounded)
    expected = topics.select(
        pl.col("mean_bytes_per_s") * pl.col("retention_h") * 3600 * (1 + params.overhead) * pl.col("rf")
    ).sum().item()  # fmt: skip
    held = plan.brokers["retention_bytes"].sum()
    compacted = plan.topics.filter(~bounded)  # these hold their measured size
    assert held - compacted["size_bytes"].fill_null(0).sum() == pytest.approx(expected, rel=1e-9)
