"""`workbench import prometheus`: chunking, the exporter mappings and the one-line errors.

The mappings are pure functions over Prometheus' matrix answers; the tests against a real
Prometheus (JMX exporter, klag-exporter) are in tests/test_prometheus_parts.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
import socket

import polars as pl
import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.config import mask_url
from workbench.errors import PrometheusError
from workbench.importers.prometheus import LAG_FAMILIES, POINTS_PER_CHUNK, chunks
from workbench.importers.prometheus.frames import check_one_cluster, offsets, partition_offsets

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
FAMILY = {f.exporter: f for f in LAG_FAMILIES}


@pytest.mark.parametrize(
    ("span", "step", "expected_chunks"),
    [
        (dt.timedelta(minutes=5), dt.timedelta(seconds=1), 1),  # 301 points
        (dt.timedelta(seconds=(POINTS_PER_CHUNK - 1) * 60), dt.timedelta(minutes=1), 1),  # exactly one chunk
        (dt.timedelta(seconds=POINTS_PER_CHUNK * 60), dt.timedelta(minutes=1), 2),  # one point more
        (dt.timedelta(days=90), dt.timedelta(minutes=1), 13),  # 129,601 points
        (dt.timedelta(days=90), dt.timedelta(seconds=15), 52),
    ],
)
def test_chunks_cover_the_window_without_gap_or_overlap(span, step, expected_chunks) -> None:
    got = list(chunks(T0, T0 + span, step))
    assert len(got) == expected_chunks
    assert got[0][0] == T0 and got[-1][1] == T0 + span
    for (_first, last), (after, _) in itertools.pairwise(got):
        assert after == last + step  # the next chunk starts one step on: no instant twice, none lost
    assert all((last - first) / step + 1 <= POINTS_PER_CHUNK for first, last in got)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://alice:s3cret@prom:9090", "http://alice:***@prom:9090"),
        ("https://prom:9090/sub", "https://prom:9090/sub"),
        ("http://alice@prom", "http://alice@prom"),
        ("http://:tok@prom/x?a=b:c@d", "http://:***@prom/x?a=b:c@d"),
    ],
)
def test_mask_url_hides_the_password(url, shown) -> None:
    assert mask_url(url) == shown


def _series(labels: dict[str, str], values: list[float], start: int = 0) -> dict:
    ts = T0.timestamp()
    return {"metric": labels, "values": [[ts + start + i, str(v)] for i, v in enumerate(values)]}


# One row per exporter: its matrices for topic "t" partition 0 and group "g" over 3 instants,
# and the committed offsets and log ends the offsets dataset must hold.
LAG_CASES = [
    pytest.param(
        "kafka-lag-exporter",
        [_series({"cluster_name": "c", "topic": "t", "partition": "0"}, [100, 110, 120])],
        [_series({"topic": "t", "partition": "0"}, [5, 5, 5])],
        [_series({"group": "g", "topic": "t", "partition": "0", "consumer_id": "m1"}, [90, 95, 120])],
        [_series({"group": "g", "topic": "t", "partition": "0"}, [10, 15, 0])],
        [90, 95, 120],
        id="kafka-lag-exporter: committed from group_offset",
    ),
    pytest.param(
        "kafka_exporter",
        [_series({"topic": "t", "partition": "0"}, [100, 110, 120])],
        None,
        [_series({"consumergroup": "g", "topic": "t", "partition": "0"}, [-1, 95, 120])],
        None,
        [None, 95, 120],
        id="kafka_exporter: -1 (no commit) is null",
    ),
    pytest.param(
        "kminion",
        [_series({"topic_name": "t", "partition_id": "0"}, [100, 110, 120])],
        [_series({"topic_name": "t", "partition_id": "0"}, [0, 0, 0])],
        None,
        [_series({"group_id": "g", "topic_name": "t", "partition_id": "0"}, [10, 15, 0])],
        [90, 95, 120],
        id="kminion: committed = high water mark - lag",
    ),
]


@pytest.mark.parametrize(("exporter", "log_end", "log_start", "committed", "lag", "want"), LAG_CASES)
def test_lag_exporters_map_to_offsets(exporter, log_end, log_start, committed, lag, want) -> None:
    family = FAMILY[exporter]
    parts = partition_offsets(family, log_end, log_start, "prod")
    assert parts["log_end_offset"].to_list() == [100, 110, 120]
    assert parts["source"].unique().to_list() == [f"prometheus:{exporter}"]
    groups = offsets(family, committed, lag if committed is None else None, parts, "prod").sort("ts")
    assert groups["committed_offset"].to_list() == want
    assert groups["log_end_offset"].to_list() == [100, 110, 120]
    assert groups.select("group", "topic", "partition", "cluster").unique().rows() == [("g", "t", 0, "prod")]
    assert groups["ts"].to_list() == [T0 + dt.timedelta(seconds=i) for i in range(3)]


def test_jmx_family_gives_partition_offsets_and_no_groups() -> None:
    family = FAMILY["jmx"]
    log_end = [
        _series({"topic": "t", "partition": "1"}, [7, 8]),
        _series({"topic": "__cluster_metadata", "partition": "0"}, [1, 2]),
    ]
    parts = partition_offsets(family, log_end, None, "prod")
    assert parts.select("topic", "partition").unique().rows() == [("t", 1)]  # KRaft's log is no topic
    assert offsets(family, None, None, parts, "prod").is_empty()


def test_several_clusters_in_one_exporter_are_refused() -> None:
    two = [
        [_series({"cluster_name": "a", "topic": "t"}, [1]), _series({"cluster_name": "b", "topic": "t"}, [1])]
    ]
    with pytest.raises(PrometheusError, match="--match-lag 'cluster_name=\"NAME\"'"):
        check_one_cluster(two, "kafka-lag-exporter")


def test_nan_values_are_dropped() -> None:
    parts = partition_offsets(
        FAMILY["jmx"], [_series({"topic": "t", "partition": "0"}, [1, float("nan"), 3])], None, "c"
    )
    assert parts["log_end_offset"].to_list() == [1, 3]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--url", "prom:9090"], {}, "give http://HOST:PORT"),
        (["--url", "http://alice:s3cret@127.0.0.1:{port}"], {}, "http://alice:***@127.0.0.1"),
        (["--url", "http://127.0.0.1:{port}", "--user", "a", "--password-env", "NOPE_UNSET"], {}, "not set"),
        (
            ["--url", "http://127.0.0.1:{port}", "--password-env", "PW"],
            {"PW": "x"},
            "a password needs --user",
        ),
        (["--url", "http://127.0.0.1:{port}", "--step", "0s"], {}, "--step"),
        (["--url", "http://127.0.0.1:{port}", "--since", "inf"], {}, "--since"),
    ],
)
def test_bad_urls_and_options_are_one_line_errors(tmp_path, args, env, message) -> None:
    port = _closed_port()
    args = [a.replace("{port}", str(port)) for a in args]
    res = CliRunner().invoke(
        main, ["import", "prometheus", "--cluster", "c", "--data-dir", str(tmp_path / "d"), *args], env=env
    )
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], res.output
    assert "s3cret" not in res.output
    stored = [p.name for p in (tmp_path / "d").iterdir()] if (tmp_path / "d").exists() else []
    assert stored in ([], [".locks"])  # nothing written but the import lock


def test_unreachable_server_names_the_failure(tmp_path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    res = CliRunner().invoke(
        main, ["import", "prometheus", "--url", url, "--cluster", "c", "--data-dir", str(tmp_path)]
    )
    assert res.exit_code == 2
    assert res.output.strip() == f"error: {url}: ConnectError: [Errno 111] Connection refused"


def test_broker_metrics_dataset_is_declared() -> None:
    from workbench.schema import DATASETS

    schema, version = DATASETS["broker_metrics"]
    assert version == 1 and schema["value"] == pl.Float64


def test_a_second_import_into_the_same_cluster_is_refused(tmp_path) -> None:
    from workbench.collect.lock import collector_lock

    url = f"http://127.0.0.1:{_closed_port()}"
    with collector_lock(tmp_path, "c", "prometheus-import"):
        res = CliRunner().invoke(
            main, ["import", "prometheus", "--url", url, "--cluster", "c", "--data-dir", str(tmp_path)]
        )
    assert res.exit_code == 2
    assert res.output.startswith("error: another collector (pid ") and "prometheus-import" in res.output
