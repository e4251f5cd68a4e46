"""``workbench collect commits``: offset commits and group members from ``__consumer_offsets``."""

from __future__ import annotations

import datetime as dt
import time

import click

from workbench.cli.options import connection_options, data_dir_option
from workbench.errors import ConfigError
from workbench.timeparse import parse_duration


@click.command("commits")
@connection_options()
@click.option("--cluster", required=True, help="Name to file this cluster's data under.")
@data_dir_option
@click.option("--interval", default="30s", show_default=True, help="Time between passes (30s, 5m).")
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True, help="Passes to run.")
@click.option("--duration", help="Run passes for this long instead of --count (e.g. 1h).")
@click.option("--include", multiple=True, help="Only groups matching this regex (repeatable).")
@click.option("--exclude", multiple=True, help="Skip groups matching this regex (repeatable).")
@click.option("--from-beginning", is_flag=True, help="Ignore the stored position, read the whole topic.")
def collect_commits(
    bootstrap_server: str,
    command_config: str | None,
    timeout: str,
    cluster: str,
    data_dir: str,
    interval: str,
    count: int,
    duration: str | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    from_beginning: bool,
) -> None:
    """Read __consumer_offsets from where the last pass stopped into DATA_DIR/commits.

    Every offset commit with its commit timestamp (and classic group members into
    DATA_DIR/group_members). Needs Read on __consumer_offsets; without it the lag report
    estimates commit times from the offsets snapshots. SIGINT/SIGTERM ends after the pass.
    """
    from workbench.collect.commits import read_pass, stored_positions
    from workbench.collect.loop import stop_on_signals
    from workbench.collect.offsets import GroupFilter
    from workbench.config import load_settings
    from workbench.store import Store

    every = parse_duration(interval, "--interval").total_seconds()
    until = time.monotonic() + parse_duration(duration, "--duration").total_seconds() if duration else None
    if every <= 0:
        raise ConfigError("--interval must be positive, e.g. 30s")
    settings = load_settings(bootstrap_server, command_config)
    timeout_s = parse_duration(timeout, "--timeout").total_seconds()
    store, groups = Store(data_dir), GroupFilter(include, exclude)
    start = {} if from_beginning else stored_positions(store, cluster)

    def sink(batch) -> None:
        for name, frame in batch.frames(cluster, dt.datetime.now(dt.UTC)).items():
            store.append(name, frame)
        start.update(batch.positions)

    done = 0
    with stop_on_signals() as stop:
        while not stop.is_set():
            res = read_pass(settings, cluster, start, sink, groups, timeout_s)
            done += 1
            skipped = sum(res.skipped_types.values())
            click.echo(
                f"{cluster}: {res.records} records, {res.commits} commits, {res.member_rows} member rows, "
                f"{skipped} other records, {res.undecodable} undecodable"
            )
            if (until is None and done >= count) or (until is not None and time.monotonic() >= until):
                break
            stop.wait(every)


def register(main: click.Group) -> None:
    """Add ``collect commits`` to the ``collect`` group."""
    from workbench.cli.offsets import collect

    collect.add_command(collect_commits)
