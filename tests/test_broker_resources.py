"""The capacity report's broker resources: limits given or unknown, forecasts, who runs out first."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from workbench.analyze import capacity as cap
from workbench.cli import main
from workbench.schema import conform
from workbench.store import Store

T0 = dt.datetime(2026, 11, 17, tzinfo=dt.UTC)
HOURS = 72  # three days of hourly points: forecasts may reach 9 days ahead
MB = 1e6


def _metrics(series: dict[tuple[str, str, str], tuple[float, float]], cluster: str = "c") -> pl.DataFrame:
    """{(instance, metric, source): (value at T0, growth per day)} -> hourly broker_metrics rows."""
    rows = [
        {"ts": T0 + dt.timedelta(hours=h), "cluster": cluster, "instance": inst, "host": inst.split(":")[0],
         "metric": metric, "detail": "", "value": start + per_day * h / 24, "source": f"prometheus:{source}"}
        for (inst, metric, source), (start, per_day) in series.items()
        for h in range(HOURS)
    ]  # fmt: skip
    return conform(pl.DataFrame(rows), "broker_metrics")


TWO_BROKERS = {
    ("a:7071", "bytes_in_per_s", "jmx"): (50 * MB, 10 * MB),  # 80 MB/s at the end: 125 in 4.5 days
    ("b:7071", "bytes_in_per_s", "jmx"): (30 * MB, 0.0),
    ("a:7071", "request_handler_idle", "jmx"): (0.9, 0.0),
    ("b:7071", "request_handler_idle", "jmx"): (0.8, -0.1),  # busy 0.5 at the end: 0.7 in 2 days
}

CASES = [
    # (limits: NIC bytes/s, idle min; first broker, resource, days; a sentence fragment)
    pytest.param(125 * MB, None, "a:7071", "network in", 4.5, "request_handler_idle_min", id="network first"),
    pytest.param(125 * MB, 0.3, "b:7071", "request-handler busy", 2.0, "runs out first", id="handlers first"),
    pytest.param(None, 0.3, "b:7071", "request-handler busy", 2.0, "Network limit unknown", id="nic unknown"),
    pytest.param(None, None, None, None, None, "Request-handler limit unknown", id="all unknown: no verdict"),
    pytest.param(1000 * MB, None, None, None, None, "No broker's forecast reaches", id="far from limits"),
]  # fmt: skip


@pytest.mark.parametrize(("nic", "idle_min", "broker", "resource", "days", "sentence"), CASES)
def test_first_broker_to_run_out(nic, idle_min, broker, resource, days, sentence) -> None:
    limits = cap.resource_limits(nic, "given by you" if nic else "unknown", idle_min)
    table = cap.broker_resources(cap.resource_series(_metrics(TWO_BROKERS)), limits, 90)
    first = cap.first_to_run_out(table)
    if broker is None:
        assert first is None
    else:
        assert (first["broker"], first["resource"]) == (broker, resource)
        assert first["days"] == pytest.approx(days, abs=0.1)  # hourly forecast steps
    text = " ".join(s for _, s in cap.resource_sentences(table, limits, 90))
    assert sentence in text
    unknown = table.filter(pl.col("limit").is_null())
    assert (unknown["basis"] == "unknown").all() and (unknown["forecast"] == "limit unknown").all()


def test_node_exporter_nic_replaces_jmx_when_the_host_runs_one_broker() -> None:
    series = {
        ("a:7071", "bytes_in_per_s", "jmx"): (10 * MB, 0.0),
        ("a:9100", "network_receive_bytes_per_s", "node"): (25 * MB, 0.0),
        ("b:7071", "bytes_in_per_s", "jmx"): (10 * MB, 0.0),  # no node_exporter on b
    }
    frame = cap.resource_series(_metrics(series)).filter(pl.col("resource") == "network in")
    got = frame.group_by("broker", "source").agg(pl.col("value").max()).sort("broker").rows()
    assert got == [
        ("a:7071", "NIC (node_exporter)", 25 * MB),
        ("b:7071", "JMX BytesIn/Out (clients, no replication)", 10 * MB),
    ]


def test_an_unthrottled_benchmark_measures_the_network_limit() -> None:
    metrics = _metrics({("a:7071", "bytes_in_per_s", "jmx"): (50 * MB, 10 * MB)})
    runs = pl.DataFrame(
        {"ts": [T0 + dt.timedelta(hours=h) for h in (10, 30, 40)], "cluster": ["c", "c", "other"],
         "kind": ["producer"] * 3, "label": ["full", "throttled", "x"], "run_id": ["r1", "r2", "r3"],
         "target_throughput": [-1.0, 1000.0, -1.0], "duration_s": [600.0] * 3}
    )  # fmt: skip
    bench = cap.bench_limits(runs, metrics, "c")
    # r1 (unthrottled, this cluster) spans 10:00 to 10:11: the 10 h point; r2 is throttled, r3 elsewhere
    assert bench.rows() == [
        ("a:7071", "network in", 50 * MB + 10 * MB * 10 / 24, "measured (benchmark full)")
    ]
    limits = cap.resource_limits(None, "unknown", None, bench)
    table = cap.broker_resources(cap.resource_series(metrics), limits, 90)
    row = table.filter(pl.col("resource") == "network in").row(0, named=True)
    assert row["basis"] == "measured (benchmark full)" and row["forecast"] == "already at the limit"
    given = cap.broker_resources(
        cap.resource_series(metrics), cap.resource_limits(125 * MB, "given by you", None, bench), 90
    )
    assert given.filter(pl.col("resource") == "network in")["basis"].to_list() == [
        "given by you"
    ]  # given wins


def test_short_history_says_so_and_bad_limit_is_refused() -> None:
    short = _metrics(TWO_BROKERS).filter(pl.col("ts") < T0 + dt.timedelta(hours=6))
    limits = cap.resource_limits(125 * MB, "given by you", 0.3)
    table = cap.broker_resources(cap.resource_series(short), limits, 90)
    assert set(table["forecast"]) == {"history too short"}
    assert "under a day of broker metrics" in " ".join(
        s for _, s in cap.resource_sentences(table, limits, 90)
    )
    with pytest.raises(Exception, match="request_handler_idle_min"):
        cap.resource_limits(None, "unknown", 1.5)


@pytest.mark.slow
def test_capacity_report_renders_broker_resources(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(Path(__file__).parents[1] / "data" / "sample", data)
    Store(data).append("broker_metrics", _metrics(TWO_BROKERS, cluster="sample"))
    args = ["report", "capacity", "--data-dir", str(data), "--out", str(tmp_path / "r")]
    res = CliRunner().invoke(
        main, [*args, "-p", "broker_nic_mb_s", "125", "-p", "request_handler_idle_min", "0.3"]
    )
    assert res.exit_code == 0, res.output
    page = next((tmp_path / "r" / "capacity").glob("*.html")).read_text()
    assert (
        "Broker b:7071 runs out first: its request-handler busy reaches 70% busy (idle 30%) (given by you)"
        in page
    )
