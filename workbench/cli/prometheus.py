"""``workbench import prometheus``: months of lag and broker history from a Prometheus server.

Range queries in chunks under Prometheus' per-series point limit, window by window; each
window's rows are stored before the next is asked for, and rows already stored are skipped,
so an interrupted import is resumed by running it again. docs/prometheus.md maps the metrics.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workbench.cli.options import TIMEOUT, Duration, data_dir_option

if TYPE_CHECKING:
    from workbench.importers.prometheus import Auth, ImportPlan

_EXPORTERS = ("kafka-lag-exporter", "kafka_exporter", "kminion")


@click.command("prometheus")
@click.option(
    "--url",
    envvar="WORKBENCH_PROMETHEUS_URL",
    required=True,
    help="Prometheus base URL, e.g. http://prom:9090 (env WORKBENCH_PROMETHEUS_URL).",
)
@click.option("--cluster", required=True, help="Name to file the rows under.")
@click.option(
    "--since",
    type=Duration(dt.timedelta(seconds=1)),
    default="90d",
    show_default=True,
    help="History to import, back from now.",
)
@click.option(
    "--step",
    type=Duration(dt.timedelta(seconds=1), dt.timedelta(days=1)),
    default="1m",
    show_default=True,
    help="Resolution: one row per series per step.",
)
@click.option(
    "--rate-window",
    type=Duration(dt.timedelta(seconds=1), dt.timedelta(days=1)),
    help="Range of rate() over counters (default: 2 x step, at least 2m; at least 4 scrape intervals).",
)
@click.option(
    "--exporter",
    type=click.Choice(_EXPORTERS),
    help="Lag exporter to read (default: the first one the server holds).",
)
@click.option(
    "--match-lag",
    default="",
    help="Label matchers for the lag exporter's series, e.g. 'cluster_name=\"prod\"'.",
)
@click.option(
    "--match-brokers",
    default="",
    help="Label matchers for broker and node series, e.g. 'job=~\"kafka|node\"'.",
)
@click.option("--user", help="Basic auth user (password from --password-env or --password-file).")
@click.option("--password-env", metavar="VAR", help="Environment variable holding the basic auth password.")
@click.option(
    "--password-file", type=click.Path(dir_okay=False), help="File holding the basic auth password."
)
@click.option("--bearer-token-env", metavar="VAR", help="Environment variable holding a bearer token.")
@click.option("--bearer-token-file", type=click.Path(dir_okay=False), help="File holding a bearer token.")
@click.option("--ca-file", type=click.Path(dir_okay=False), help="PEM CA bundle for an https server.")
@click.option("--timeout", type=TIMEOUT, default="60s", show_default=True, help="Per request.")
@data_dir_option
def prometheus(url: str, cluster: str, data_dir: str, **opts: Any) -> None:
    """Import lag exporters' offsets and broker/node metrics from Prometheus' HTTP API.

    Offsets go to the offsets and partition_offsets datasets (the lag-trend and capacity reports
    read them), broker metrics to broker_metrics. A progress bar on a terminal, one summary line
    otherwise.
    """
    from workbench.importers.prometheus import PrometheusClient, plan_import
    from workbench.store import Store

    auth = _auth(opts)
    verify: Any = opts["ca_file"] or True
    store = Store(data_dir)
    with (
        PrometheusClient(url, auth, opts["timeout"].total_seconds(), verify) as client,
        _one_import(store, cluster),
    ):
        plan = plan_import(
            client, cluster, opts["since"], opts["step"], opts["rate_window"], opts["exporter"],
            opts["match_lag"], opts["match_brokers"],
        )  # fmt: skip
        if plan.lag is None and not plan.brokers:
            click.echo(
                f"{client.display}: holds no lag exporter or Kafka broker metrics (docs/prometheus.md)"
            )
            return
        written = _run(client, plan, store)
    click.echo(_summary_line(client.display, plan, written, data_dir))


def _one_import(store: Any, cluster: str) -> Any:
    """One import per (local data directory, cluster) at a time: the collectors' lock."""
    import contextlib

    from workbench.collect.lock import collector_lock

    if not store.location.local:
        return contextlib.nullcontext()
    return collector_lock(store.root, cluster, "prometheus-import")


def _auth(opts: dict[str, Any]) -> Auth:
    """Basic or bearer credentials from environment variables or files, never from the command line."""
    from workbench.errors import ConfigError
    from workbench.importers.prometheus import Auth

    password = _secret(opts["password_env"], opts["password_file"], "--password")
    token = _secret(opts["bearer_token_env"], opts["bearer_token_file"], "--bearer-token")
    if password is not None and opts["user"] is None:
        raise ConfigError("a password needs --user")
    if token is not None and opts["user"] is not None:
        raise ConfigError("give --user (basic auth) or a bearer token, not both")
    return Auth(opts["user"], password, token)


def _secret(env: str | None, path: str | None, what: str) -> str | None:
    from workbench.errors import ConfigError

    if env and path:
        raise ConfigError(f"give {what}-env or {what}-file, not both")
    if env:
        if env not in os.environ:
            raise ConfigError(f"{what}-env {env}: the environment variable is not set")
        return os.environ[env]
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{what}-file {path}: cannot read it ({exc.strerror or exc})") from None
    return None


def _run(client: Any, plan: ImportPlan, store: Any) -> Counter[str]:
    """Run every window, storing its rows before the next; counts rows written per dataset."""
    from workbench.cli.imports import unstored
    from workbench.importers.prometheus import import_windows

    written: Counter[str] = Counter()

    def store_windows(progress: Any) -> None:
        for results in import_windows(client, plan, progress):
            for result in results:
                fresh = unstored(store, result.dataset, result.frame)
                if fresh.height:
                    store.append(result.dataset, fresh)
                written[result.dataset] += fresh.height

    _with_progress(store_windows, f"prometheus → {plan.cluster}")
    return written


def _with_progress(fn: Any, label: str) -> None:
    """``fn(progress)`` under a rich progress bar on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        fn(None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)
        fn(lambda done, total: bar.update(task, completed=done, total=total))


def _summary_line(where: str, plan: ImportPlan, written: Counter[str], data_dir: str) -> str:
    exporter = plan.lag.exporter if plan.lag else "no lag exporter"
    counts = ", ".join(f"{written[d]} {d}" for d in ("offsets", "partition_offsets", "broker_metrics"))
    return (
        f"{where}: {counts} rows written to {data_dir} (cluster {plan.cluster}, "
        f"{plan.start:%Y-%m-%dT%H:%MZ} to {plan.end:%Y-%m-%dT%H:%MZ} every {plan.step.total_seconds():g}s; "
        f"{exporter}; {len(plan.brokers)} broker metrics; {len(plan.windows)} windows)"
    )
