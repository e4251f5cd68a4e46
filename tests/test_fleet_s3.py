"""Every command on an object-store data directory (a real SeaweedFS S3 gateway started by the
tests): two collectors of two clusters and a compaction loop into one bucket at once, every row
present once, then reads, reports and maintenance from it (docs/fleet.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import polars as pl
import pytest

from workbench.store import Store

SNAPSHOTS = 12


def _env(s3_server, tmp_path: Path) -> dict[str, str]:
    """The user's environment: endpoint and keys only (allow-http and conditional put are the
    workbench's defaults), a HOME without AWS files and this host's lock directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_ENDPOINT_URL": s3_server.endpoint,
        "AWS_ACCESS_KEY_ID": s3_server.storage_options["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": s3_server.storage_options["AWS_SECRET_ACCESS_KEY"],
        "AWS_REGION": s3_server.storage_options["AWS_REGION"],
        "HOME": str(tmp_path),
        "WORKBENCH_LOCK_DIR": str(tmp_path / "locks"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]), env.get("PYTHONPATH")])),
    }
    return env


def _wb(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen, timeout: float = 600) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:  # end it (and Spark's JVM, which exits with its driver)
        proc.kill()
        proc.communicate()
        raise


def _done(proc: subprocess.Popen, timeout: float = 600) -> str:
    out, err = _finish(proc, timeout)
    assert proc.returncode == 0, f"{proc.args}: {err[-2000:]}"
    return out + err


def _group_with_lag(kafka, topic_factory) -> tuple[str, str]:
    from confluent_kafka import Consumer, Producer, TopicPartition
    from parts_fixtures import ensure_offsets_topic

    ensure_offsets_topic(kafka)  # a fresh broker answers NOT_COORDINATOR until __consumer_offsets is up
    topic, group = topic_factory(partitions=2), f"fleet-{uuid.uuid4().hex[:6]}"
    producer = Producer(kafka.client_config())
    for i in range(50):
        producer.produce(topic, str(i).encode(), partition=i % 2)
    assert producer.flush(30) == 0
    consumer = Consumer(kafka.client_config(**{"group.id": group}))
    consumer.commit(offsets=[TopicPartition(topic, 0, 5), TopicPartition(topic, 1, 7)], asynchronous=False)
    consumer.close()
    return topic, group


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_two_collectors_and_compaction_into_one_bucket(
    s3_server, kafka, topic_factory, tmp_path: Path
) -> None:
    _, group = _group_with_lag(kafka, topic_factory)
    env = _env(s3_server, tmp_path)
    uri = s3_server.uri(f"hist-{uuid.uuid4().hex[:8]}")
    collect = ["collect", "offsets", "--bootstrap-server", kafka.bootstrap, "--data-dir", uri]
    collect += ["--interval", "300ms", "--count", str(SNAPSHOTS), "--include", group]
    procs = [_wb(*collect, "--cluster", name, env=env) for name in ("east", "west")]
    compactions = 0
    while any(p.poll() is None for p in procs):  # compact while both collectors commit
        _done(_wb("compact", "--data-dir", uri, "--all-days", env=env))
        compactions += 1
    for p in procs:
        _done(p)
    assert compactions >= 1
    _done(_wb("compact", "--data-dir", uri, "--all-days", env=env))

    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})  # read as the user would
    store = Store(uri)
    offsets = store.read("offsets")
    keys = ["cluster", "ts", "group", "topic", "partition"]
    assert offsets.height == offsets.unique(keys).height, "a row is present twice"
    per = offsets.group_by("cluster").agg(pl.col("ts").n_unique().alias("snapshots"), pl.len().alias("rows"))
    assert dict(per.select("cluster", "snapshots").iter_rows()) == {"east": SNAPSHOTS, "west": SNAPSHOTS}
    assert dict(per.select("cluster", "rows").iter_rows()) == {"east": 2 * SNAPSHOTS, "west": 2 * SNAPSHOTS}
    marks = store.read("collections").filter(pl.col("ok") & (pl.col("kind") == "offsets"))
    assert marks.group_by("cluster").len().sort("cluster")["len"].to_list() == [SNAPSHOTS, SNAPSHOTS]

    lag = _done(_wb("lag", "--data-dir", uri, "--cluster", "east", env=env))
    assert group in lag and "38" in lag  # 50 messages, 5 + 7 committed: lag 20 + 18
    assert "every data file reads whole" in _done(_wb("check", "--data-dir", uri, env=env))
    fleet = _done(_wb("report", "fleet", "--data-dir", uri, "--out", str(tmp_path / "reports"), env=env))
    page = Path(next(w for w in fleet.split() if w.endswith(".html")))
    assert page.is_file() and "east" in page.read_text() and "west" in page.read_text()
    assert env["AWS_SECRET_ACCESS_KEY"] not in page.read_text()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_simulate_prune_and_a_bad_endpoint_on_s3(s3_server, tmp_path: Path) -> None:
    env = _env(s3_server, tmp_path)
    uri = s3_server.uri(f"sim-{uuid.uuid4().hex[:8]}")
    sim = ["simulate", "--data-dir", uri, "--days", "2", "--interval", "1h", "--scale", "sample"]
    _done(_wb(*sim, "--cluster", "north", env=env))
    out = _done(
        _wb("prune", "--data-dir", uri, "--older-than", "1d", "--reports", str(tmp_path / "r"), env=env)
    )
    assert "would delete" in out
    bad = {**env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_SECRET_ACCESS_KEY": "do-not-show-me"}
    proc = _wb("lag", "--data-dir", uri, "--cluster", "north", env=bad)
    _, err = _finish(proc, 300)
    assert proc.returncode == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "do-not-show-me" not in err and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.timeout(1200)  # a driver and executor JVM on a shared 2-core box
def test_spark_analyze_reads_and_writes_the_bucket(s3_server, tmp_path: Path, monkeypatch) -> None:
    """`spark analyze` on an s3:// data dir (Hadoop's s3a:// with the hadoop-aws jars) equals the
    analysis in process on the same bucket."""
    from parts import part_path
    from test_fleet_spark import CLUSTERS, assert_result_equals_in_process

    from workbench.simulate.run import simulate

    jars = ",".join(str(j) for j in sorted(Path(part_path("hadoop-aws")).glob("*.jar")))
    env = _env(s3_server, tmp_path)
    for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
        monkeypatch.setenv(key, env[key])
    uri = s3_server.uri(f"spark-{uuid.uuid4().hex[:8]}")
    for name, seed in CLUSTERS.items():
        simulate(uri, cluster=name, days=1, interval="1h", scale="sample", seed=seed)
    cmd = ["spark", "analyze", "--master", "local[1]", "--data-dir", uri]
    bare = _wb(*cmd, env=env)  # without the hadoop-aws jars: one error line before Spark starts
    _, err = _finish(bare)
    assert bare.returncode == 2 and err.count("\n") == 1, err[-2000:]
    assert err.startswith("error: spark analyze on local[1]: the hadoop-aws jars"), err[-2000:]
    assert "scripts/parts install hadoop-aws" in err and env["AWS_SECRET_ACCESS_KEY"] not in err
    cmd += ["--conf", f"spark.jars={jars}"]
    out = _done(_wb(*cmd, env=env), timeout=1100)
    assert "analysis/lag_groups: version 0" in out and env["AWS_SECRET_ACCESS_KEY"] not in out
    assert_result_equals_in_process(uri)
