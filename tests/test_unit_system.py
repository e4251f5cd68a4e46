"""One unit system for bytes (IEC, workbench.units) in the config-health report and the CLI."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench import units
from workbench.analyze.config import topic_display
from workbench.charts import config as config_charts


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
