"""Secured clusters: SASL PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512 through --command-config, against the
real local broker's SASL_PLAINTEXT listener; SSL against its SSL listener (a self-signed certificate
made by kafka-local); and the SSL client.properties mapping.

Every CLI run is a subprocess (`python -m workbench -vv ...`), all started at once so the module stays
fast. Right credentials collect offsets and configs; a wrong password fails at once with a one-line
authentication error; no secret reaches the data files, the -vv logs or a rendered report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from kafka_local import SASL_USERS, KafkaLocal, create_topic, unique_topic_name, wait_until

from workbench.config import load_settings

pytestmark = pytest.mark.kafka

MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
SECRETS = tuple(SASL_USERS.values())
WRONG = "not-the-password-42"
PASSWORD_ENV = "WB_TEST_KAFKA_PASSWORD"
GROUP = "sasl-orders-svc"
RUN_TIMEOUT = 90  # generous: a wrong password must fail in seconds, but CI machines can be slow


def _module(mechanism: str) -> str:
    kind = "plain.PlainLoginModule" if mechanism == "PLAIN" else "scram.ScramLoginModule"
    return f"org.apache.kafka.common.security.{kind}"


def _properties(directory: Path, mechanism: str, password_ref: str) -> Path:
    """A Java client.properties as Kafka's CLI tools take it; the password is a ${...} reference."""
    path = directory / f"client-{mechanism}-{abs(hash(password_ref)) % 10**6}.properties"
    path.write_text(
        "# Kafka client.properties (Java keys)\n"
        "security.protocol=SASL_PLAINTEXT\n"
        f"sasl.mechanism={mechanism}\n"
        f"sasl.jaas.config={_module(mechanism)} required \\\n"
        f'    username="alice" password="{password_ref}";\n'
    )
    return path


@dataclass(frozen=True)
class Run:
    """One finished CLI run."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class SaslRuns:
    """Every run of the module, by (mechanism, command, "ok"/"wrong")."""

    data_dir: Path
    runs: dict[tuple[str, str, str], Run]


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "workbench", "-vv", *args]
    return subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def _commit_as_alice(kafka: KafkaLocal, topic: str) -> None:
    """Commit an offset for GROUP over the SASL listener (retried: a fresh coordinator may not be ready)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(kafka.sasl_config("SCRAM-SHA-256", **{"group.id": GROUP}))
    try:
        wait_until(
            lambda: consumer.commit(offsets=[TopicPartition(topic, 0, 0)], asynchronous=False),
            timeout=30,
            message=f"a commit of {GROUP}",
        )
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def sasl_runs(kafka_sasl: KafkaLocal, tmp_path_factory: pytest.TempPathFactory) -> SaslRuns:
    """Run collect offsets and collect configs per mechanism, with the right and a wrong password."""
    work = tmp_path_factory.mktemp("sasl")
    topic = create_topic(kafka_sasl.admin(), unique_topic_name("sasl-orders"), partitions=2)
    _commit_as_alice(kafka_sasl, topic)
    secret_file = work / "kafka-password"
    secret_file.write_text(SASL_USERS["alice"] + "\n")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    data = work / "data"
    procs = {}
    for mechanism in MECHANISMS:
        # PLAIN reads the password from a file, SCRAM from an environment variable
        ref = f"${{file:{secret_file}}}" if mechanism == "PLAIN" else f"${{env:{PASSWORD_ENV}}}"
        for outcome, password in (("ok", SASL_USERS["alice"]), ("wrong", WRONG)):
            props = _properties(work, mechanism, ref if outcome == "ok" else f"${{env:{PASSWORD_ENV}}}")
            env = {**base_env, PASSWORD_ENV: password}
            common = ["--bootstrap-server", kafka_sasl.bootstrap_sasl, "--command-config", str(props)]
            common += ["--cluster", f"{mechanism}-{outcome}", "--data-dir", str(data), "--timeout", "20s"]
            procs[(mechanism, "offsets", outcome)] = _start(
                ["collect", "offsets", *common, "--count", "1"], env
            )
            procs[(mechanism, "configs", outcome)] = _start(["collect", "configs", *common], env)
    runs = {}
    for key, proc in procs.items():
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
        runs[key] = Run(tuple(proc.args), proc.returncode, out, err)  # type: ignore[arg-type]
    return SaslRuns(data, runs)


