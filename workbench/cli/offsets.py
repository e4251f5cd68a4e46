"""``workbench collect offsets``, ``workbench compact``, ``workbench lag``."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Any

import click

from workbench.cli.options import (
    COUNT,
    INT64_MAX,
    Duration,
    connection_options,
    data_dir_option,
    format_option,
    interval_option,
)
from workbench.errors import ConfigError


def _admin(bootstrap_server: str, command_config: str | None, timeout: str):
    from workbench.collect.kafka import KafkaAdmin
    from workbench.collect.plan import timeout_seconds
    from workbench.config import load_settings

    seconds = timeout_seconds(timeout)
    return KafkaAdmin(load_settings(bootstrap_server, command_config), timeout_s=seconds)


@click.group("collect")
def collect() -> None:
    """Collect from a live cluster into the data directory."""


@collect.command("offsets")
@connection_options()
@click.option("--cluster", required=True, help="Name to file this cluster's data under.")
@data_dir_option
@interval_option("30s", dt.timedelta(milliseconds=100), "Time between snapshots (30s, 5m, 1h; 100ms to 7d).")
@click.option("--count", type=COUNT, help="Stop after N snapshots.")
@click.option(
    "--duration",
    type=Duration(dt.timedelta(seconds=1)),
    help="Stop after this long (e.g. 1h). Default: run until SIGINT/SIGTERM.",
)
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
    from workbench.collect.lock import collector_lock
    from workbench.collect.loop import run_loop, stop_on_signals
    from workbench.collect.offsets import GroupFilter
    from workbench.collect.plan import LoopPlan, timeout_seconds
    from workbench.collect.worker import SnapshotWorker
    from workbench.config import load_settings
    from workbench.store import Store

    plan = LoopPlan.parse(interval, count, duration)
    groups = GroupFilter(include, exclude)
    worker = SnapshotWorker(load_settings(bootstrap_server, command_config), timeout_seconds(timeout))
    with collector_lock(data_dir, cluster), stop_on_signals() as stop:
        try:
            result = run_loop(
                worker,
                Store(data_dir),
                cluster,
                plan,
                groups,
                click.echo,
                stop,
                lambda w: click.echo(w, err=True),
            )
        finally:
            worker.close()
    why = " (stopped by signal)" if result.stopped_by_signal else ""
    click.echo(f"done: {result.ok} snapshots written, {result.failed} failed{why}", err=True)
    if result.ok == 0 and not result.stopped_by_signal:
        sys.exit(1)


@click.command("compact")
@data_dir_option
@click.option("--cluster", help="Only this cluster (default: all).")
@click.option("--all-days", is_flag=True, help="Also compact today's (still growing) partition.")
def compact(data_dir: str, cluster: str | None, all_days: bool) -> None:
    """Optimize every dataset's table: merge each day's small files, checkpoint, vacuum.

    Closed days of consumer-group offsets are rewritten as files of whole groups, so reading some
    groups skips the others (docs/store.md).

    Safe while collectors append and reports read; two compactions take turns. Then rolls up
    closed days not rolled up yet (offsets per 5 minutes and per hour: `workbench rollup`).
    """
    from workbench.cli.progress import progress
    from workbench.frames.rollups import RAW, roll_up_closed_days
    from workbench.schema import DATASETS
    from workbench.store import Store
    from workbench.store.versions import reset_outdated_rollups

    store = Store(data_dir)
    before = None if all_days else dt.datetime.now(dt.UTC).date()
    for name in reset_outdated_rollups(store):
        click.echo(f"{name}: rollups of an older workbench emptied; every closed day is rolled up again")
    total = 0
    with progress("compact", "datasets") as update:
        for done, dataset in enumerate(sorted(DATASETS), 1):
            update(done - 1, len(DATASETS), dataset)
            merged = len({os.path.dirname(f) for f in store.compact(dataset, cluster=cluster, before=before)})
            total += merged
            if merged:
                click.echo(f"{dataset}: {merged} day(s) compacted")
            update(done, len(DATASETS), f"{total} day(s) compacted")
    click.echo(f"compacted {total} day partition(s) in {data_dir}")
    names = [cluster] if cluster else sorted({c for ds in RAW for c in store.clusters(ds)})
    for name in names:
        result = roll_up_closed_days(store, name, before)
        if result is not None:
            click.echo(f"{name}: {result.line()}")


@click.command("lag")
@connection_options(required=False)
@data_dir_option
@click.option("--cluster", help="Cluster name (stored history: needed when the data dir holds several).")
@click.option("--group", "groups", multiple=True, help="Only groups matching this regex (repeatable).")
@click.option(
    "--warn",
    "warn_lag",
    type=click.IntRange(0, INT64_MAX),
    help="Total lag (messages) for warning [live: 1000].",
)
@click.option(
    "--crit",
    "crit_lag",
    type=click.IntRange(0, INT64_MAX),
    help="Total lag (messages) for critical [live: 10000].",
)
@click.option("--warn-time", type=Duration(), default="1m", show_default=True, help="Time lag for warning.")
@click.option("--crit-time", type=Duration(), default="10m", show_default=True, help="Time lag for critical.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (same as --format json).")
@format_option
@click.option("--partitions", "view", flag_value="partitions", help="One row per group and partition.")
@click.option("--members", "view", flag_value="members", help="One row per group member (client, host).")
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
    warn_lag: int | None,
    crit_lag: int | None,
    warn_time: dt.timedelta,
    crit_time: dt.timedelta,
    as_json: bool,
    fmt: str,
    view: str | None,
    fail_on: str | None,
) -> None:
    """Per-group lag now: live with --bootstrap-server, else from the stored history.

    Levels (the rule of workbench.analyze.lag.levels, the lag report's): from the stored history
    by time lag (--warn-time, --crit-time: the report's defaults) and, when given, total lag
    (--warn, --crit); live, one snapshot has no time lag: by total lag (default 1000, 10000). "to LSO" is the
    lag to the last stable offsets: what a read_committed consumer can read while a transaction
    is open (the rest is flagged "behind an open transaction").
    """
    from workbench.analyze.lag.levels import LEVELS, LagLevels

    if bootstrap_server:  # the seed spec's message thresholds: the only criterion of one snapshot
        warn_lag = 1000 if warn_lag is None else warn_lag
        crit_lag = 10000 if crit_lag is None else crit_lag
    if warn_lag is not None and crit_lag is not None and crit_lag < warn_lag:
        raise ConfigError(f"thresholds need 0 <= warn <= crit (got --warn {warn_lag}, --crit {crit_lag})")
    if crit_time < warn_time:
        raise ConfigError(
            f"thresholds need warn <= crit (got --warn-time {warn_time}, --crit-time {crit_time})"
        )
    live = bool(bootstrap_server)
    levels = LagLevels(
        None if live else warn_time.total_seconds(),
        None if live else crit_time.total_seconds(),
        warn_lag,
        crit_lag,
    )
    offsets = (
        _live_offsets(bootstrap_server, command_config, timeout, cluster, groups)
        if bootstrap_server
        else (_stored_offsets(data_dir, cluster, groups))
    )
    from workbench.analyze.lag.snapshot import latest_group_lag, worst_level
    from workbench.cli.render import frame_table, lag_table, tsv

    summary = latest_group_lag(offsets, levels)
    if groups and summary.is_empty():
        from workbench.errors import NotFoundError

        where = bootstrap_server or f"{data_dir} (newest snapshot)"
        raise NotFoundError(
            f"no consumer group in {where} matches --group {' '.join(groups)}; "
            "run without --group to list them"
        )
    fmt = "json" if as_json else fmt
    shown = _view(offsets, view) if view else summary
    if fmt == "json":
        click.echo(json.dumps(shown.to_dicts(), default=_json_default, indent=2))
    elif fmt == "tsv":
        click.echo(tsv(shown), nl=False)
    elif view:
        frame_table(shown, f"Consumer-group {view} at each group's newest snapshot (UTC)")
    else:
        lag_table(summary, levels.describe(burrow=False))
    if fail_on and LEVELS.index(worst_level(summary)) >= LEVELS.index(fail_on):
        sys.exit(1)


def _view(offsets: Any, view: str) -> Any:
    from workbench.analyze.lag import latest_members, latest_partitions

    return latest_partitions(offsets) if view == "partitions" else latest_members(offsets)


def _live_offsets(bootstrap_server, command_config, timeout, cluster, groups):
    from workbench.collect.offsets import GroupFilter, snapshot_offsets
    from workbench.frames import add_lag_columns, add_stable_lag

    admin = _admin(bootstrap_server, command_config, timeout)
    snap = snapshot_offsets(admin, cluster or "live", GroupFilter(include=groups, flag="--group"))
    return add_stable_lag(add_lag_columns(snap.offsets), snap.stable)


def _stored_offsets(data_dir, cluster, groups):
    from workbench import patterns
    from workbench.cli.preload import preload
    from workbench.store import Store

    # what the steps after the reads import, on the other core while delta-rs and Polars read
    preload(
        "numpy",
        "numpy.ma",  # what Polars imports on its first numpy -> Series conversion (10-20 ms)
        "workbench.analyze.lag.timelag",
        "workbench.analyze.lag.reach",
        "workbench.analyze.lag.snapshot",
        "workbench.cli.render",
    )
    pattern = "|".join(f"(?:{patterns.check(g, '--group')})" for g in groups) if groups else None
    store = Store(data_dir, pinned=True)  # each table's log loaded once: one version per table
    store.prefetch("offsets", "stable_offsets", "collections", "partition_offsets", "partition_offsets_1h")
    try:
        return _time_lag_of_newest(store, cluster, pattern)
    finally:
        store.settle()


def _time_lag_of_newest(store: Any, cluster: str | None, pattern: str | None) -> Any:
    """The newest snapshot's offsets with their time lags (see :func:`_stored_offsets`)."""
    from workbench.frames import load_latest_offsets
    from workbench.frames.log_ends import load_log_ends_reaching

    offsets = load_latest_offsets(store, cluster=cluster, groups=pattern)
    if offsets.is_empty():
        return offsets
    from workbench.analyze.lag.reach import needed_log_ends
    from workbench.analyze.lag.timelag import time_lag

    # when each committed offset was produced: the last hour of log ends, up to a week for groups
    # far behind (from the hourly rollups' guess of where to start, else the week), of which
    # time_lag looks at a few readings per partition (the rest is never sorted)
    history, cuts = load_log_ends_reaching(store, offsets)
    needed = needed_log_ends(offsets, history, cuts)
    if needed is None and history is not None:  # the guess started too late: the whole week
        history, _ = load_log_ends_reaching(store, offsets, guided=False)
        needed = needed_log_ends(offsets, history)
    return time_lag(offsets, needed)


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


def register(main: click.Group) -> None:
    """Add these commands to the ``workbench`` group."""
    main.add_command(collect)
    main.add_command(compact)
    main.add_command(lag)
