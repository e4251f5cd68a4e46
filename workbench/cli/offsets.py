"""``workbench collect offsets``, ``workbench compact``, ``workbench lag``."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from workbench.cli.options import connection_options, data_dir_option
from workbench.errors import ConfigError
from workbench.timeparse import parse_duration


def _admin(bootstrap_server: str, command_config: str | None, timeout: str):
    from workbench.collect.kafka import KafkaAdmin
    from workbench.config import load_settings

    settings = load_settings(bootstrap_server, command_config)
    return KafkaAdmin(settings, timeout_s=parse_duration(timeout, "--timeout").total_seconds())


@click.group("collect")
def collect() -> None:
    """Collect from a live cluster into the data directory."""


@collect.command("offsets")
@connection_options()
@click.option("--cluster", required=True, help="Name to file this cluster's data under.")
@data_dir_option
@click.option("--interval", default="30s", show_default=True, help="Time between snapshots (30s, 5m, 1h).")
@click.option("--count", type=click.IntRange(min=1), help="Stop after N snapshots.")
@click.option("--duration", help="Stop after this long (e.g. 1h). Default: run until SIGINT/SIGTERM.")
@click.option("--include", multiple=True, help="Only groups matching this regex (repeatable).")
@click.option("--exclude", multiple=True, help="Skip groups matching this regex (repeatable).")
def collect_offsets(
    bootstrap_server: str,
    command_config: str | None,
    timeout: str,
    cluster: str,
    data_dir: str,
    interval: str,
    count: int | None,
    duration: str | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
) -> None:
    """Snapshot consumer-group offsets every --interval into DATA_DIR/offsets.

    Each snapshot also records log-start/log-end offsets of every partition (ingress needs
    topics no group reads). A failed snapshot is logged, recorded and retried next interval;
    SIGINT/SIGTERM finishes the current write and exits 0.
    """
    from workbench.collect.loop import LoopPlan, run_loop, stop_on_signals
    from workbench.collect.offsets import GroupFilter
    from workbench.store import Store

    if count is not None and duration is not None:
        raise ConfigError("give --count or --duration, not both")
    plan = LoopPlan(
        interval=parse_duration(interval, "--interval"),
        count=count,
        duration=parse_duration(duration, "--duration") if duration else None,
    )
    if plan.interval.total_seconds() <= 0:
        raise ConfigError("--interval must be positive, e.g. 30s")
    groups = GroupFilter(include, exclude)
    admin = _admin(bootstrap_server, command_config, timeout)
    store = Store(data_dir)
    with stop_on_signals() as stop:
        result = run_loop(admin, store, cluster, plan, groups, lambda line: click.echo(line), stop)
    why = " (stopped by signal)" if result.stopped_by_signal else ""
    click.echo(f"done: {result.ok} snapshots written, {result.failed} failed{why}", err=True)
    if result.ok == 0 and not result.stopped_by_signal:
        sys.exit(1)


@click.command("compact")
@data_dir_option
@click.option("--cluster", help="Only this cluster (default: all).")
@click.option("--all-days", is_flag=True, help="Also compact today's (still growing) partition.")
def compact(data_dir: str, cluster: str | None, all_days: bool) -> None:
    """Merge each day's small snapshot files into one file per dataset (crash-safe)."""
    from workbench.schema import DATASETS
    from workbench.store import Store

    store = Store(data_dir)
    before = None if all_days else dt.datetime.now(dt.UTC).date()
    total = 0
    for dataset in sorted(DATASETS):
        merged = store.compact(dataset, cluster=cluster, before=before)
        total += len(merged)
        if merged:
            click.echo(f"{dataset}: {len(merged)} day(s) compacted")
    click.echo(f"compacted {total} day partition(s) in {data_dir}")


@click.command("lag")
@connection_options(required=False)
@data_dir_option
@click.option("--cluster", help="Cluster name (stored history: needed when the data dir holds several).")
@click.option("--group", "groups", multiple=True, help="Only groups matching this regex (repeatable).")
@click.option("--warn", "warn_lag", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--crit", "crit_lag", type=click.IntRange(min=0), default=10000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--fail-on",
    type=click.Choice(["warning", "critical"]),
    help="Exit 1 when any group is at this level or worse.",
)
def lag(
    bootstrap_server: str | None,
    command_config: str | None,
    timeout: str,
    data_dir: str,
    cluster: str | None,
    groups: tuple[str, ...],
    warn_lag: int,
    crit_lag: int,
    as_json: bool,
    fail_on: str | None,
) -> None:
    """Per-group lag now: live with --bootstrap-server, else from the stored history.

    Levels are by the group's total lag: ok < --warn <= warning < --crit <= critical
    (the rule of workbench.analyze.lag.levels, shared with the lag report).
    """
    from workbench.analyze.lag import LEVELS, LagLevels, latest_group_lag, worst_level
    from workbench.cli.render import lag_table

    if crit_lag < warn_lag:
        raise ConfigError(f"thresholds need 0 <= warn <= crit (got --warn {warn_lag}, --crit {crit_lag})")
    levels = LagLevels(None, None, warn_lag, crit_lag)
    offsets = (
        _live_offsets(bootstrap_server, command_config, timeout, cluster, groups)
        if bootstrap_server
        else (_stored_offsets(data_dir, cluster, groups))
    )
    summary = latest_group_lag(offsets, levels)
    if groups and summary.is_empty():
        from workbench.errors import NotFoundError

        where = bootstrap_server or f"{data_dir} (last day of history)"
        raise NotFoundError(
            f"no consumer group in {where} matches --group {' '.join(groups)}; "
            "run without --group to list them"
        )
    if as_json:
        click.echo(json.dumps(summary.to_dicts(), default=_json_default, indent=2))
    else:
        lag_table(summary, levels.describe(burrow=False))
    if fail_on and LEVELS.index(worst_level(summary)) >= LEVELS.index(fail_on):
        sys.exit(1)


def _live_offsets(bootstrap_server, command_config, timeout, cluster, groups):
    from workbench.collect.offsets import GroupFilter, snapshot_offsets
    from workbench.frames import add_lag_columns

    admin = _admin(bootstrap_server, command_config, timeout)
    snap = snapshot_offsets(admin, cluster or "live", GroupFilter(include=groups))
    return add_lag_columns(snap.offsets)


def _stored_offsets(data_dir, cluster, groups):
    import polars as pl

    from workbench.frames import load_offsets

    pattern = "|".join(f"(?:{g})" for g in groups) if groups else None
    frame = load_offsets(data_dir, cluster=cluster, since="1d", groups=pattern)
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    return frame


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


def register(main: click.Group) -> None:
    """Add these commands to the ``workbench`` group."""
    main.add_command(collect)
    main.add_command(compact)
    main.add_command(lag)
