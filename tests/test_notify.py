"""Notifications: findings files beside reports, and real receivers (Alertmanager, SMTP, a webhook).

Alertmanager is Debian's ``prometheus-alertmanager`` started by the test; SMTP is aiosmtpd's real
server; the webhook receiver is a plain HTTP server that records what it is sent.
"""

from __future__ import annotations

import email
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.errors import ConfigError
from workbench.report import ReportSpec, render
from workbench.report.notify import at_or_above, parse_target, send

ROOT = Path(__file__).resolve().parents[1]
FINDINGS_NB = ROOT / "tests" / "data" / "notebooks" / "findings.ipynb"
CATALOG = {"findings": ReportSpec("findings", FINDINGS_NB, "Findings report", "Findings for tests")}
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(check: Any, what: str, deadline_s: float = 30.0) -> Any:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# -- receivers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quiet_alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Alertmanager on 127.0.0.1 (clustering off); yields its base URL."""
    assert ALERTMANAGER, "prometheus-alertmanager is not installed (scripts/setup-system installs it)"
    work = tmp_path_factory.mktemp("alertmanager")
    config = work / "alertmanager.yml"
    config.write_text("route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n")
    port = _free_port()
    proc = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={work / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert proc.poll() is None, "alertmanager exited at start"
        try:
            return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    _wait(ready, "Alertmanager to be ready")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd hook
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def mailbox_server() -> Iterator[tuple[int, _Mailbox]]:
    """aiosmtpd's real SMTP server on 127.0.0.1; yields (port, mailbox)."""
    from aiosmtpd.controller import Controller

    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port, mailbox
    controller.stop()


@pytest.fixture(scope="module")
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An HTTP server that records JSON bodies posted to it; yields (url, bodies)."""
    bodies: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/SECRETTOKEN", bodies
    server.shutdown()


# -- unit ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind", "shown"),
    [
        ("https://hooks.example/services/T/B/TOKEN", "webhook", "webhook at https://hooks.example"),
        ("alertmanager+http://am:9093", "alertmanager", "alertmanager at http://am:9093"),
        ("mailto:a@x.org,b@x.org?smtp=mail.x.org:587&tls=starttls", "mail", "mail to a@x.org, b@x.org"),
    ],
)
def test_parse_target(url: str, kind: str, shown: str) -> None:
    target = parse_target(url)
    assert target.kind == kind
    assert target.describe().startswith(shown)
    assert "TOKEN" not in target.describe()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x/y", "use https://"),
        ("mailto:a@x.org", r"needs addresses and \?smtp="),
        ("mailto:a@x.org?smtp=h:port", "not a number"),
        ("mailto:a@x.org?smtp=h:25&tls=maybe", "tls must be"),
    ],
)
def test_parse_target_rejects(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_target(url)


@pytest.mark.parametrize(
    ("level", "kept"),
    [("critical", ["c"]), ("warning", ["c", "w"]), ("info", ["c", "w", "i", "odd"]), ("ok", None)],
)
def test_at_or_above(level: str, kept: list[str] | None) -> None:
    findings = [
        {"level": "critical", "text": "c"},
        {"level": "warning", "text": "w"},
        {"level": "info", "text": "i"},
        {"level": "ok", "text": "o"},
        {"level": "surprising", "text": "odd"},  # unknown levels count as info
    ]
    chosen = [f["text"] for f in at_or_above(findings, level)]
    assert chosen == (kept if kept is not None else ["c", "w", "i", "o", "odd"])


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_render_writes_findings_file(tmp_path: Path) -> None:
    rendered = render("findings", {}, out_dir=tmp_path, catalog=CATALOG)
    doc = json.loads(rendered.findings_file.read_text())  # type: ignore[union-attr]
    assert doc["report"] == "findings"
    assert [f["level"] for f in doc["findings"]] == ["critical", "warning", "info"]
    assert doc["findings"][0]["text"] == "group <b>evil</b> is 3 h behind"  # raw text, escaped only in HTML
    assert doc["counts"] == {"ok": 0, "info": 1, "warning": 1, "critical": 1}


def test_bad_notify_url_fails_before_rendering(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "lag-trend", "--out", str(tmp_path), "--notify", "ftp://x"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "use https://" in result.output
    assert not list(tmp_path.iterdir())


# -- real receivers --------------------------------------------------------------------------------


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_alertmanager_receives_findings(quiet_alertmanager: str, tmp_path: Path) -> None:
    rendered = render("findings", {}, out_dir=tmp_path, catalog=CATALOG)
    chosen = at_or_above(rendered.findings, "warning")
    send(parse_target(f"alertmanager+{quiet_alertmanager}"), rendered.summary or {}, chosen, rendered.html)
    alerts = _wait(
        lambda: httpx.get(f"{quiet_alertmanager}/api/v2/alerts", params={"filter": "report=findings"}).json(),
        "alerts to show up",
    )
    assert sorted(a["labels"]["severity"] for a in alerts) == ["critical", "warning"]
    assert {a["annotations"]["summary"] for a in alerts} >= {"group <b>evil</b> is 3 h behind"}


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_mail_carries_findings_and_report(mailbox_server: tuple[int, _Mailbox], tmp_path: Path) -> None:
    port, mailbox = mailbox_server
    rendered = render("findings", {}, out_dir=tmp_path, catalog=CATALOG)
    target = parse_target(f"mailto:ops@example.org?smtp=127.0.0.1:{port}&from=wb@example.org")
    before = len(mailbox.messages)
    send(target, rendered.summary or {}, at_or_above(rendered.findings, "critical"), rendered.html)
    msg = _wait(lambda: mailbox.messages[before:] and mailbox.messages[before], "the mail")
    assert msg["Subject"].startswith("[critical] Findings report: 1 finding")
    parts = {part.get_filename(): part for part in msg.walk() if part.get_filename()}
    assert rendered.html.name in parts
    assert parts[rendered.html.name].get_payload(decode=True) == rendered.html.read_bytes()


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_webhook_gets_slack_text(webhook: tuple[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    url, bodies = webhook
    rendered = render("findings", {}, out_dir=tmp_path, catalog=CATALOG)
    send(parse_target(url), rendered.summary or {}, at_or_above(rendered.findings, "warning"), rendered.html)
    text = bodies[-1]["text"]
    assert "[critical] group <b>evil</b> is 3 h behind" in text
    assert "[warning]" in text and "[info]" not in text


def test_unreachable_receiver_is_one_line(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    result = CliRunner().invoke(
        main,
        [
            "report",
            "nope-report",
            "--out",
            str(tmp_path),
            "--notify",
            f"alertmanager+http://127.0.0.1:{port}",
        ],
    )
    assert result.exit_code == 2  # the unknown report fails first, named in one line
    assert result.output.count("\n") == 1


@pytest.mark.slow
def test_cli_report_notifies_all_targets(
    quiet_alertmanager: str,
    mailbox_server: tuple[int, _Mailbox],
    webhook: tuple[str, list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    """The user's path: a scheduled lag-trend run on the sample sends its warnings everywhere."""
    port, mailbox = mailbox_server
    url, bodies = webhook
    sample = ROOT / "data" / "sample"
    before_mail, before_hook = len(mailbox.messages), len(bodies)
    result = CliRunner().invoke(
        main,
        [
            "report",
            "lag-trend",
            "--data-dir",
            str(sample),
            "--out",
            str(tmp_path),
            "--notify-level",
            "warning",
            "--notify",
            f"alertmanager+{quiet_alertmanager}",
            "--notify",
            f"mailto:ops@example.org?smtp=127.0.0.1:{port}",
            "--notify",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "SECRETTOKEN" not in result.output
    findings_files = list((tmp_path / "lag-trend").glob("*.findings.json"))
    doc = json.loads(findings_files[0].read_text())
    warned = [f for f in doc["findings"] if f["level"] in ("warning", "critical")]
    assert warned, "the sample has groups in trouble"
    alerts = _wait(
        lambda: httpx.get(
            f"{quiet_alertmanager}/api/v2/alerts", params={"filter": "report=lag-trend"}
        ).json(),
        "lag-trend alerts",
    )
    assert len(alerts) == len({f["text"][:200] for f in warned})
    assert len(mailbox.messages) == before_mail + 1
    assert len(bodies) == before_hook + 1
