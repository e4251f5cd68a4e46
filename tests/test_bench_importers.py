"""Benchmark importers on small files in the documented formats; malformed input names file and line.

The same importers run on output of the real Kafka tools in tests/test_bench_kafka.py.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from workbench import hdr
from workbench.cli import main
from workbench.errors import InputFileError
from workbench.importers.hlog import read_hlog
from workbench.importers.omb import read_omb
from workbench.importers.perf_test import read_consumer_perf, read_e2e_latency, read_producer_perf
from workbench.importers.rdkafka_perf import read_rdkafka_perf
from workbench.store import Store

AT = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)

PERF_OLD = """\
50015 records sent, 10003.0 records/sec (9.77 MB/sec), 0.7 ms avg latency, 3.0 ms max latency.
49985 records sent, 9997.0 records/sec (9.76 MB/sec), 0.9 ms avg latency, 63.0 max latency.
100000 records sent, 9998.200360 records/sec (9.76 MB/sec), 0.79 ms avg latency, 63.00 ms max latency, 1 ms 50th, 1 ms 95th, 2 ms 99th, 9 ms 99.9th.
"""  # noqa: E501
PERF_NEW = """\
[2026-03-01 11:59:00,000] WARN some log line (org.apache.kafka.clients.NetworkClient)
500000 records sent, 9998.2 records/sec (9.76 MB/sec), 0.79 ms avg latency, 63.00 ms max latency, 1 ms 50th, 1 ms 95th, 2 ms 99th, 9 ms 99.9th.
"""  # noqa: E501
PERF_WARMUP = """\
Warmup first 1000 records. Steady state results will print after the complete test summary.
4000 records sent, 800.0 records/sec (0.08 MB/sec), 5.1 ms avg latency, 40.0 ms max latency.
In steady state.
5000 records sent, 1000.0 records/sec (0.10 MB/sec), 2.0 ms avg latency, 9.0 ms max latency.
10000 records sent, 909.090909 records/sec (0.09 MB/sec), 3.40 ms avg latency, 40.00 ms max latency, 2 ms 50th, 7 ms 95th, 20 ms 99th, 39 ms 99.9th.
9000 steady state records sent, 947.368421 records/sec (0.09 MB/sec), 2.50 ms avg latency, 9.00 ms max latency, 2 ms 50th, 5 ms 95th, 8 ms 99th, 9 ms 99.9th.
"""  # noqa: E501


@pytest.mark.parametrize(
    ("text", "records", "p99", "windows"),
    [
        (PERF_OLD, 100000, 2.0, 2),  # %f rate, old "63.0 max latency" without ms
        (PERF_NEW, 500000, 2.0, 0),  # %.1f rate, log lines on the same stream
        (PERF_WARMUP, 9000, 8.0, 2),  # steady-state summary wins
    ],
    ids=["six-decimals", "one-decimal", "warmup"],
)
def test_producer_perf_test(text: str, records: int, p99: float, windows: int) -> None:
    result = read_producer_perf(text, "c", AT)
    run = result.runs.row(0, named=True)
    assert run["kind"] == "producer" and run["records"] == records and run["source"] == "perf-test"
    iv = result.intervals
    assert iv.filter(~pl.col("cumulative")).height == windows
    steady = iv.filter(pl.col("cumulative") & (pl.col("phase") == "steady")).row(0, named=True)
    assert steady["p99_ms"] == p99 and steady["records"] == records
    assert iv["end"].max() == AT


def test_producer_perf_test_warmup_phases() -> None:
    iv = read_producer_perf(PERF_WARMUP, "c", AT).intervals
    assert iv.filter(~pl.col("cumulative"))["phase"].to_list() == ["warmup", "steady"]
    assert sorted(iv.filter(pl.col("cumulative"))["phase"].to_list()) == ["all", "steady"]


CONSUMER = """\
start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2023-02-23 11:00:27:431, 2023-02-23 11:00:31:063, 3.2949, 0.9072, 3455, 951.2665, 3557, 75, 43.9326, 46066.6667
"""  # noqa: E501
CONSUMER_DETAILED = """\
time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2023-02-23 11:00:32:000, 0, 1.0000, 1.0000, 1000, 1000.0000, 3000, 1000, 1.0000, 1000.0000
2023-02-23 11:00:33:000, 0, 3.0000, 2.0000, 3000, 2000.0000, 0, 1000, 2.0000, 2000.0000
"""  # noqa: E501


def test_consumer_perf_test_both_modes() -> None:
    plain = read_consumer_perf(CONSUMER, "c")
    row = plain.intervals.row(0, named=True)
    assert row["records"] == 3455 and row["latency"] == "none" and row["cumulative"]
    assert row["bytes"] == round(3.2949 * 1024 * 1024)
    assert (row["end"] - row["ts"]).total_seconds() == pytest.approx(3.632)
    detailed = read_consumer_perf(CONSUMER_DETAILED, "c").intervals
    assert detailed["records"].to_list() == [1000, 2000]
    assert detailed["ts"][1] == dt.datetime(2023, 2, 23, 11, 0, 32, tzinfo=dt.UTC)
    hidden = read_consumer_perf("\n".join(CONSUMER_DETAILED.splitlines()[1:]) + "\n", "c").intervals
    assert hidden["records"].to_list() == [1000, 2000]


def test_consumer_perf_test_keeps_every_printed_figure_and_says_when_no_total() -> None:
    plain = read_consumer_perf(CONSUMER, "c", record_size=1000)
    params = json.loads(plain.runs["params"][0])
    printed = params["printed"]
    assert (printed["fetch.time.ms"], printed["fetch.MB.sec"], printed["fetch.nMsg.sec"]) == (
        75,
        43.9326,
        46066.6667,
    )
    assert (printed["rebalance.time.ms"], printed["MB.sec"], printed["nMsg.sec"]) == (3557, 0.9072, 951.2665)
    assert plain.runs["bytes"][0] == 3455 * 1000  # records x size, not the 4-decimal MB
    assert not any("final total" in n for n in params.get("notes", []))
    detailed = read_consumer_perf(CONSUMER_DETAILED, "c")
    notes = json.loads(detailed.runs["params"][0])["notes"]
    assert any("prints no final total" in n for n in notes) and notes == list(detailed.notes)
    assert len(json.loads(detailed.runs["params"][0])["printed"]) == 2


@pytest.mark.parametrize(
    ("record_size", "exact"),
    [(1024, True), (None, False)],  # 500000 x 1024 B; else 9.76 MB/sec x seconds (2 decimals)
)
def test_producer_bytes_from_records_times_size(record_size: int | None, exact: bool) -> None:
    result = read_producer_perf(PERF_NEW, "c", AT, record_size=record_size)
    run = result.runs.row(0, named=True)
    assert (run["bytes"] == 500000 * 1024) is exact and run["record_size"] == record_size
    assert any("--record-size" in n for n in result.notes) is not exact


def test_unknown_counts_stay_null() -> None:
    text = "Avg latency: 1.2853 ms\nPercentiles: 50th = 1, 99th = 3, 99.9th = 7\n"
    e2e = read_e2e_latency(text, "c", AT).runs.row(0, named=True)
    assert (e2e["records"], e2e["bytes"], e2e["errors"]) == (None, None, None)  # not 0
    hlog = read_hlog(_hlog(1), "us", "c").runs
    assert hlog["bytes"].to_list() == [None, None] and hlog["records"].to_list() == [100, 10]


def test_e2e_latency() -> None:
    text = "0\t26.187541\n1000\t0.9\nAvg latency: 1.2853 ms\nPercentiles: 50th = 1, 99th = 3, 99.9th = 7\n"
    row = read_e2e_latency(text, "c", AT).intervals.row(0, named=True)
    assert (row["latency"], row["mean_ms"], row["p50_ms"], row["p99_ms"], row["p999_ms"]) == (
        "end_to_end", 1.2853, 1.0, 3.0, 7.0,
    )  # fmt: skip


def _omb(**extra: object) -> dict:
    doc = {
        "workload": "1-topic-16-partitions-1kb",
        "driver": "Kafka",
        "messageSize": 1024,
        "topics": 1,
        "partitions": 16,
        "publishRate": [1000.0, 1100.0],
        "publishErrorRate": [0.0, 0.5],
        "consumeRate": [1000.0, 1100.0],
        "backlog": [0, -3],
        "publishLatencyAvg": [2.0, 2.5],
        "publishLatency50pct": [1.8, 2.0],
        "publishLatency99pct": [5.0, 6.0],
        "publishLatencyMax": [9.0, 12.0],
        "publishDelayLatencyAvg": [20, 25],
        "publishDelayLatency99pct": [300, 450],
        "aggregatedPublishLatencyAvg": 2.25,
        "aggregatedPublishLatency99pct": 5.5,
        "aggregatedPublishLatency9999pct": 11.0,
        "aggregatedPublishLatencyMax": 12.0,
        "aggregatedPublishDelayLatency99pct": 400,
        "aggregatedEndToEndLatency99pct": 8.0,
        "someFutureField": {"x": 1},
    }
    doc.update(extra)
    return doc


def test_omb_units_and_tolerance(tmp_path: Path) -> None:
    path = tmp_path / "1-topic-Kafka-2026-03-01-10-00-00.json"
    path.write_text(json.dumps(_omb()))
    result = read_omb(path, "c")
    iv = result.intervals
    assert result.runs["ts"][0] == dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)  # from the file name
    pub = iv.filter((pl.col("latency") == "send_to_ack") & ~pl.col("cumulative"))
    assert pub["records"].to_list() == [10000, 11000] and pub["errors"].to_list() == [0, 5]
    assert pub["p99_ms"].to_list() == [5.0, 6.0]
    delay = iv.filter((pl.col("latency") == "schedule_delay") & ~pl.col("cumulative"))
    assert delay["p99_ms"].to_list() == [0.3, 0.45]  # µs -> ms
    agg = iv.filter(pl.col("cumulative") & (pl.col("latency") == "schedule_delay")).row(0, named=True)
    assert agg["p99_ms"] == 0.4 and agg["records"] == 21000
    assert result.runs["record_size"][0] == 1024
    old = _omb()
    for key in [k for k in old if "Delay" in k]:
        del old[key]
    del old["publishErrorRate"]
    result = read_omb(json.dumps(old), "c", AT)
    assert "schedule_delay" not in set(result.intervals["latency"]) and result.notes


RDKAFKA = """\
% Sending 30000 messages of size 100 bytes
|    elapsed |       msgs |      bytes |        rtt |         dr |     dr_m/s |    dr_MB/s |     dr_err |     tx_err |       outq |     offset
|       1000 |      10000 |    1000000 |          0 |       9000 |       9000 |       0.90 |          0 |          0 |       1000 |       9000
|       2000 |      20000 |    2000000 |          0 |      19500 |      10500 |       1.05 |          1 |          0 |        500 |      19500
% 30000 messages produced (3000000 bytes), 29999 delivered (offset 30000, 1 failed) in 3000ms: 10000 msgs/s and 1.00 MB/s, 1 produce failures, 0 in queue, none compression
"""  # noqa: E501


def test_rdkafka_performance_table() -> None:
    result = read_rdkafka_perf(RDKAFKA, "c", AT)
    per = result.intervals.filter(~pl.col("cumulative"))
    assert per["records"].to_list() == [9000, 10500] and per["backlog"].to_list() == [1000, 500]
    assert per["errors"].to_list() == [0, 1]
    total = result.intervals.filter(pl.col("cumulative")).row(0, named=True)
    assert total["records"] == 29999 and total["errors"] == 1
    assert result.runs.row(0, named=True)["kind"] == "producer"


def _hlog(unit_scale: int) -> str:
    h1 = hdr.from_values([1000 * unit_scale] * 99 + [9000 * unit_scale])
    h2 = hdr.from_values([2000 * unit_scale] * 10)
    return (
        "#[Histogram log format version 1.3]\n"
        "#[StartTime: 1772366400.000 (seconds since epoch), Sun Mar 01 12:00:00 UTC 2026]\n"
        '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n'
        f"0.000,1.000,9.000,{hdr.encode(h1)}\n"
        f"Tag=B,1.000,1.000,2.000,{hdr.encode(h2)}\n"
    )


@pytest.mark.parametrize(("unit", "scale"), [("us", 1), ("ns", 1000)])
def test_hlog(unit: str, scale: int) -> None:
    result = read_hlog(_hlog(scale), unit, "c")
    assert result.runs.height == 2  # one run per tag
    untagged = result.intervals.filter(~pl.col("run_id").str.ends_with("-B")).row(0, named=True)
    assert untagged["records"] == 100 and untagged["ts"] == dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    assert untagged["p50_ms"] == pytest.approx(1.0, rel=2e-3)
    assert untagged["max_ms"] == pytest.approx(9.0, rel=2e-3)


@pytest.mark.parametrize(
    ("reader", "text", "line"),
    [
        (read_producer_perf, PERF_NEW.replace("9998.2 records/sec", "fast records/sec"), 2),
        (read_consumer_perf, CONSUMER.replace(", 3557,", ","), 2),
        (read_consumer_perf, CONSUMER.replace("11:00:31:063", "11:00:31"), 2),
        (read_e2e_latency, "Avg latency: 1.2 ms\nPercentiles: 50th = x\n", 2),
        (read_omb, '{"publishRate": [1,\n 2,,]}', 2),
        (read_rdkafka_perf, RDKAFKA.replace("|       2000 |", "|       2000 | 7 |"), 4),
        (read_hlog, _hlog(1).replace("HISTF", "XXXX", 1), 4),
    ],
    ids=["perf-test", "consumer-fields", "consumer-time", "e2e", "omb", "rdkafka", "hlog"],
)
def test_malformed_input_names_file_and_line(tmp_path: Path, reader, text: str, line: int) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.txt"
    path.write_text(text)
    args = ("us",) if reader is read_hlog else ()
    with pytest.raises(InputFileError) as info:
        reader(path, *args)
    assert info.value.line == line and str(info.value).startswith(f"{path}:{line}: ")


def test_cli_import_writes_nothing_when_one_file_is_bad(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text(PERF_NEW)
    bad.write_text("12 records sent, oops\n")
    data = tmp_path / "data"
    res = CliRunner().invoke(main, ["import", "perf-test", str(good), str(bad), "--data-dir", str(data)])
    assert res.exit_code == 2 and f"{bad}:1:" in res.output
    assert not data.exists()
    res = CliRunner().invoke(
        main, ["import", "perf-test", str(good), "--data-dir", str(data), "--cluster", "x"]
    )
    assert res.exit_code == 0, res.output
    assert Store(data).read("bench_runs")["records"].to_list() == [500000]
