"""``workbench rollup rebuild``: recompute the 5-minute and hourly rollups from raw snapshots."""

from __future__ import annotations

import click

from workbench.cli.options import data_dir_option


@click.group("rollup")
def rollup_group() -> None:
    """Rollups of the offsets histories (per 5 minutes and per hour) that long reports read.

    ``workbench compact`` writes them for closed days; ``rebuild`` recomputes them all.
    """


@rollup_group.command("rebuild")
@data_dir_option
@click.option("--cluster", help="Only this cluster (default: every cluster with offsets).")
def rebuild(data_dir: str, cluster: str | None) -> None:
    """Delete and recompute every rollup from the raw snapshots, one day at a time."""
    from workbench.frames.rollups import rebuild_rollups

    for name, result in rebuild_rollups(data_dir, cluster).items():
        click.echo(f"{name}: {result.line()}")


def register(main: click.Group) -> None:
    """Add ``rollup`` to the ``workbench`` command."""
    main.add_command(rollup_group)
