"""Smoke tests proving each real server from scripts/parts works (docs/parts.md), plus the script's errors."""

from __future__ import annotations

import os
import re
import smtplib
import subprocess
import sys
import threading
import time
import uuid
from email.message import EmailMessage

import pytest
from kafka_local import create_topic, unique_topic_name, wait_until
from parts import PARTS_SCRIPT, PartError, Process, http

# ------------------------------------------------------------------------ the script and the helpers


def run_parts(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(PARTS_SCRIPT), *args], capture_output=True, text=True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("path", "no-such-part"), "parts: error: unknown part 'no-such-part' (known: prometheus, "),
        (("install", "prometheus", "nope"), "parts: error: unknown part 'nope' (known: prometheus, "),
    ],
)
def test_parts_script_fails_with_one_line(args: tuple[str, ...], message: str) -> None:
    proc = run_parts(*args)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith(message)


def test_parts_versions_lists_every_part() -> None:
    proc = run_parts("versions")
    assert proc.returncode == 0
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    assert names == [
        "prometheus", "alertmanager", "node-exporter", "burrow", "jmx-exporter", "klag-exporter", "weed",
        "hadoop-aws",
        "zookeeper",
        "pyspark", "aiosmtpd",
    ]  # fmt: skip


@pytest.mark.slow
def test_two_concurrent_installs_share_one_build(tmp_path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    cmd = [sys.executable, str(PARTS_SCRIPT), "install", "jmx-exporter"]
    procs = [subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=600)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert sum("building jmx-exporter" in out for out in outputs) == 1
    parts_dir = tmp_path / "workbench" / "parts"
    assert sorted(p.name for p in parts_dir.iterdir() if not p.name.endswith(".lock")) == [
        "jmx-exporter-1.0.1"
    ]
    again = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "building" not in again.stderr


def test_a_server_that_dies_is_reported_with_its_log(tmp_path) -> None:
    proc = Process("dies", ["sh", "-c", "echo boom-from-server; exit 3"], tmp_path)
    with pytest.raises(PartError, match=r"(?s)dies exited with 3.*boom-from-server") as raised:
        proc.wait(lambda: False, "never", timeout=300)
    assert "timed out" not in str(raised.value)  # reported when it died, not after the whole timeout


# ------------------------------------------------------------------------------------- the servers


@pytest.mark.slow
@pytest.mark.parts
def test_prometheus_scrapes_jmx_exporter_of_a_broker(prometheus, jmx_kafka) -> None:
    body = http(f"http://{jmx_kafka.jmx_exporter}/metrics")[1].decode()
    assert "kafka_server_replicamanager_underreplicatedpartitions" in body
    prometheus.scrape(
        "kafka-jmx", jmx_kafka.jmx_exporter.split(",")
    )  # the job name test_prometheus_parts uses: one series per metric
    start = time.time() - 5

    def series() -> set[str]:
        result = prometheus.query_range('{__name__=~"kafka_server_.*"}', start, time.time() + 1, "1s")
        return {r["metric"]["__name__"] for r in result if len(r["values"]) >= 2}

    names = wait_until(series, timeout=60, message="kafka_server_* series with 2 samples")
    assert "kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent" in names
    assert "kafka_server_brokertopicmetrics_bytesinpersec_total" in names


@pytest.mark.slow
@pytest.mark.parts
def test_jmx_exporter_reports_produce_traffic(jmx_kafka) -> None:
    from confluent_kafka import Producer

    topic = create_topic(jmx_kafka.admin(), unique_topic_name("jmx"))
    producer = Producer(jmx_kafka.client_config())
    for _ in range(50):
        producer.produce(topic, b"x" * 100)
    assert producer.flush(30) == 0
    pattern = re.compile(
        rf'kafka_server_brokertopicmetrics_messagesinpersec_total\{{topic="{re.escape(topic)}"\}} (\S+)'
    )

    def messages_in() -> float:
        found = pattern.search(http(f"http://{jmx_kafka.jmx_exporter}/metrics")[1].decode())
        return float(found.group(1)) if found else 0.0

    assert wait_until(lambda: messages_in() >= 50, timeout=30, message="MessagesIn for the topic")
    body = http(f"http://{jmx_kafka.jmx_exporter}/metrics")[1].decode()
    assert re.search(rf'kafka_log_log_size\{{partition="0",topic="{re.escape(topic)}"\}} [1-9]', body)
    assert 'kafka_network_requestmetrics_requests_total{request="Produce"' in body
    assert re.search(r'kafka_network_requestmetrics_totaltimems\{quantile="0.99",request="Produce"\}', body)


@pytest.mark.slow
@pytest.mark.parts
def test_smtp_server_receives_mail(smtp_server) -> None:
    subject = f"smoke {uuid.uuid4().hex}"
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@example.org", "b@example.org", subject
    mail.set_content("hello")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=30) as client:
        client.send_message(mail)
    got = smtp_server.wait_for(lambda m: m["Subject"] == subject)
    assert got.get_payload().strip() == "hello"


