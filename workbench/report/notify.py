"""Send a report's findings where people look: a webhook, an Alertmanager, or mail.

Targets are URLs (``--notify``): ``https://...`` posts Slack-compatible JSON;
``alertmanager+http://HOST:PORT`` posts to Alertmanager's v2 API;
``mailto:ADDR[,ADDR]?smtp=HOST:PORT[&from=ADDR][&tls=starttls|ssl]`` mails the findings with the HTML
attached (SMTP login from ``WORKBENCH_SMTP_USER`` / ``WORKBENCH_SMTP_PASSWORD``). Payloads:
``docs/notifications.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from workbench.errors import ConfigError, NotifyError

#: Severity words in rising order; a finding's level outside this list counts as ``info``.
LEVELS: tuple[str, ...] = ("ok", "info", "warning", "critical")
TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Target:
    """One place to send findings to: ``kind`` is ``webhook``, ``alertmanager`` or ``mail``."""

    kind: str
    url: str
    recipients: tuple[str, ...] = ()
    smtp_host: str = ""
    smtp_port: int = 25
    sender: str = ""
    tls: str = ""

    def describe(self) -> str:
        """Where it goes, without any secret a URL may hold (webhook paths are tokens)."""
        if self.kind == "mail":
            return f"mail to {', '.join(self.recipients)} via {self.smtp_host}:{self.smtp_port}"
        parts = urlsplit(self.url)
        return f"{self.kind} at {parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


def parse_target(url: str) -> Target:
    """A :class:`Target` from a ``--notify`` URL; :class:`ConfigError` naming the fix otherwise."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        return Target("webhook", url)
    if parts.scheme in ("alertmanager+http", "alertmanager+https") and parts.hostname:
        return Target("alertmanager", url.removeprefix("alertmanager+"))
    if parts.scheme == "mailto":
        return _mail_target(url, parts.path, parse_qs(parts.query))
    raise ConfigError(
        f"--notify {_redact(url)}: use https://... (webhook), alertmanager+http://HOST:PORT or "
        "mailto:ADDR?smtp=HOST:PORT"
    )


def _mail_target(url: str, path: str, query: Mapping[str, list[str]]) -> Target:
    recipients = tuple(a.strip() for a in unquote(path).split(",") if a.strip())
    smtp = query.get("smtp", [""])[0]
    if not recipients or not smtp:
        raise ConfigError(f"--notify {url}: a mailto target needs addresses and ?smtp=HOST:PORT")
    host, _, port = smtp.partition(":")
    if port and not port.isdigit():
        raise ConfigError(f"--notify {url}: SMTP port {port!r} is not a number")
    tls = query.get("tls", [""])[0]
    if tls not in ("", "starttls", "ssl"):
        raise ConfigError(f"--notify {url}: tls must be starttls or ssl, not {tls!r}")
    sender = query.get("from", [f"workbench@{host}"])[0]
    return Target("mail", url, recipients, host, int(port or (465 if tls == "ssl" else 25)), sender, tls)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/..." if parts.hostname else url.split("?")[0]


def at_or_above(findings: Sequence[Mapping[str, Any]], level: str) -> list[Mapping[str, Any]]:
    """The findings whose level is ``level`` or more severe."""
    if level not in LEVELS:
        raise ConfigError(f"unknown severity {level!r}: use one of {', '.join(LEVELS)}")
    floor = LEVELS.index(level)
    return [f for f in findings if _rank(f.get("level")) >= floor]


def _rank(level: object) -> int:
    return LEVELS.index(level) if level in LEVELS else LEVELS.index("info")