def _keys(command: str, outcome: str) -> list[tuple[str, str, str]]:
    return [(m, command, outcome) for m in MECHANISMS]


@pytest.mark.parametrize("key", _keys("offsets", "ok") + _keys("configs", "ok"), ids=str)
def test_right_credentials_collect(sasl_runs: SaslRuns, key: tuple[str, str, str]) -> None:
    run = sasl_runs.runs[key]
    assert run.returncode == 0, run.stderr[-2000:]
    assert "done: 1 snapshots written, 0 failed" in run.stderr
    mechanism, command, _ = key
    dataset = "offsets" if command == "offsets" else "configs"
    assert list((sasl_runs.data_dir / dataset / f"cluster={mechanism}-ok").rglob("*.parquet"))


def test_offsets_over_sasl_see_the_group(sasl_runs: SaslRuns) -> None:
    from workbench.store import Store

    offsets = Store(sasl_runs.data_dir).read("offsets", cluster="SCRAM-SHA-512-ok")
    assert GROUP in offsets["group"].to_list()


@pytest.mark.parametrize("key", _keys("offsets", "wrong") + _keys("configs", "wrong"), ids=str)
def test_wrong_password_fails_with_one_line(sasl_runs: SaslRuns, key: tuple[str, str, str]) -> None:
    run = sasl_runs.runs[key]
    assert run.returncode == 2, run.stderr[-2000:]
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, run.stderr[-2000:]
    assert "refused authentication" in errors[0] and "check the username, password" in errors[0]
    assert run.stderr.rstrip().endswith(errors[0])  # the last thing the user sees
    assert WRONG not in run.stderr and WRONG not in run.stdout
    assert not (sasl_runs.data_dir / "offsets" / f"cluster={key[0]}-wrong").exists()


def test_no_secret_in_logs(sasl_runs: SaslRuns) -> None:
    for key, run in sasl_runs.runs.items():
        text = run.stdout + run.stderr
        if key[2] == "wrong":  # librdkafka's connection log reaches -vv output on a failure
            assert "DEBUG" in run.stderr, f"{key}: -vv gave no debug log"
        for secret in (*SECRETS, WRONG):
            assert secret not in text, f"{key}: {secret!r} in the output"


def _parquet_text(path: Path) -> str:
    table = pq.read_table(path)
    return f"{table.schema.metadata}\n{table.to_pylist()}"


def test_no_secret_in_data_files(sasl_runs: SaslRuns) -> None:
    files = [p for p in sasl_runs.data_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files)
    for path in files:
        text = _parquet_text(path) if path.suffix == ".parquet" else path.read_text(errors="replace")
        raw = path.read_bytes()
        for secret in (*SECRETS, WRONG):
            assert secret not in text and secret.encode() not in raw, f"{secret!r} in {path}"
    # the broker's own JAAS config (it holds every user's password) is stored without its value
    from workbench.store import Store

    configs = Store(sasl_runs.data_dir).read("configs", cluster="PLAIN-ok")
    jaas = configs.filter(configs["name"].str.ends_with("sasl.jaas.config"))
    assert jaas.height >= 1 and jaas["value"].null_count() == jaas.height


def test_no_secret_in_a_rendered_report(sasl_runs: SaslRuns, tmp_path: Path) -> None:
    from workbench.report import render

    rendered = render("config-health", {"data_dir": str(sasl_runs.data_dir), "cluster": "PLAIN-ok"}, tmp_path)
    for path in (rendered.html, rendered.notebook, rendered.meta, tmp_path / "index.html"):
        text = path.read_text(encoding="utf-8")
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} in {path}"


