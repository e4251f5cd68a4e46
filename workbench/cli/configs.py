"""``workbench collect configs`` and ``workbench validate``: config health, live or from history.

``validate`` exits 0 when no finding is critical, 1 when one is, and 2 on an error (cannot
connect, bad rule file), like every workbench error.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from workbench.cli.options import COUNT, WindowBound, connection_options, data_dir_option, interval_option
from workbench.errors import ConfigError
from workbench.units import parse_duration

if TYPE_CHECKING:  # polars loads only when a command needs it (`workbench --help` stays quick)
    import polars as pl


def _clients(bootstrap_server: str, command_config: str | None, timeout: str):
    """The confluent-kafka seam and the kafka-python log-dirs client, with the same settings."""
    from workbench.collect.kafka import KafkaAdmin
    from workbench.collect.logdirs import LogDirsClient
    from workbench.config import load_settings

    settings = load_settings(bootstrap_server, command_config)
    seconds = parse_duration(timeout, "--timeout").total_seconds()
    return KafkaAdmin(settings, timeout_s=seconds), LogDirsClient(settings, timeout_s=seconds)


def load_rule_file(path: str | None):
    """Rule settings from a TOML file (defaults when ``path`` is None)."""
    from workbench.analyze.config import RuleSettings, parse_rule_settings

    if path is None:
        return RuleSettings()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read rule file {path}: {exc.strerror}; check --rules") from exc
    return parse_rule_settings(text, str(path))


@click.command("configs")
@connection_options()
@click.option("--cluster", required=True, help="Name to file this cluster's data under.")
@data_dir_option
@interval_option("1h", dt.timedelta(seconds=1), "Time between snapshots (with --count/--loop; 1s to 7d).")
@click.option("--count", type=COUNT, default=None, help="Take N snapshots (default 1).")
@click.option("--loop", "forever", is_flag=True, help="Snapshot every --interval until SIGINT/SIGTERM.")
def collect_configs(
    bootstrap_server: str,
    command_config: str | None,
    timeout: str,
    cluster: str,
    data_dir: str,
    interval: str,
    count: int | None,
    forever: bool,
) -> None:
    """Snapshot cluster, brokers, configs, partition metadata and log dirs into DATA_DIR.

    One snapshot by default; --count N or --loop repeat it every --interval. Sensitive config
    values are never stored (Kafka does not send them). Log dirs come from kafka-python.
    """
    from workbench.collect.configs import run_config_loop, snapshot_configs
    from workbench.collect.loop import LoopPlan, stop_on_signals
    from workbench.store import Store

    if forever and count is not None:
        raise ConfigError("give --count or --loop, not both")
    plan = LoopPlan(interval=parse_duration(interval, "--interval"), count=None if forever else (count or 1))
    if plan.interval.total_seconds() <= 0:
        raise ConfigError("--interval must be positive, e.g. 1h")
    admin, log_dirs = _clients(bootstrap_server, command_config, timeout)
    store = Store(data_dir)
    try:
        with stop_on_signals() as stop:
            result = run_config_loop(
                lambda: snapshot_configs(admin, cluster, log_dirs), store, cluster, plan, click.echo, stop
            )
    finally:
        log_dirs.close()
    click.echo(f"done: {result.ok} snapshots written, {result.failed} failed", err=True)
    if result.ok == 0 and not result.stopped_by_signal:
        sys.exit(1)


@click.command("validate")
@connection_options(required=False)
@data_dir_option
@click.option("--cluster", help="Cluster name (stored history: needed when the data dir holds several).")
@click.option(
    "--at",
    "at",
    type=WindowBound(),
    help="Stored history: the newest snapshot at or before this (ISO 8601, or 1d back).",
)
@click.option("--topics", help="Only these topics (comma-separated) for the topic rules.")
@click.option(
    "--rules", "rules_file", type=click.Path(dir_okay=False), help="TOML: disable rules, set thresholds."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--list-rules", is_flag=True, help="List the rule ids and exit.")
def validate(
    bootstrap_server: str | None,
    command_config: str | None,
    timeout: str,
    data_dir: str,
    cluster: str | None,
    at: str | None,
    topics: str | None,
    rules_file: str | None,
    as_json: bool,
    list_rules: bool,
) -> None:
    """Check a cluster's configs, replication and disk balance against the config rules.

    Live with --bootstrap-server, else the stored snapshot (--data-dir, --cluster, --at).
    Exit 0: nothing critical; 1: something critical; 2: an error.
    """
    from workbench.analyze.config import RULES, ConfigView, evaluate, worst_severity

    if list_rules:
        for rule in RULES:
            click.echo(f"{rule.id:<36} {rule.category:<12} {rule.description}")
        return
    settings = load_rule_file(rules_file)
    names = [t.strip() for t in topics.split(",") if t.strip()] if topics else None
    if bootstrap_server:
        frames, name = _live(bootstrap_server, command_config, timeout, cluster, names)
    else:
        frames, name = _stored(data_dir, cluster, at, names)
    findings = evaluate(ConfigView.of(frames), settings)
    ts = frames["cluster_info"]["ts"].max() if frames["cluster_info"].height else None
    if as_json:
        click.echo(json.dumps(_json(name, ts, findings), indent=2, default=str))
    else:
        _print(name, ts, findings)
    if worst_severity(findings) == "critical":
        sys.exit(1)


def _live(bootstrap_server, command_config, timeout, cluster, names):
    from workbench.collect.configs import snapshot_configs

    admin, log_dirs = _clients(bootstrap_server, command_config, timeout)
    try:
        snap = snapshot_configs(admin, cluster or "live", log_dirs, topics=names)
    finally:
        log_dirs.close()
    return snap.frames, cluster or "live"


def _stored(data_dir, cluster, at, names):
    from workbench.frames.configs import load_config_snapshot

    frames = load_config_snapshot(data_dir, cluster, at)
    name = frames["cluster_info"]["cluster"][0]
    if names is not None:
        frames = {**frames, **_only_topics(frames, names)}
    return frames, name


def _only_topics(frames: dict[str, pl.DataFrame], names: list[str]) -> dict[str, pl.DataFrame]:
    import polars as pl

    topic_configs = frames["configs"].filter(
        (pl.col("resource_type") != "topic") | pl.col("resource_name").is_in(names)
    )
    return {
        "configs": topic_configs,
        "topic_partitions": frames["topic_partitions"].filter(pl.col("topic").is_in(names)),
        "log_dirs": frames["log_dirs"].filter(pl.col("topic").is_in(names)),
    }


def _json(cluster: str, ts: dt.datetime | None, findings: pl.DataFrame) -> dict:
    from workbench.analyze.config import worst_severity

    counts = findings.group_by("severity").len()
    return {
        "cluster": cluster,
        "snapshot": ts.isoformat() if ts else None,
        "worst": worst_severity(findings),
        "counts": dict(counts.iter_rows()),
        "findings": findings.to_dicts(),
    }


def _print(cluster: str, ts: dt.datetime | None, findings: pl.DataFrame) -> None:
    import polars as pl
    from rich.console import Console
    from rich.markup import escape

    from workbench.analyze.config import SEVERITIES

    console = Console(highlight=False)
    when = f" at {ts:%Y-%m-%d %H:%M:%S} UTC" if ts else ""
    console.print(f"[bold]Config health of {escape(cluster)}{when}[/]: {findings.height} findings")
    style = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
    for severity in SEVERITIES:
        part = findings.filter(pl.col("severity") == severity)
        if part.is_empty():
            continue
        console.print(f"\n[{style[severity]}]{severity.upper()} ({part.height})[/]")
        for row in part.iter_rows(named=True):
            entity = f"{row['entity_type']} {row['entity']}"
            console.print(
                f"  [{style[severity]}]{row['rule_id']}[/] {escape(entity)}: {escape(row['message'])}"
            )
            console.print(f"      → {escape(row['recommendation'])}", style="dim")
    if findings.is_empty():
        console.print("[green]no findings[/]")


def register(main: click.Group) -> None:
    """Add ``collect configs`` (to the existing ``collect`` group) and ``validate``."""
    group = main.commands.get("collect")
    if isinstance(group, click.Group):
        group.add_command(collect_configs)
    main.add_command(validate)
