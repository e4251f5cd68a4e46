"""One unit system for bytes and rates (IEC, workbench.units) in the reports, charts and the CLI."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench import units
from workbench.analyze.capacity.sizing import given_capacity
from workbench.analyze.config import topic_display
from workbench.charts import capacity as capacity_charts
from workbench.charts import config as config_charts
from workbench.collect.bench_summary import summary_lines


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (None, None),
        (0, "0 B"),
        (1536, "1.5 KiB"),
        (8 * (1 << 40) + (1 << 39), "8.5 TiB"),
        (7995 << 30, "7.8 TiB"),
    ],
)
def test_topic_table_shows_iec_bytes(size, shown) -> None:
    topics = pl.DataFrame(
        {"topic": ["t"], "size_bytes": [size]}, schema={"topic": pl.String, "size_bytes": pl.Int64}
    )
    out = topic_display(topics)
    assert out.columns == ["topic", "on disk"] and out["on disk"][0] == shown
    assert shown is None or shown == units.bytes_iec(size)


def test_disk_charts_label_and_tooltip_in_iec() -> None:
    ts = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    history = pl.DataFrame({"ts": [ts], "broker": [1], "size_bytes": [3 << 40]})
    for chart in (
        config_charts.disk_per_broker(history),
        config_charts.disk_per_topic(pl.DataFrame({"topic": ["t"], "size_bytes": [3 << 40]})),
    ):
        spec = str(chart.to_dict())
        assert "TiB" in spec and "GiB" in spec and "'.3~s'" not in spec  # no SI "8TB" labels
        assert "3.0 TiB" in spec  # the tooltip text, spelled by workbench.units


def test_capacity_charts_draw_iec_rates_and_sizes() -> None:
    """The capacity charts' axes, tooltips and values: MiB/s and GiB (2²⁰, 2³⁰), never MB/s or GB."""
    ts = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    network = capacity_charts.broker_network(
        pl.DataFrame({"broker": [1], "nw_in": [float(3 << 20)], "nw_out": [float(5 << 20)]})
    )
    band = {c: [float(2 << 30)] for c in ("actual", "fitted", "lower", "upper")}
    disk = capacity_charts.disk_forecast(
        pl.DataFrame({"ts": [ts], "kind": ["forecast"], "broker": [1], **band}), float(4 << 30)
    )
    for chart, unit, values in ((network, "MiB/s", ("3.0", "5.0")), (disk, "GiB", ("2.0", "4.0"))):
        spec = str(chart.to_dict())
        assert unit in spec and "MB/s" not in spec and "'GB" not in spec
        assert all(v in spec for v in values), values  # bytes ÷ 2²⁰ or 2³⁰, not ÷ 10⁶ or 10⁹


@pytest.mark.parametrize(
    ("mib_per_s", "want"),
    [
        (9.76, "100000 records sent, 9998.2 records/sec (9.8 MiB/s)."),  # perf-test prints 9.76 MB/sec
        (0.08, "100000 records sent, 9998.2 records/sec (81.9 KiB/s)."),
    ],
)
def test_bench_summary_line_rate_in_iec(mib_per_s: float, want: str) -> None:
    stats = {"records": 100000, "records_per_s": 9998.2, "mb_per_s": mib_per_s, "latency": {}}
    assert summary_lines(stats, "producer") == [want]


def test_given_capacity_echoed_in_iec_with_the_value_given() -> None:
    p = given_capacity(12.5, "producer_mb_s_per_partition")
    assert p is not None and p.bytes_per_s == 12_500_000
    assert p.source == "parameter producer_mb_s_per_partition = 11.9 MiB/s (given: 12.5 MB/s)"
