"""A Prometheus HTTP API client (httpx): range queries in chunks under the per-series point limit.

Prometheus refuses a range query whose (end - start) / step exceeds 11,000 points per series;
:func:`chunks` splits a window into pieces of at most :data:`POINTS_PER_CHUNK` points that
neither overlap nor leave a gap. Every failure (bad URL, unreachable, HTTP or API error) becomes
one :class:`~workbench.errors.PrometheusError` line; credentials never appear in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from workbench.config import mask_url
from workbench.errors import PrometheusError

#: Points per series in one range query: under Prometheus' limit of 11,000, with a margin.
POINTS_PER_CHUNK = 10_000


@dataclass(frozen=True)
class Auth:
    """Credentials for the server: basic (user and password) or a bearer token. Never printed."""

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def httpx(self) -> httpx.Auth | None:
        """The httpx auth for a client (None without credentials)."""
        if self.user is not None:
            return httpx.BasicAuth(self.user, self.password or "")
        return None

    def headers(self) -> dict[str, str]:
        """The Authorization header for a bearer token (empty otherwise)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def chunks(
    start: dt.datetime, end: dt.datetime, step: dt.timedelta
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """[start, end] as consecutive (first, last) evaluation instants, each at most
    :data:`POINTS_PER_CHUNK` points; the next chunk starts one step after the last one ended."""
    span = step * (POINTS_PER_CHUNK - 1)
    first = start
    while first <= end:
        last = min(first + span, end)
        yield first, last
        first = last + step


class PrometheusClient:
    """One server's ``/api/v1`` (``url`` is its base, e.g. ``http://prom:9090``)."""

    def __init__(self, url: str, auth: Auth | None = None, timeout: float = 60.0, verify: Any = True) -> None:
        self.display = mask_url(url)
        if not url.startswith(("http://", "https://")):
            raise PrometheusError(f"--url {self.display!r}: give http://HOST:PORT or https://...")
        auth = auth or Auth()
        self._http = httpx.Client(
            base_url=url.rstrip("/") + "/api/v1/",
            auth=auth.httpx(),
            headers=auth.headers(),
            timeout=timeout,
            verify=verify,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PrometheusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, endpoint: str, **params: Any) -> Any:
        """Ask ``endpoint`` and return the reply's ``data`` (PrometheusError on any failure)."""
        try:
            if endpoint.startswith("query"):  # a form body: long queries fit
                reply = self._http.post(endpoint, data=params)
            else:
                reply = self._http.get(endpoint, params=params)
        except httpx.HTTPError as exc:  # connect, timeout, protocol: one line without the URL's secrets
            raise PrometheusError(f"{self.display}: {type(exc).__name__}: {_first_line(exc)}") from None
        try:
            body = reply.json()
        except ValueError:
            body = None
        if reply.status_code != 200 or not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error") if isinstance(body, dict) else None
            text = error or reply.reason_phrase or "not a Prometheus API answer"
            raise PrometheusError(f"{self.display}: HTTP {reply.status_code} on /api/v1/{endpoint}: {text}")
        return body.get("data")

    def metric_names(self) -> set[str]:
        """Every metric name the server holds (``/api/v1/label/__name__/values``)."""
        return set(self.get("label/__name__/values") or [])

    def query_range(
        self, expr: str, start: dt.datetime, end: dt.datetime, step: dt.timedelta
    ) -> list[dict[str, Any]]:
        """One range query (``start``..``end`` must fit one chunk): the ``matrix`` result."""
        data = self.get(
            "query_range",
            query=expr,
            start=f"{start.timestamp():.3f}",
            end=f"{end.timestamp():.3f}",
            step=f"{step.total_seconds():g}",
        )
        if not isinstance(data, dict) or data.get("resultType") != "matrix":
            raise PrometheusError(f"{self.display}: query_range answered without a matrix for {expr!r}")
        return list(data.get("result") or [])


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else "no answer"
