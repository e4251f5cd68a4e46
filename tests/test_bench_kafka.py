"""Benchmarks against the real local broker, and the importers on output of Kafka's own tools."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.collect.bench import BenchSpec, run_bench
from workbench.config import load_settings
from workbench.importers.perf_test import read_consumer_perf, read_e2e_latency, read_producer_perf
from workbench.store import Store

PRODUCER_PERF = "org.apache.kafka.tools.ProducerPerformance"
CONSUMER_PERF = "org.apache.kafka.tools.ConsumerPerformance"
E2E = "org.apache.kafka.tools.EndToEndLatency"


def _check_latencies(intervals: pl.DataFrame, kinds: set[str]) -> None:
    lat = intervals.filter(pl.col("count") > 0)
    assert set(lat["latency"]) == kinds
    for row in lat.iter_rows(named=True):
        if row["latency"] != "schedule_delay":  # schedule delay is 0 when on time
            assert row["p50_ms"] > 0
        assert 0 <= row["p50_ms"] <= row["p99_ms"] <= row["max_ms"]


@pytest.mark.parametrize(("kind", "throughput"), [("producer", 4000.0), ("producer", -1.0), ("e2e", 2000.0)])
def test_bench_counts_and_latencies(kafka, topic_factory, kind: str, throughput: float) -> None:
    topic = topic_factory(partitions=2)
    spec = BenchSpec(
        kind, topic, 3000, 200, throughput, {"linger.ms": "2"}, warmup_records=500, interval_s=0.25
    )
    result = run_bench(load_settings(kafka.bootstrap), spec)
    run = result.runs.row(0, named=True)
    assert (run["records"], run["bytes"], run["errors"]) == (3000, 3000 * 200, 0)
    assert (run["partitions"], run["replication"], run["brokers"]) == (2, 1, 1)
    open_loop = {"schedule_delay", "intended_to_ack"} if throughput > 0 else set()  # none unthrottled
    kinds = {"send_to_ack"} | open_loop
    if kind == "e2e":
        kinds |= {"end_to_end", "intended_end_to_end"} if throughput > 0 else {"end_to_end"}
    iv = result.intervals
    per = iv.filter(~pl.col("cumulative") & (pl.col("latency") == "send_to_ack"))
    assert per["records"].sum() == 3000 and per["count"].sum() == 3000
    assert set(per["phase"]) == {"warmup", "steady"}
    _check_latencies(iv, kinds)
    cum = iv.filter(pl.col("cumulative"))
    for k in kinds:  # every record's latency is in exactly one phase's cumulative histogram
        assert cum.filter(pl.col("latency") == k)["count"].sum() == 3000
    assert result.stats["records_total"] == 3000
    summary = {row["latency"]: row for row in cum.filter(pl.col("phase") == "steady").iter_rows(named=True)}
    for later, earlier in (("intended_to_ack", "send_to_ack"), ("intended_end_to_end", "end_to_end")):
        if later in kinds:  # measured from the intended time: per record never below the other
            assert all(summary[later][c] >= summary[earlier][c] for c in ("p50_ms", "p99_ms", "max_ms"))
    lines = result.summary_lines()
    assert "steady state records sent" in lines[0] and "ms 99.9th." in lines[0]


def test_cli_sweep_stores_runs_and_masks_secrets(kafka, topic_factory, tmp_path: Path) -> None:
    topic = topic_factory()
    props = tmp_path / "client.properties"
    props.write_text("sasl.password=hunter2\n")
    data = tmp_path / "data"
    args = ["bench", "producer", "--bootstrap-server", kafka.bootstrap, "--topic", topic,
            "--num-records", "500", "--throughput", "2000",
            "--producer-props", "linger.ms=1", "ssl.key.password=topsecret batch.size=20000",
            "--sweep", "acks=1,all", "--data-dir", str(data), "--json", "--run-id", "sw"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert "benchmark runs filed under cluster 'bench' (no cluster in the data directory yet)" in res.stderr
    assert [r["run_id"] for r in out] == ["sw-1", "sw-2"] and all(r["records"] == 500 for r in out)
    runs = Store(data).read("bench_runs").sort("run_id")
    assert runs["label"].to_list() == ["acks=1", "acks=all"] and set(runs["sweep_id"]) == {"sw"}
    stored = " ".join(runs["client_config"].to_list() + runs["params"].to_list())
    assert "topsecret" not in stored and "***" in stored
    assert all(json.loads(c)["batch.size"] == "20000" for c in runs["client_config"])  # Kafka's K=V K=V
    assert Store(data).read("bench_intervals")["run_id"].n_unique() == 2


def test_stray_property_without_props_option_is_an_error() -> None:
    args = ["bench", "producer", "--bootstrap-server", "127.0.0.1:1", "--topic", "t", "--num-records", "1",
            "linger.ms=5"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "client properties follow --producer-props" in res.output


def test_consumer_bench(kafka, topic_factory) -> None:
    topic = topic_factory()
    settings = load_settings(kafka.bootstrap)
    run_bench(settings, BenchSpec("producer", topic, 2000, 50, record_latency=False))
    result = run_bench(settings, BenchSpec("consumer", topic, 2000, 50))
    run = result.runs.row(0, named=True)
    assert (run["records"], run["bytes"]) == (2000, 2000 * 50)
    assert set(result.intervals["latency"]) == {"none"}
    assert "2000 records consumed" in result.summary_lines()[0]


def test_importers_on_real_tool_output(kafka, topic_factory, tmp_path: Path) -> None:
    topic = topic_factory()
    prod = kafka.run_tool(
        PRODUCER_PERF, "--topic", topic, "--num-records", "3000", "--record-size", "100",
        "--throughput", "3000", "--warmup-records", "500",
        "--producer-props", f"bootstrap.servers={kafka.bootstrap}",
    )  # fmt: skip
    assert prod.returncode == 0, prod.stderr
    out = tmp_path / "producer.txt"
    out.write_text(prod.stdout)
    result = read_producer_perf(out, "c")
    steady = result.intervals.filter(pl.col("cumulative") & (pl.col("phase") == "steady")).row(0, named=True)
    assert steady["records"] == 2500 and 0 <= steady["p50_ms"] <= steady["p99_ms"] <= steady["max_ms"]
    total = result.intervals.filter(pl.col("phase") == "all").row(0, named=True)
    assert total["records"] == 3000
    for detailed in (False, True):
        args = [
            "--bootstrap-server",
            kafka.bootstrap,
            "--topic",
            topic,
            "--num-records",
            "3000",
            "--timeout",
            "30000",  # the group join alone took 3 s on a loaded machine
        ]
        if detailed:
            args += ["--show-detailed-stats", "--reporting-interval", "100"]
        cons = kafka.run_tool(CONSUMER_PERF, *args)
        assert cons.returncode == 0, cons.stderr
        parsed = read_consumer_perf(cons.stdout, "c")
        if not detailed:
            assert parsed.intervals["records"].to_list() == [3000]
        else:
            assert 0 < parsed.intervals["records"].sum() <= 3000


def test_e2e_importer_on_real_tool_output(kafka, topic_factory) -> None:
    topic = topic_factory()
    proc = kafka.run_tool(
        E2E, "--bootstrap-server", kafka.bootstrap, "--topic", topic, "--num-records", "300",
        "--producer-acks", "1", "--record-size", "100",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    row = read_e2e_latency(proc.stdout, "c").intervals.row(0, named=True)
    assert row["latency"] == "end_to_end" and row["mean_ms"] > 0
    assert row["p50_ms"] <= row["p99_ms"] <= row["p999_ms"]
