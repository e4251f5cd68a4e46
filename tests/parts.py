"""Real servers for tests, started from the parts `scripts/parts` installs (see docs/parts.md).

Each `start_*` function starts one server on free 127.0.0.1 ports in the given directory, waits until
it answers (never a fixed sleep) and returns an object with its addresses and a `stop()`. The
session-scoped fixtures in tests/conftest.py wrap them. Kafka-side parts are in tests/parts_kafka.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from kafka_local import wait_until

REPO_ROOT = Path(__file__).resolve().parents[1]
PARTS_SCRIPT = REPO_ROOT / "scripts" / "parts"
HOST = "127.0.0.1"


class PartError(RuntimeError):
    """A part is missing or a server did not come up; the message carries the server's log tail."""


class PartExited(PartError):
    """A server process exited while a test waited on it: reported at once, with its log tail."""


def part_path(name: str) -> Path:
    """Path of an installed part; installs it first if missing (a no-op once cached)."""
    parts = [sys.executable, str(PARTS_SCRIPT)]
    proc = subprocess.run([*parts, "path", name], capture_output=True, text=True)
    if proc.returncode != 0:
        proc = subprocess.run([*parts, "install", name], capture_output=True, text=True)
        if proc.returncode == 0:
            proc = subprocess.run([*parts, "path", name], capture_output=True, text=True)
    if proc.returncode != 0:
        raise PartError(f"part {name}: {proc.stderr.strip().splitlines()[-1:]}")
    return Path(proc.stdout.strip())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


def http(
    url: str, data: Any = None, *, method: str | None = None, timeout: float = 10.0
) -> tuple[int, bytes]:
    """(status, body) of one request; `data` is sent as JSON unless bytes. No exception on 4xx/5xx."""
    body = data if data is None or isinstance(data, bytes) else json.dumps(data).encode()
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None and not isinstance(data, bytes):
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def http_ok(url: str) -> bool:
    try:
        return http(url, timeout=2.0)[0] == 200
    except OSError:
        return False


