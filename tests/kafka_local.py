"""Python API over scripts/kafka-local for tests: start/stop a local Kafka, run tool classes, make topics.

Everything goes through the script in a subprocess, so the script itself is what the tests exercise.

    k = KafkaLocal(tmp_path / "kafka")
    k.start(brokers=1)            # -> "127.0.0.1:PORT"
    k.run_tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", k.bootstrap, "--list")
    k.stop()
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT = REPO_ROOT / "scripts" / "kafka-local"

TOPIC_COMMAND = "org.apache.kafka.tools.TopicCommand"
CONSUMER_GROUP_COMMAND = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"

SASL_USERS = {"admin": "admin-secret", "alice": "alice-secret"}

T = TypeVar("T")


class KafkaLocalError(RuntimeError):
    """The kafka-local script failed; the message carries its stdout/stderr (incl. the broker log tail)."""


_STOPPING: list[tuple[KafkaLocal, subprocess.Popen[str]]] = []


def wait_for_stops(timeout: float = 120.0) -> list[str]:
    """Wait for the stops begun by :meth:`KafkaLocal.stop_in_background`; one message per failure."""
    failures = []
    deadline = time.monotonic() + timeout
    while _STOPPING:
        cluster, proc = _STOPPING.pop()
        try:
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            failures.append(f"`kafka-local stop --dir {cluster.dir}` did not finish within {timeout:.0f}s")
            continue
        if proc.returncode != 0:
            failures.append(
                f"`kafka-local stop --dir {cluster.dir}` failed with exit {proc.returncode}\n{out}{err}"
            )
    return failures


def missing_prerequisites() -> list[str]:
    """Names of the programs kafka-local needs that are not on PATH (java always, mvn for the first fetch)."""
    return [tool for tool in ("java", "mvn") if shutil.which(tool) is None]


def require_prerequisites() -> None:
    missing = missing_prerequisites()
    if missing:
        raise KafkaLocalError(
            f"{' and '.join(missing)} not found on PATH: the Kafka tests need Java 17+ and Maven "
            "(apt-get install openjdk-17-jre-headless maven). They are not skipped on purpose."
        )


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float,
    interval: float = 0.2,
    message: str = "condition",
    fatal: tuple[type[BaseException], ...] = (),
) -> T:
    """Call predicate until it returns something truthy and return that; AssertionError after timeout.

    Exceptions from the predicate count as "not yet" and the last one is reported on timeout, except
    those in `fatal` (e.g. "the server exited"): they are raised at once, waiting longer cannot help."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = predicate()
            if last:
                return last
        except fatal:
            raise
        except Exception as e:
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f}s waiting for {message}; last value: {last!r}"
            )
        time.sleep(interval)


def unique_topic_name(hint: str = "t") -> str:
    """A topic name unique per call: sanitised hint (e.g. the test name) plus a random suffix."""
    base = re.sub(r"[^a-zA-Z0-9._-]+", "-", hint).strip("-.")[:80] or "t"
    return f"{base}-{uuid.uuid4().hex[:10]}"