# -- SSL: the real broker's SSL listener (self-signed certificate), then the mapping ---------------------
@pytest.fixture(scope="module")
def ssl_runs(kafka_sasl: KafkaLocal, tmp_path_factory: pytest.TempPathFactory) -> SaslRuns:
    """collect offsets and configs over SSL with the listener's CA, and offsets without it."""
    work = tmp_path_factory.mktemp("ssl")
    create_topic(kafka_sasl.admin(), unique_topic_name("ssl-orders"), partitions=2)
    trusted, untrusted = work / "client-ssl.properties", work / "client-ssl-no-ca.properties"
    trusted.write_text(f"security.protocol=SSL\nssl.ca.location={kafka_sasl.ssl_ca}\n")
    untrusted.write_text("security.protocol=SSL\n")  # the system CAs do not know a self-signed one
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    data = work / "data"
    procs = {}
    for outcome, props in (("ok", trusted), ("wrong", untrusted)):
        common = ["--bootstrap-server", kafka_sasl.bootstrap_ssl, "--command-config", str(props)]
        common += ["--cluster", f"ssl-{outcome}", "--data-dir", str(data), "--timeout", "20s"]
        procs[("SSL", "offsets", outcome)] = _start(["collect", "offsets", *common, "--count", "1"], env)
        if outcome == "ok":
            procs[("SSL", "configs", outcome)] = _start(["collect", "configs", *common], env)
    runs = {}
    for key, proc in procs.items():
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
        runs[key] = Run(tuple(proc.args), proc.returncode, out, err)  # type: ignore[arg-type]
    return SaslRuns(data, runs)


def test_collect_over_ssl_with_the_listener_ca(ssl_runs: SaslRuns) -> None:
    from workbench.store import Store

    for command in ("offsets", "configs"):
        run = ssl_runs.runs[("SSL", command, "ok")]
        assert run.returncode == 0, run.stderr[-2000:]
        assert "done: 1 snapshots written, 0 failed" in run.stderr
    store = Store(ssl_runs.data_dir)
    ends = store.read("partition_offsets", cluster="ssl-ok")
    assert ends.filter(ends["topic"].str.starts_with("ssl-orders")).height == 2
    # log dirs come through the second client (kafka-python), over the same SSL settings
    log_dirs = store.read("log_dirs", cluster="ssl-ok")
    assert log_dirs.filter(log_dirs["topic"].str.starts_with("ssl-orders")).height == 2


def test_untrusted_certificate_fails_with_one_line_naming_the_ca_setting(ssl_runs: SaslRuns) -> None:
    run = ssl_runs.runs[("SSL", "offsets", "wrong")]
    assert run.returncode == 2, run.stderr[-2000:]
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and run.stderr.rstrip().endswith(errors[0]), run.stderr[-2000:]
    assert "TLS handshake" in errors[0] and "certificate verify failed" in errors[0]
    assert "ssl.ca.location" in errors[0] and "password" not in errors[0]
    assert not (ssl_runs.data_dir / "offsets" / "cluster=ssl-wrong").exists()


# -- SSL: the client.properties mapping ---------------------------------------------------------------
SSL_PROPERTIES = """\
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\
    username="capacity-reader" password="${env:KAFKA_PASSWORD}";
ssl.ca.location=/etc/kafka/ca.pem
ssl.keystore.location=/etc/kafka/client.p12
ssl.keystore.password=${file:SECRET_FILE}
ssl.endpoint.identification.algorithm=
ssl.truststore.type=PKCS12
"""


def test_ssl_properties_map_to_librdkafka(tmp_path: Path) -> None:
    secret = tmp_path / "keystore-password"
    secret.write_text("ks-pass\n")
    path = tmp_path / "client.properties"
    path.write_text(SSL_PROPERTIES.replace("SECRET_FILE", str(secret)))
    settings = load_settings("b1:9093", path, environ={"KAFKA_PASSWORD": "scram-pass"})
    assert settings.librdkafka() == {
        "bootstrap.servers": "b1:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "capacity-reader",
        "sasl.password": "scram-pass",
        "ssl.ca.location": "/etc/kafka/ca.pem",
        "ssl.keystore.location": "/etc/kafka/client.p12",
        "ssl.keystore.password": "ks-pass",
        "ssl.endpoint.identification.algorithm": "none",
    }
    shown = repr(settings)
    assert "scram-pass" not in shown and "ks-pass" not in shown and shown.count("***") == 2