class Process:
    """One server process in its own session, output in DIR/NAME.log; stop() ends its whole group."""

    def __init__(self, name: str, cmd: Sequence[str], directory: Path, *, env: dict | None = None):
        self.name = name
        self.log = directory / f"{name}.log"
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [str(c) for c in cmd],
                cwd=directory,
                env={**os.environ, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait(self, predicate: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
        """Wait until predicate() is truthy; PartError (with the log tail) on timeout or server exit."""

        def check() -> Any:
            if self.proc.poll() is not None:
                raise PartExited(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            return predicate()

        try:
            return wait_until(
                check, timeout=timeout, interval=0.25, message=f"{self.name}: {what}", fatal=(PartExited,)
            )
        except AssertionError as e:
            self.stop()
            cause = e if self.proc.returncode is None else None
            raise PartError(f"{e}\n{self.name} log:\n{self.log_tail()}") from cause

    def stop(self, grace: float = 15.0) -> None:
        if self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


# ------------------------------------------------------------------------------------- Prometheus


class Prometheus:
    """A Prometheus server; `scrape()` adds a job and waits until all its targets are up."""

    def __init__(self, directory: Path, scrape_interval: str = "1s"):
        self.dir = directory
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.scrape_interval = scrape_interval
        self.jobs: dict[str, list[str]] = {}
        self._write_config()
        cmd = [
            part_path("prometheus"), f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={directory / 'data'}", f"--web.listen-address={HOST}:{self.port}",
            "--web.enable-lifecycle", "--log.level=warn",
        ]  # fmt: skip
        self.process = Process("prometheus", cmd, directory)
        self.process.wait(lambda: http_ok(f"{self.url}/-/ready"), "/-/ready")

    def _write_config(self) -> None:
        jobs = [
            {"job_name": job, "static_configs": [{"targets": targets}]} for job, targets in self.jobs.items()
        ]
        config = {"global": {"scrape_interval": self.scrape_interval}, "scrape_configs": jobs}
        (self.dir / "prometheus.yml").write_text(json.dumps(config, indent=1) + "\n")  # JSON is YAML

    def scrape(self, job: str, targets: Sequence[str], timeout: float = 60.0) -> None:
        """Scrape `targets` ("127.0.0.1:PORT") as `job`; returns once every target is up."""
        self.jobs[job] = list(targets)
        self._write_config()
        status, body = http(f"{self.url}/-/reload", b"", method="POST")
        if status != 200:
            raise PartError(f"prometheus reload failed ({status}): {body[:300]!r}")

        def all_up() -> bool:
            active = self.api("targets", state="active")["activeTargets"]
            up = {t["labels"]["instance"] for t in active if t["scrapePool"] == job and t["health"] == "up"}
            return up == set(targets)

        self.process.wait(all_up, f"targets of job {job} up", timeout=timeout)

    def api(self, endpoint: str, **params: Any) -> Any:
        """GET /api/v1/<endpoint>?params and return its `data` (PartError unless status is success)."""
        query = urllib.parse.urlencode(params)
        status, body = http(f"{self.url}/api/v1/{endpoint}?{query}")
        reply = json.loads(body)
        if status != 200 or reply.get("status") != "success":
            raise PartError(f"prometheus {endpoint}: {status} {reply.get('error')}")
        return reply["data"]

    def query_range(self, expr: str, start: float, end: float, step: str = "1s") -> list[dict]:
        return self.api("query_range", query=expr, start=start, end=end, step=step)["result"]

    def stop(self) -> None:
        self.process.stop()


def start_prometheus(directory: Path, scrape_interval: str = "1s") -> Prometheus:
    directory.mkdir(parents=True, exist_ok=True)
    return Prometheus(directory, scrape_interval)


# --------------------------------------------------------------------------------- node_exporter


class NodeExporter:
    """node_exporter with the filesystem and netdev collectors only, on 127.0.0.1:`port`."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.target = f"{HOST}:{self.port}"
        cmd = [
            part_path("node-exporter"), "--collector.disable-defaults", "--collector.filesystem",
            "--collector.netdev", f"--web.listen-address={self.target}",
        ]  # fmt: skip
        self.process = Process("node-exporter", cmd, directory)
        self.process.wait(lambda: http_ok(f"http://{self.target}/metrics"), "/metrics")

    def stop(self) -> None:
        self.process.stop()


def start_node_exporter(directory: Path) -> NodeExporter:
    directory.mkdir(parents=True, exist_ok=True)
    return NodeExporter(directory)


# ------------------------------------------------------------------------------------ Alertmanager


class Alertmanager:
    """An Alertmanager (clustering off); with `smtp` its one receiver mails every alert there."""

    def __init__(self, directory: Path, smtp: SmtpServer | None = None, email_to: str = "oncall@example.org"):
        self.dir = directory
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        receiver: dict[str, Any] = {"name": "default"}
        if smtp is not None:
            receiver["email_configs"] = [
                {"to": email_to, "from": "alertmanager@example.org", "smarthost": f"{HOST}:{smtp.port}",
                 "require_tls": False, "send_resolved": True},
            ]  # fmt: skip
        route = {"receiver": "default", "group_by": ["alertname"], "group_wait": "1s",
                 "group_interval": "1s", "repeat_interval": "1h"}  # fmt: skip
        config = {"route": route, "receivers": [receiver]}
        (directory / "alertmanager.yml").write_text(json.dumps(config, indent=1) + "\n")
        cmd = [
            part_path("alertmanager"), f"--config.file={directory / 'alertmanager.yml'}",
            f"--storage.path={directory / 'data'}", f"--web.listen-address={HOST}:{self.port}",
            "--cluster.listen-address=", "--log.level=warn",
        ]  # fmt: skip
        self.process = Process("alertmanager", cmd, directory)
        self.process.wait(lambda: http_ok(f"{self.url}/api/v2/status"), "/api/v2/status")

    def post_alerts(self, alerts: list[dict]) -> None:
        status, body = http(f"{self.url}/api/v2/alerts", alerts)
        if status != 200:
            raise PartError(f"alertmanager POST /api/v2/alerts: {status} {body[:300]!r}")

    def alerts(self) -> list[dict]:
        status, body = http(f"{self.url}/api/v2/alerts")
        if status != 200:
            raise PartError(f"alertmanager GET /api/v2/alerts: {status} {body[:300]!r}")
        return json.loads(body)

    def stop(self) -> None:
        self.process.stop()


def start_alertmanager(directory: Path, smtp: SmtpServer | None = None) -> Alertmanager:
    directory.mkdir(parents=True, exist_ok=True)
    return Alertmanager(directory, smtp)


# -------------------------------------------------------------------------------------------- SMTP


class SmtpServer:
    """aiosmtpd in a thread of the test process; every accepted mail lands in `messages`."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self.host = HOST
        self._controller = Controller(self, hostname=HOST, port=self.port)
        self._controller.start()  # returns once the server answers

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def wait_for(self, match: Callable[[Message], bool], timeout: float = 60.0) -> Message:
        """Wait for a received mail for which match(mail) is true and return it."""

        def found() -> Message | None:
            with self._lock:
                return next((m for m in self.messages if match(m)), None)

        return wait_until(found, timeout=timeout, message="a matching mail")

    def stop(self) -> None:
        self._controller.stop()


def start_smtp() -> SmtpServer:
    return SmtpServer()
