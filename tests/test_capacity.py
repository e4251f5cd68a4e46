"""Capacity planning: sizing formulas on published examples, rates against known ground truth,
the forecast, the Cruise Control export, the report, and ingress measured on a real broker."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from workbench.analyze.capacity import forecast as fc
from workbench.analyze.capacity import rates as cr
from workbench.analyze.capacity import sizing as sz
from workbench.cli import main
from workbench.schema import conform
from workbench.store import Store

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)  # a Monday
EVIL = "<script>alert(1)</script>"


# -- sizing formulas: published examples (docs benchmarks.md section 4) -------------------------
@pytest.mark.parametrize(
    ("target", "p", "c", "headroom", "expected"),
    [
        (250, 50, 25, 1.0, 10),  # max(250/50, 250/25) = 10 (Confluent, Cloudera)
        (250, 50, 25, 1.5, 15),  # with 1.5× headroom
        (250, 50, None, 1.0, 5),  # producer side only
        (251, 50, 25, 1.0, 11),  # rounds up
        (1, 50, 25, 1.0, 1),  # at least one partition
    ],
)
def test_partitions_needed(target: float, p: float, c: float | None, headroom: float, expected: int) -> None:
    assert sz.partitions_needed(target, p, c, headroom) == expected


def test_disk_published_example() -> None:
    # 9.6 MB/s × 604,800 s × 3 × 1.15 ≈ 20 TB (devcraftly), MB and TB decimal.
    total = sz.disk_bytes(9.6e6, 7 * 86400, 3, overhead=0.15)
    assert total == pytest.approx(20.03e12, rel=1e-3)
    assert sz.disk_bytes(9.6e6, 7 * 86400, 3, 0.15, fill_target=0.7) == pytest.approx(total / 0.7)


def test_network_consumers_and_brokers() -> None:
    assert sz.cluster_network(10e6, 3, 2) == (30e6, 40e6)
    assert sz.consumers_needed(1000, 300, partitions=16, headroom=1.0) == 4
    assert sz.consumers_needed(10_000, 300, partitions=6, headroom=1.5) == 6  # capped at partitions
    need = sz.brokers_needed(10e12, 4e12, 0.7, 300e6, 500e6, 125e6, min_brokers=3)
    assert need == {"replication": 3, "disk": 4, "network_in": 3, "network_out": 5, "brokers": 5}


def test_cruise_control_capacity_json() -> None:
    body = sz.cruise_control_capacity(
        [2, 1], {1: ["/d1", "/d2"], 2: ["/d"]}, 100_000 * sz.MIB, 10_000 * 1024, 20_000 * 1024, 100.0, "test"
    )
    entries = body["brokerCapacities"]
    assert [e["brokerId"] for e in entries] == ["-1", "1", "2"]
    assert entries[0]["capacity"] == {"DISK": "100000", "CPU": "100", "NW_IN": "10000", "NW_OUT": "20000"}
    assert entries[1]["capacity"]["DISK"] == {"/d1": "50000", "/d2": "50000"}  # JBOD: per log dir
    assert all(isinstance(e["doc"], str) for e in entries)
    assert json.loads(json.dumps(body)) == body


def test_bench_capacity_from_sample_runs() -> None:
    from workbench.analyze.latency.percentiles import run_summary

    store = Store(SAMPLE)
    runs, intervals = store.read("bench_runs"), store.read("bench_intervals")
    cap = sz.bench_capacity(run_summary(runs, intervals), runs)
    # the unthrottled 1 KiB run (~88k msg/s over 12 partitions) beats every throttled sweep run
    assert cap.records_per_s == pytest.approx(88_000 / 12, rel=0.03)
    assert cap.bytes_per_s == pytest.approx(88_000 * 1024 / 12, rel=0.03)
    assert not cap.lower_bound  # unthrottled: a measured maximum, not a lower bound


# -- rates from a synthetic history with known truth ---------------------------------------------
RATES = {("a", 0): 100.0, ("a", 1): 300.0, ("b", 0): 40.0}
BYTES = {"a": 500.0, "b": 2000.0}
RETAIN_S = 6 * 3600


def _history(days: float = 2.0, step_s: int = 60, dirs_every_s: int = 3600) -> dict[str, pl.DataFrame]:
    """Offsets every ``step_s``, log dirs every ``dirs_every_s``, with hourly segment deletion
    (6 h retention)."""
    n = int(days * 86400 / step_s) + 1
    po, ld = [], []
    for (topic, part), rate in RATES.items():
        for i in range(n):
            t = i * step_s
            ts = T0 + dt.timedelta(seconds=t)
            end = 10_000_000 + int(rate * t)
            start = 10_000_000 + int(rate * max(0, (t - RETAIN_S) // 3600 * 3600))
            po.append(
                {
                    "ts": ts,
                    "cluster": "t",
                    "topic": topic,
                    "partition": part,
                    "log_start_offset": start,
                    "log_end_offset": end,
                    "source": "test",
                }
            )
            if t % dirs_every_s == 0:
                ld.append(
                    {
                        "ts": ts,
                        "cluster": "t",
                        "broker": 1,
                        "log_dir": "/d",
                        "topic": topic,
                        "partition": part,
                        "size_bytes": int((end - start) * BYTES[topic]),
                        "offset_lag": 0,
                        "is_future": False,
                        "source": "test",
                    }
                )
    return {
        "partition_offsets": conform(pl.DataFrame(po), "partition_offsets"),
        "log_dirs": conform(pl.DataFrame(ld), "log_dirs"),
    }


def test_rates_recover_known_truth_within_one_percent() -> None:
    h = _history()
    part = cr.partition_ingress(h["partition_offsets"], h["log_dirs"])
    per = part.group_by("topic", "partition").agg(pl.col("msg_per_s").mean(), pl.col("bytes_per_s").mean())
    for (topic, p), rate in RATES.items():
        row = per.filter((pl.col("topic") == topic) & (pl.col("partition") == p)).row(0, named=True)
        assert row["msg_per_s"] == pytest.approx(rate, rel=0.01)
        assert row["bytes_per_s"] == pytest.approx(rate * BYTES[topic], rel=0.01)
    bpm = cr.bytes_per_message(h["log_dirs"], h["partition_offsets"])
    assert set(bpm["method"].to_list()) == {"delta"}
    topic = cr.topic_ingress(part)
    peaks = cr.peaks(topic, ["topic"])
    assert peaks.filter(pl.col("topic") == "a")["max_msg_per_s"].item() == pytest.approx(400, rel=0.01)
    skew = cr.partition_skew(part).filter(pl.col("topic") == "a").row(0, named=True)
    assert (skew["hottest"], skew["skew"]) == (1, pytest.approx(1.5, rel=0.01))
    assert cr.hour_of_week_profile(topic, ["topic"])["hour_of_week"].max() == 48  # Mon 00:01 to Wed 00:00


def test_group_egress_from_commit_deltas() -> None:
    rows = [
        {
            "ts": T0 + dt.timedelta(minutes=i),
            "cluster": "t",
            "group": "g",
            "topic": "a",
            "partition": p,
            "committed_offset": c0 + int(rate * 60 * i) - (50_000 if (p == 0 and i == 5) else 0),
        }
        for p, (c0, rate) in enumerate([(0, 90.0), (1000, 10.0)])
        for i in range(10)
    ]
    egress = cr.group_egress(conform(pl.DataFrame(rows), "offsets"))
    assert egress["msg_per_s"].head(3).to_list() == pytest.approx([100.0] * 3)
    rewind = egress.filter(pl.col("ts") == T0 + dt.timedelta(minutes=5))
    assert rewind["msg_per_s"].item() == pytest.approx(10.0)  # the rewound partition has no rate


# -- forecast -------------------------------------------------------------------------------------
def _seasonal(days: int, slope: float, noise: float = 5.0) -> pl.DataFrame:
    ts = pl.datetime_range(T0, T0 + dt.timedelta(days=days), "1h", eager=True, closed="left")
    d = np.arange(ts.len()) / 24
    hour, weekend = ts.dt.hour().to_numpy(), ts.dt.weekday().to_numpy() >= 6
    y = 1000 + slope * d + 300 * np.sin(2 * np.pi * hour / 24) - 200 * weekend
    return pl.DataFrame({"ts": ts, "v": y + np.random.default_rng(1).normal(0, noise, ts.len())})


@pytest.mark.parametrize(("days", "seasonality"), [(7, "hour_of_day+weekend"), (21, "hour_of_week")])
def test_forecast_recovers_trend_and_seasonality(days: int, seasonality: str) -> None:
    frame = _seasonal(days, slope=20.0)
    out, model = fc.forecast(frame, "v", horizon_days=30)
    assert model.seasonality == seasonality
    assert model.slope == pytest.approx(20.0, rel=0.05)
    assert model.sigma == pytest.approx(5.0, rel=0.15)
    ahead = out.filter(pl.col("kind") == "forecast")
    truth = _seasonal(days + 30, 20.0, noise=0.0).filter(pl.col("ts").is_in(ahead["ts"].implode()))
    err = (ahead.join(truth, on="ts").select((pl.col("fitted") - pl.col("v")).abs().max())).item()
    assert err < 30  # within 3 % of the level after 30 days
    assert (ahead["upper"] - ahead["lower"]).tail(1).item() > (ahead["upper"] - ahead["lower"]).head(1).item()


def test_days_until_crossing() -> None:
    frame = _seasonal(14, slope=20.0, noise=1.0)
    out, _ = fc.forecast(frame, "v", horizon_days=60)
    hit = fc.days_until(out, 2000.0)
    # daily peak (hour 6: +300) crosses 2000 when 1000 + 20 d + 300 = 2000 -> d = 35, 21 days after the end
    assert hit.at is not None and hit.at.hour == 6
    assert hit.days == pytest.approx(21.0, abs=1.0)
    assert hit.earliest is not None and hit.earliest <= hit.at
    assert fc.days_until(out, 1e9).at is None
    assert fc.days_until(out, 500.0).already


@pytest.mark.parametrize(
    ("history_days", "horizon", "allowed"),
    [
        (0.002, 90, None),  # 3 minutes: no forecast at all
        (0.9, 90, None),  # under a day: the daily profile is not seen once
        (7, 90, 21.0),  # a week: at most 3 weeks ahead
        (7, 10, 10.0),  # a horizon within 3× the history stays as asked
        (60, 90, 90.0),
    ],
)
def test_allowed_horizon(history_days: float, horizon: float, allowed: float | None) -> None:
    ts = pl.Series([T0, T0 + dt.timedelta(days=history_days)])
    assert fc.allowed_horizon(ts, horizon) == (None if allowed is None else pytest.approx(allowed))


def test_band_widens_with_the_horizon_and_long_forecasts_are_daily() -> None:
    """A level that wanders from day to day: the band at 60 days is far wider than at one day;
    past two weeks there is one point per day (the peak hour), so no hourly sawtooth."""
    frame = _seasonal(28, slope=0.0)
    walk = np.repeat(np.cumsum(np.random.default_rng(2).normal(0, 20, 28)), 24)
    frame = frame.with_columns(pl.col("v") + walk)
    out, model = fc.forecast(frame, "v", horizon_days=60)
    ahead = out.filter(pl.col("kind") == "forecast")
    width = (ahead["upper"] - ahead["lower"]).to_numpy()
    assert model.drift == pytest.approx(20 * np.sqrt(2), rel=0.4)  # std of differences of a N(0, 20) walk
    assert width[-1] > 3 * width[0]
    assert ahead["ts"].dt.truncate("1d").n_unique() == ahead.height  # daily
    assert set(ahead["ts"].dt.hour().to_list()) == {6}  # the profile's peak hour each day


def test_growth_override_fixes_the_trend() -> None:
    frame = _seasonal(7, slope=0.0)
    _, model = fc.forecast(frame, "v", 10, growth_per_week=0.07)
    assert model.fixed_slope
    assert model.slope == pytest.approx(frame["v"].mean() * 0.07 / 7, rel=1e-9)  # +7 % of the mean a week


# -- the report -------------------------------------------------------------------------------------
def _write_store(root: Path, days: float = 2, step_s: int = 300, dirs_every_s: int = 3600) -> None:
    """A cluster (two days by default) with a group named like an HTML script, bound by its
    consume rate; a config snapshot at every log-dir snapshot."""
    h = _history(days=days, step_s=step_s, dirs_every_s=dirs_every_s)
    po = h["partition_offsets"]
    last = po.group_by("ts", "topic", "partition").agg(pl.col("log_end_offset").first())
    offsets = last.filter(pl.col("topic") == "a").with_columns(
        cluster=pl.lit("t"),
        group=pl.lit(EVIL),
        group_state=pl.lit("Stable"),
        member_id=pl.lit("m-1"),
        committed_offset=10_000_000
        + (
            (pl.col("ts") - T0).dt.total_seconds()
            * 0.5
            * pl.when(pl.col("partition") == 0).then(100).otherwise(300)
        ).cast(pl.Int64),
        source=pl.lit("test"),
    )
    snaps = h["log_dirs"]["ts"].unique().sort()
    meta = {
        "cluster_info": [
            {"ts": t, "cluster": "t", "cluster_id": "x", "controller_id": 1, "broker_count": 1} for t in snaps
        ],
        "brokers": [{"ts": t, "cluster": "t", "broker_id": 1, "host": "h", "port": 9092} for t in snaps],
        "topic_partitions": [
            {
                "ts": t,
                "cluster": "t",
                "topic": tp,
                "partition": p,
                "is_internal": False,
                "leader": 1,
                "replicas": [1],
                "isr": [1],
                "offline": False,
            }
            for t in snaps
            for tp, p in RATES
        ],
        "configs": [
            {
                "ts": t,
                "cluster": "t",
                "resource_type": "topic",
                "resource_name": tp,
                "name": "retention.ms",
                "value": str(RETAIN_S * 1000),
            }
            for t in snaps
            for tp in ("a", "b")
        ],
    }
    store = Store(root)
    for name, frame in [("partition_offsets", po), ("log_dirs", h["log_dirs"]), ("offsets", offsets)]:
        store.append(name, conform(frame, name))
    for name, rows in meta.items():
        store.append(name, conform(pl.DataFrame(rows).with_columns(source=pl.lit("test")), name))


@pytest.mark.slow  # renders a report (papermill): 19 s of CPU
def test_report_renders_offline_and_escapes_cluster_text(tmp_path: Path) -> None:
    _write_store(tmp_path / "data")
    args = [
        "report",
        "capacity",
        "--data-dir",
        str(tmp_path / "data"),
        "--out",
        str(tmp_path / "out"),
        "-p",
        "producer_mb_s_per_partition",
        "0.5",
        "-p",
        "horizon_days",
        "30",
        "-p",
        "broker_disk_gb",
        "1000",
        "-p",
        "broker_nic_mb_s",
        "125",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    html = Path(result.output.strip().splitlines()[-1]).read_text(encoding="utf-8")
    assert "931.3 GiB (given by you: 1000 GB)" in html  # broker_disk_gb 1000 (10⁹ bytes), shown in IEC
    assert "488.3 KiB/s (given: 0.5 MB/s)" in html and "119.2 MiB/s (given by you: 125 MB/s)" in html
    shown = re.sub(r"(given( by you)?: |given by you</td><td>)[\d.,]+ (GB|MB/s)", "", html)  # as given
    assert not re.search(r"\d ?(MB/s|GB\b|MB/sec)", shown)  # every shown figure in IEC units
    assert "<script src=" not in html and "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for text in ("Headroom per topic", "Ingress forecast", "Disk per broker", "brokerCapacities", "What if"):
        assert text in html, text
    assert "falls 50% short" in html  # the group reads half of what the topic produces


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_report_renders_on_the_sample(tmp_path: Path) -> None:
    """No disk or NIC given: no disk verdict, no capacity.json, and every figure states its basis."""
    result = CliRunner().invoke(
        main, ["report", "capacity", "--data-dir", str(SAMPLE), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    html = Path(result.output.strip().splitlines()[-1]).read_text(encoding="utf-8")
    assert "analytics-etl on clickstream tops out" in html
    assert "Broker disk capacity unknown" in html and "16,000" not in html
    assert "No capacity.json" in html and "brokerCapacities" not in html
    assert html.count('<div id="altair-viz-') >= 8
    doc = json.loads(next(tmp_path.glob("capacity/*.findings.json")).read_text())
    basis = {f["quantity"]: f["basis"] for f in doc["figures"]}
    assert basis["broker disk capacity"] == "unknown" and basis["broker NIC capacity"] == "unknown"
    assert basis["P: producer throughput per partition"] == "measured"  # the sample's benchmark runs
    assert basis["disk overhead"] == "assumed"
    assert {f["unit"] for f in doc["figures"]} == {"MiB/s", "GiB", "%"}
    assert not any(f["given"] for f in doc["figures"])  # no parameter given
    assert {"ok"} != {f["level"] for f in doc["findings"] if "disk" in f["text"]}


@pytest.mark.slow
def test_report_renders_from_three_minutes_of_history(tmp_path: Path) -> None:
    """Three minutes of offsets, two config snapshots: every section renders or says why not."""
    _write_store(tmp_path / "data", days=3 / 1440, step_s=30, dirs_every_s=150)
    args = ["report", "capacity", "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    html = Path(result.output.strip().splitlines()[-1]).read_text(encoding="utf-8")
    assert re.search(r"No ingress forecast: [23] min of history, under the 1 d minimum", html)
    assert re.search(r"No disk forecast: [23] min of history", html)
    assert "No disk forecast yet (too little history)" in html or "Broker disk capacity unknown" in html
    assert "Broker disk capacity unknown" in html


@pytest.mark.parametrize(
    ("volumes", "given_gb", "disk", "basis"),
    [
        (
            [(1, "/a", 4e12), (2, "/b", 2e12), (2, "/c", 1e12)],
            None,
            3e12,
            "measured",
        ),  # smallest broker, Σ dirs
        ([(1, "/a", 4e12), (2, "/b", 2e12)], 9000, 2e12, "measured"),  # measured wins over given
        ([(1, "/a", 4e12)], 9000, 9000e9, "given by you"),  # broker 2 did not say: the given value
        ([(1, "/a", 4e12), (2, "/b", None)], None, None, "unknown"),  # Kafka < 3.3: -1 -> unknown
        ([], None, None, "unknown"),
    ],
)
def test_measured_disk(volumes: list, given_gb: float | None, disk: float | None, basis: str) -> None:
    from workbench.analyze import capacity

    frame = pl.DataFrame(
        volumes, schema={"broker": pl.Int32, "log_dir": pl.String, "total_bytes": pl.Int64}, orient="row"
    )
    inputs = capacity.CapacityInputs(
        pl.DataFrame(), pl.DataFrame(), pl.DataFrame(), pl.DataFrame(), pl.DataFrame(), [1, 2], frame
    )
    producer = sz.PartitionCapacity(None, None, "no benchmark runs")
    params = capacity.make_params(
        producer, None, 30, 1.5, None, None, 0.7, given_gb, None, capacity.measured_disk(inputs)
    )
    assert params.broker_disk_bytes == disk and params.disk_basis == basis


def test_cruise_control_json_refuses_unknown_values() -> None:
    from workbench.analyze import capacity
    from workbench.errors import ConfigError

    producer = sz.PartitionCapacity(None, None, "no benchmark runs")
    params = capacity.make_params(producer, None, 30, 1.5, None, None, 0.7, None, 125)
    inputs = capacity.CapacityInputs(
        pl.DataFrame(), pl.DataFrame(), pl.DataFrame(), pl.DataFrame(), pl.DataFrame(), [1]
    )
    with pytest.raises(ConfigError, match=r"unknown: broker disk capacity \(broker_disk_gb"):
        capacity.cruise_control_json(None, inputs, params)  # type: ignore[arg-type]
    assert params.nic_basis == "given by you" and params.disk_basis == "unknown"


def test_report_bad_parameter(tmp_path: Path) -> None:
    args = [
        "report",
        "capacity",
        "--data-dir",
        str(SAMPLE),
        "--out",
        str(tmp_path),
        "-p",
        "fill_target",
        "1.5",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert "fill_target" in result.output


def test_cli_exports_cruise_control(tmp_path: Path) -> None:
    out = tmp_path / "capacity.json"
    args = [
        "capacity",
        "export-cruise-control",
        "--data-dir",
        str(SAMPLE),
        "--disk-gb",
        "16000",
        "--nic-mb-s",
        "1250",
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text())
    assert [e["brokerId"] for e in body["brokerCapacities"]] == ["-1", "1", "2", "3"]
    assert body["brokerCapacities"][1]["capacity"]["DISK"] == str(round(16000e9 / sz.MIB))


# -- a real broker -----------------------------------------------------------------------------------
BURST, SIZE = 4000, 1024


def _produce_burst(producer, topic: str) -> None:  # type: ignore[no-untyped-def]
    """Send exactly BURST messages of SIZE bytes to partition 0 and wait until all are delivered."""
    payload = bytes(range(256)) * (SIZE // 256)
    for _ in range(BURST):
        producer.produce(topic, payload, partition=0)
        producer.poll(0)
    assert producer.flush(30) == 0


def test_measured_ingress_on_a_real_broker(kafka, topic_factory) -> None:
    """Known bursts between snapshots: the message count is exact whatever the machine's load, the
    seconds are the snapshots' own instants, the bytes per message are the broker's log-dir sizes."""
    from confluent_kafka import Producer

    from workbench.collect.configs import snapshot_configs
    from workbench.collect.kafka import KafkaAdmin
    from workbench.collect.logdirs import LogDirsClient
    from workbench.collect.offsets import snapshot_offsets
    from workbench.config import load_settings

    topic = topic_factory(partitions=1)
    settings = load_settings(kafka.bootstrap)
    admin, log_dirs = KafkaAdmin(settings, timeout_s=10), LogDirsClient(settings, timeout_s=10)
    producer = Producer({"bootstrap.servers": kafka.bootstrap, "linger.ms": 5, "compression.type": "none"})
    try:
        offsets, sizes = [], []
        for _ in range(3):
            _produce_burst(producer, topic)
            offsets.append(snapshot_offsets(admin, "k").partitions.filter(pl.col("topic") == topic))
            sizes.append(snapshot_configs(admin, "k", log_dirs, topics=[topic])["log_dirs"])
    finally:
        log_dirs.close()
    po, ld = pl.concat(offsets), pl.concat(sizes)
    assert po["log_end_offset"].to_list() == [BURST, 2 * BURST, 3 * BURST]
    seconds = (po["ts"].max() - po["ts"].min()).total_seconds()  # type: ignore[operator]
    mean = cr.mean_rate(po)["msg_per_s"].item()
    assert mean == pytest.approx(2 * BURST / seconds, rel=1e-9)
    bpm = cr.bytes_per_message(ld, po)["bytes_per_msg"].item()
    # on disk a record is SIZE plus a few bytes of batch overhead
    assert math.isfinite(bpm) and SIZE <= bpm < SIZE * 1.05
    part = cr.partition_ingress(po, ld).sort("ts")
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(po.sort("ts")["ts"].to_list())]
    assert part["msg_per_s"].to_list() == pytest.approx([BURST / g for g in gaps], rel=1e-9)
    assert part["bytes_per_s"].to_list() == pytest.approx((part["msg_per_s"] * bpm).to_list(), rel=1e-9)


# -- consumer state: one scenario per row -----------------------------------------------------------
@pytest.mark.parametrize(
    ("members", "last_msg_per_s", "max_msg_per_s", "p99_in", "state"),
    [
        (0, 0.0, 500.0, 1000.0, "stopped"),  # no members, no progress: stopped, not bound
        (None, None, 500.0, 1000.0, "stopped"),  # never seen in the newest interval
        (2, 0.0, 500.0, 1000.0, "bound"),  # members but stalled below the p99: capacity-limited
        (0, 400.0, 500.0, 1000.0, "bound"),  # still committing (static members): bound
        (2, 900.0, 990.0, 1000.0, "keeps up"),  # within 5 % of the p99
    ],
)
def test_consumer_state(
    members: int | None, last_msg_per_s: float | None, max_msg_per_s: float, p99_in: float, state: str
) -> None:
    from workbench.analyze.capacity.consumers import _consumer_state

    row = pl.DataFrame(
        {
            "members": [members],
            "last_msg_per_s": [last_msg_per_s],
            "max_msg_per_s": [max_msg_per_s],
            "p99_in": [p99_in],
        },
        schema={
            "members": pl.Int64,
            "last_msg_per_s": pl.Float64,
            "max_msg_per_s": pl.Float64,
            "p99_in": pl.Float64,
        },
    )
    assert row.select(_consumer_state()).to_series().item() == state


# -- benchmark runs the report considered: one scenario per row ------------------------------------
@pytest.mark.parametrize(
    ("cluster", "kind", "partitions", "run_ids", "p_source", "verdict"),
    [
        (
            "other",
            "producer",
            12,
            None,
            "producer run r (x, 12 partitions)",
            "skipped: other cluster (other)",
        ),
        ("t", "producer", 12, ["q"], "producer run r (x, 12 partitions)", "skipped: not in bench_run_ids"),
        ("t", "producer", None, None, "no producer benchmark runs", "skipped: no partition count"),
        ("t", "e2e", 1, None, "no producer benchmark runs", "skipped: a e2e run gives no throughput"),
        (
            "t",
            "producer",
            12,
            None,
            "parameter producer_mb_s_per_partition = 4.8 MiB/s (given: 5 MB/s)",
            "not used: P given by you",
        ),
        ("t", "producer", 12, None, "producer run r (x, 12 partitions)", "used: gives P"),
        ("t", "producer", 12, None, "producer run s (x, 12 partitions)", "not used: a faster producer run"),
        ("t", "consumer", 12, None, "producer run s (x, 12 partitions)", "not used: a faster consumer run"),
    ],
)
def test_bench_runs_considered(
    cluster: str, kind: str, partitions: int | None, run_ids: list[str] | None, p_source: str, verdict: str
) -> None:
    from workbench.analyze import capacity

    runs = pl.DataFrame(
        {"run_id": ["r"], "cluster": [cluster], "kind": [kind], "partitions": [partitions], "ts": [T0]},
        schema_overrides={"partitions": pl.Int32},
    )
    params = capacity.CapacityParams(sz.PartitionCapacity(1e6, None, p_source))
    table = capacity.bench_runs_considered(runs, "t", run_ids, params)
    assert table["verdict"].item().startswith(verdict)