@pytest.mark.slow
@pytest.mark.parts
def test_alertmanager_lists_an_alert_and_mails_it(alertmanager, smtp_server) -> None:
    name = f"WorkbenchSmoke{uuid.uuid4().hex[:8]}"
    alertmanager.post_alerts([{"labels": {"alertname": name, "severity": "warning"}}])
    listed = wait_until(
        lambda: [a for a in alertmanager.alerts() if a["labels"]["alertname"] == name],
        timeout=30,
        message="the alert in /api/v2/alerts",
    )
    assert listed[0]["status"]["state"] == "active"
    mail = smtp_server.wait_for(lambda m: name in str(m["Subject"]))
    assert "oncall@example.org" in mail["To"]


@pytest.mark.slow
@pytest.mark.parts
@pytest.mark.fleet
def test_s3_round_trips_a_delta_table(s3_server) -> None:
    import polars as pl

    frame = pl.DataFrame({"cluster": ["a", "a", "b"], "offset": [1, 2, 3]})
    uri = s3_server.uri(f"round-trip-{uuid.uuid4().hex[:8]}")
    frame.write_delta(uri, storage_options=s3_server.storage_options)
    back = pl.read_delta(uri, storage_options=s3_server.storage_options)
    assert back.sort("offset").equals(frame)


@pytest.mark.slow
@pytest.mark.parts
@pytest.mark.fleet
def test_s3_conditional_put_keeps_every_concurrent_append(s3_server) -> None:
    """Two writers appending at once lose no commit: SeaweedFS honours delta-rs' conditional put."""
    import polars as pl

    uri = s3_server.uri(f"concurrent-{uuid.uuid4().hex[:8]}")
    pl.DataFrame({"writer": [-1], "i": [-1]}).write_delta(uri, storage_options=s3_server.storage_options)
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for i in range(8):
                frame = pl.DataFrame({"writer": [w], "i": [i]})
                frame.write_delta(uri, mode="append", storage_options=s3_server.storage_options)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(w,)) for w in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    back = pl.read_delta(uri, storage_options=s3_server.storage_options)
    assert back.height == 17
    assert back.filter(pl.col("writer") >= 0).group_by("writer").len().sort("writer")["len"].to_list() == [
        8,
        8,
    ]


@pytest.mark.slow
@pytest.mark.parts
@pytest.mark.timeout(1200)  # four JVMs (master, worker, driver, executor) start on a shared 2-core box
@pytest.mark.fleet
def test_spark_runs_a_job_on_the_standalone_cluster(spark_standalone) -> None:
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(spark_standalone.master_url)
        .appName("workbench-parts-smoke")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.executor.memory", "512m")
        .config("spark.ui.enabled", "false")
        .config("spark.pyspark.python", sys.executable)
        .getOrCreate()
    )
    try:
        assert spark.range(1000).selectExpr("sum(id) AS s").collect()[0]["s"] == 499500
        assert spark.sparkContext.parallelize(range(10), 2).map(lambda x: x * x).sum() == 285
        apps = http(f"{spark_standalone.ui_url}/json/")[1].decode()
        assert "workbench-parts-smoke" in apps
    finally:
        spark.stop()


def commit(cluster, group: str, topic: str, offset: int) -> None:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(cluster.client_config(**{"group.id": group}))
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, offset)], asynchronous=False)
    finally:
        consumer.close()


def produce(cluster, topic: str, count: int) -> None:
    from confluent_kafka import Producer

    producer = Producer(cluster.client_config())
    for i in range(count):
        producer.produce(topic, str(i).encode())
    assert producer.flush(30) == 0


@pytest.mark.slow
@pytest.mark.parts
def test_klag_exporter_reports_a_groups_lag(klag_exporter, kafka, topic_factory) -> None:
    topic = topic_factory()
    group = unique_topic_name("klag-group")
    produce(kafka, topic, 10)
    commit(kafka, group, topic, 4)
    line = re.compile(r"^kafka_consumergroup_group_lag\{([^}]*)\} (\S+)$", re.MULTILINE)

    def lag() -> float | None:
        for labels, value in line.findall(klag_exporter.metrics()):
            if f'group="{group}"' in labels and f'topic="{topic}"' in labels and 'partition="0"' in labels:
                return float(value)
        return None

    assert wait_until(lambda: lag() == 6.0, timeout=180, message=f"lag 6 for {group}")


@pytest.mark.slow
@pytest.mark.parts
def test_burrow_lists_a_group_and_evaluates_it(burrow, kafka391) -> None:
    topic = create_topic(kafka391.admin(), unique_topic_name("burrow"))
    group = unique_topic_name("burrow-group")
    produce(kafka391, topic, 10)
    committed = [0]

    def listed() -> bool:  # Burrow skips commits to topics younger than topic-refresh: keep committing
        committed[0] = min(committed[0] + 1, 10)
        commit(kafka391, group, topic, committed[0])
        return group in burrow.consumers()

    wait_until(listed, timeout=90, interval=1.0, message=f"Burrow to list {group}")
    status = wait_until(lambda: burrow.lag(group), timeout=60, message=f"Burrow's status of {group}")
    assert status["group"] == group
    assert status["status"] in {"OK", "WARN", "ERR", "STOP", "STALL", "REWIND", "NOTFOUND"}
    assert [p["topic"] for p in status["partitions"]] == [topic]