def send(
    target: Target, summary: Mapping[str, Any], findings: Sequence[Mapping[str, Any]], html: Path
) -> None:
    """Send ``findings`` of the report ``summary`` describes to ``target``; :class:`NotifyError` if not."""
    try:
        if target.kind == "webhook":
            _post(target.url, {"text": _text(summary, findings)})
        elif target.kind == "alertmanager":
            _post(target.url.rstrip("/") + "/api/v2/alerts", _alerts(summary, findings))
        else:
            _mail(target, summary, findings, html)
    except NotifyError:
        raise
    except (OSError, smtplib.SMTPException) as exc:
        raise NotifyError(f"notify {target.describe()} failed: {exc}") from None


def _post(url: str, payload: object) -> None:
    import httpx

    try:
        response = httpx.post(url, json=payload, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise NotifyError(f"notify {_redact(url)} failed: {type(exc).__name__}: {exc}") from None
    if response.status_code >= 300:
        raise NotifyError(
            f"notify {_redact(url)} answered HTTP {response.status_code}: {response.text[:200]}"
        )


def _text(summary: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> str:
    """Plain text: a header line, then one line per finding (Slack shows it as is)."""
    head = f"{summary.get('title', summary.get('name'))} ({summary.get('window') or 'no data window'})"
    lines = [f"[{f.get('level', 'info')}] {f.get('text', '')}" for f in findings]
    return "\n".join([head, *lines, f"report: {summary.get('html', '')}"])


def _alerts(summary: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One Alertmanager alert per finding; it resolves by itself after a day unless sent again."""
    now = dt.datetime.now(dt.UTC)
    ends = now + dt.timedelta(days=1)
    return [
        {
            "labels": {
                "alertname": "WorkbenchFinding",
                "report": str(summary.get("name", "")),
                "cluster": str(summary.get("cluster") or ""),
                "severity": str(f.get("level", "info")),
                "finding": str(f.get("key") or f.get("text", ""))[:200],
            },
            "annotations": {"summary": str(f.get("text", "")), "window": str(summary.get("window", ""))},
            "startsAt": now.isoformat(),
            "endsAt": ends.isoformat(),
        }
        for f in findings
    ]


def _mail(
    target: Target, summary: Mapping[str, Any], findings: Sequence[Mapping[str, Any]], html: Path
) -> None:
    msg = EmailMessage()
    worst = max((_rank(f.get("level")) for f in findings), default=0)
    msg["Subject"] = (
        f"[{LEVELS[worst]}] {summary.get('title', summary.get('name'))}: {len(findings)} finding(s)"
    )
    msg["From"] = target.sender
    msg["To"] = ", ".join(target.recipients)
    msg.set_content(_text(summary, findings))
    msg.add_attachment(html.read_bytes(), maintype="text", subtype="html", filename=html.name)
    user, password = os.environ.get("WORKBENCH_SMTP_USER"), os.environ.get("WORKBENCH_SMTP_PASSWORD")
    context = ssl.create_default_context()
    smtp_class = smtplib.SMTP_SSL if target.tls == "ssl" else smtplib.SMTP
    kwargs: dict[str, Any] = {"context": context} if target.tls == "ssl" else {}
    with smtp_class(target.smtp_host, target.smtp_port, timeout=TIMEOUT_S, **kwargs) as smtp:
        if target.tls == "starttls":
            smtp.starttls(context=context)
        if user and password:
            smtp.login(user, password)
        smtp.send_message(msg)


def findings_document(
    summary: Mapping[str, Any],
    findings: Sequence[Mapping[str, Any]],
    figures: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The ``<stamp>.findings.json`` written beside every report, for other tools; ``figures``
    (value, unit and basis: measured / given by you / assumed / unknown) when the report shows any."""
    counts = {level: sum(1 for f in findings if f.get("level") == level) for level in LEVELS}
    doc = {
        "report": summary.get("name"),
        "title": summary.get("title"),
        "generated_at": summary.get("generated_iso"),
        "window": summary.get("window"),
        "cluster": summary.get("cluster"),
        "html": summary.get("html"),
        "counts": counts,
        "findings": list(findings),
    }
    if figures:
        doc["figures"] = list(figures)
    return json.dumps(doc, indent=2, default=str)