class KafkaLocal:
    """One kafka-local cluster in its own state dir (several can run at once)."""

    def __init__(
        self, directory: str | os.PathLike[str], *, version: str | None = None, script: Path = SCRIPT
    ):
        self.dir = Path(directory)
        self.script = Path(script)
        self.version = version
        self.brokers = 0
        self._bootstrap: str | None = None
        self._bootstrap_sasl: str | None = None
        self._bootstrap_ssl: str | None = None
        self._ssl_ca: Path | None = None
        self._jmx_exporter: str | None = None

    # ---------------------------------------------------------------- script calls
    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.version:
            env["KAFKA_VERSION"] = self.version
        return env

    def _script(self, *args: str, timeout: float, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, str(self.script), *args]
        try:
            proc = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=self._env(),
            )
        except subprocess.TimeoutExpired as e:
            raise KafkaLocalError(
                f"`kafka-local {' '.join(args)}` did not finish within {timeout:.0f}s\n"
                f"stdout:\n{e.stdout}\nstderr:\n{e.stderr}"
            ) from e
        if check and proc.returncode != 0:
            raise KafkaLocalError(
                f"`kafka-local {' '.join(args)}` failed with exit {proc.returncode}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def start(
        self,
        brokers: int = 1,
        *,
        sasl: bool = False,
        ssl: bool = False,
        jmx_exporter: bool = False,
        timeout: float = 240.0,
    ) -> str:
        """Format and start a fresh cluster; returns the PLAINTEXT bootstrap servers."""
        args = ["start", "--brokers", str(brokers), "--dir", str(self.dir), "--timeout", str(timeout * 0.75)]
        for flag, wanted in (("--sasl", sasl), ("--ssl", ssl), ("--jmx-exporter", jmx_exporter)):
            if wanted:
                args.append(flag)
        proc = self._script(*args, timeout=timeout)
        lines = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
        if not lines:
            raise KafkaLocalError(f"kafka-local start printed no bootstrap servers\nstderr:\n{proc.stderr}")
        self._bootstrap = lines[-1]
        self._bootstrap_sasl = next((ln.split("=", 1)[1] for ln in lines if ln.startswith("sasl=")), None)
        if sasl and not self._bootstrap_sasl:
            raise KafkaLocalError(f"kafka-local start --sasl printed no sasl= line:\n{proc.stdout}")
        ssl_line = next((ln for ln in lines if ln.startswith("ssl=")), None)
        if ssl and not ssl_line:
            raise KafkaLocalError(f"kafka-local start --ssl printed no ssl= line:\n{proc.stdout}")
        if ssl_line:  # ssl=HOST:PORT[,...] ca=PATH
            servers, ca = ssl_line.split()
            self._bootstrap_ssl, self._ssl_ca = servers.split("=", 1)[1], Path(ca.split("=", 1)[1])
        self._jmx_exporter = next((ln.split("=", 1)[1] for ln in lines if ln.startswith("jmx=")), None)
        if jmx_exporter and not self._jmx_exporter:
            raise KafkaLocalError(f"kafka-local start --jmx-exporter printed no jmx= line:\n{proc.stdout}")
        self.brokers = brokers
        return self._bootstrap

    def stop(self, timeout: float = 120.0) -> None:
        """Stop every broker of this cluster (idempotent)."""
        self._script("stop", "--dir", str(self.dir), timeout=timeout)

    def stop_in_background(self) -> None:
        """Start stopping every broker and return; :func:`wait_for_stops` waits (a session's clusters
        stop side by side at its end: a 3-broker cluster's controlled shutdown alone takes ~7 s)."""
        cmd = [sys.executable, str(self.script), "stop", "--dir", str(self.dir)]
        out = subprocess.PIPE
        _STOPPING.append(
            (
                self,
                subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, text=True, env=self._env()
                ),
            )
        )

    def stop_broker(self, broker_id: int, timeout: float = 120.0) -> None:
        self._script("stop-broker", str(broker_id), "--dir", str(self.dir), timeout=timeout)

    def start_broker(self, broker_id: int, timeout: float = 180.0) -> None:
        """Start a stopped broker again; returns once it is back in the cluster metadata."""
        args = ["start-broker", str(broker_id), "--dir", str(self.dir), "--timeout", str(timeout * 0.75)]
        self._script(*args, timeout=timeout)

    def status(self, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        return self._script("status", "--dir", str(self.dir), timeout=timeout, check=False)

    def run_tool(
        self, classname: str, *args: str, timeout: float = 120.0, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run a Kafka tool class (java -cp <jars> CLASS ARGS...); stdout/stderr as text."""
        return self._script("tool", classname, *args, timeout=timeout, check=check)

    # ---------------------------------------------------------------- addresses / clients
    @property
    def bootstrap(self) -> str:
        if self._bootstrap is None:
            raise KafkaLocalError(f"the cluster in {self.dir} was not started")
        return self._bootstrap

    @property
    def bootstrap_sasl(self) -> str:
        if self._bootstrap_sasl is None:
            raise KafkaLocalError(f"the cluster in {self.dir} was not started with sasl=True")
        return self._bootstrap_sasl

    @property
    def bootstrap_ssl(self) -> str:
        if self._bootstrap_ssl is None:
            raise KafkaLocalError(f"the cluster in {self.dir} was not started with ssl=True")
        return self._bootstrap_ssl

    @property
    def jmx_exporter(self) -> str:
        """The brokers' JMX exporter addresses, "127.0.0.1:PORT[,...]" (metrics at http://ADDR/metrics)."""
        if self._jmx_exporter is None:
            raise KafkaLocalError(f"the cluster in {self.dir} was not started with jmx_exporter=True")
        return self._jmx_exporter

    @property
    def ssl_ca(self) -> Path:
        """The PEM of the SSL listener's self-signed certificate (the clients' ssl.ca.location)."""
        if self._ssl_ca is None:
            raise KafkaLocalError(f"the cluster in {self.dir} was not started with ssl=True")
        return self._ssl_ca

    def client_config(self, **extra: Any) -> dict[str, Any]:
        """confluent-kafka config for the PLAINTEXT listener (librdkafka logging quietened)."""
        return {"bootstrap.servers": self.bootstrap, "log_level": 3, **extra}

    def sasl_config(self, mechanism: str = "PLAIN", user: str = "alice", **extra: Any) -> dict[str, Any]:
        """confluent-kafka config for the SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)."""
        return {
            "bootstrap.servers": self.bootstrap_sasl,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": mechanism,
            "sasl.username": user,
            "sasl.password": SASL_USERS.get(user, ""),
            "log_level": 3,
            **extra,
        }

    def admin(self, **extra: Any):
        from confluent_kafka.admin import AdminClient

        return AdminClient(self.client_config(**extra))

    def __repr__(self) -> str:
        return f"KafkaLocal(dir={str(self.dir)!r}, brokers={self.brokers}, bootstrap={self._bootstrap!r})"


# -------------------------------------------------------------------- topic helpers (confluent-kafka)


def partition_isrs(admin, topic: str, timeout: float = 10.0) -> dict[int, list[int]]:
    """{partition: sorted ISR broker ids} from a fresh Metadata request."""
    md = admin.list_topics(topic=topic, timeout=timeout)
    tmd = md.topics[topic]
    if tmd.error is not None:
        raise RuntimeError(f"topic {topic}: {tmd.error}")
    return {p.id: sorted(p.isrs) for p in tmd.partitions.values()}


def create_topic(
    admin,
    name: str,
    partitions: int = 1,
    replication_factor: int = 1,
    config: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> str:
    """Create a topic and wait until every partition has a leader and a full ISR in the metadata."""
    from confluent_kafka.admin import NewTopic

    new = NewTopic(
        name, num_partitions=partitions, replication_factor=replication_factor, config=config or {}
    )
    futures = admin.create_topics([new], request_timeout=timeout, operation_timeout=timeout)
    futures[name].result(timeout=timeout)

    def ready():
        md = admin.list_topics(topic=name, timeout=10)
        tmd = md.topics.get(name)
        if tmd is None or tmd.error is not None or len(tmd.partitions) != partitions:
            return False
        return all(p.leader >= 0 and len(p.isrs) == replication_factor for p in tmd.partitions.values())

    wait_until(ready, timeout=timeout, message=f"topic {name} to have leaders and full ISRs")
    return name


def delete_topics(admin, names: list[str], timeout: float = 10.0) -> None:
    """Best-effort delete (used in teardown): errors are ignored."""
    if not names:
        return
    try:
        futures = admin.delete_topics(names, request_timeout=timeout, operation_timeout=timeout)
        for f in futures.values():
            try:
                f.result(timeout=timeout)
            except Exception:
                pass
    except Exception:
        pass
