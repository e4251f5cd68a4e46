"""``workbench simulate``: write a deterministic synthetic cluster history."""

from __future__ import annotations

import datetime as dt

import click

from workbench.cli.options import SEED, Duration, data_dir_option


@click.command("simulate")
@data_dir_option
@click.option(
    "--cluster", default="sample", show_default=True, help="Name to file the simulated cluster under."
)
@click.option(
    "--days", type=click.IntRange(min=1, max=366), default=7, show_default=True, help="Window length."
)
@click.option(
    "--interval",
    type=Duration(dt.timedelta(seconds=1), dt.timedelta(days=1)),
    help="Time between snapshots (1m, 5m). Default: 1m at full scale, 5m for sample.",
)
@click.option(
    "--scale",
    type=click.Choice(["full", "sample"]),
    default="full",
    show_default=True,
    help="full: ~1,000 partitions, 40 groups. sample: ~90 partitions, 20 groups (as in data/sample).",
)
@click.option(
    "--partitions",
    type=click.IntRange(min=1),
    help="Resize: about this many partitions (each topic's count scaled; default: the scale's).",
)
@click.option(
    "--groups",
    type=click.IntRange(min=1),
    help="Resize: this many consumer groups (more than the scale's: copies named <group>-2, ...).",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed: same seed, same data.")
@click.option(
    "--end",
    default="2026-11-20T00:00Z",
    show_default=True,
    help="End of the window (ISO 8601, UTC) or 'now'. The fixed default keeps output reproducible.",
)
@click.option("--force", is_flag=True, help="Replace this cluster's earlier simulated data.")
def simulate_cmd(
    data_dir: str,
    cluster: str,
    days: int,
    interval: dt.timedelta | None,
    scale: str,
    partitions: int | None,
    groups: int | None,
    seed: int,
    end: str,
    force: bool,
) -> None:
    """Write a synthetic history of a Kafka cluster (offsets, partition offsets, collections).

    Traffic has daily and weekly cycles, growth and skewed partitions; consumers keep up except
    for scheduled incidents (stall, stop, rewind, capacity-bound, empty groups, retention loss,
    partition expansion, a never-committed partition): see data/README.md for the timetable.
    Refuses to touch a cluster that already has data unless --force. --partitions and
    --groups resize it: --partitions 1600 at full scale is about 5,000 group-partitions
    (a 30-day window of 1-minute snapshots: about 216 M offsets rows).
    """
    from workbench.cli.progress import progress
    from workbench.simulate import simulate

    with progress(f"simulate {cluster}", "day chunks") as update:
        summary = simulate(
            data_dir, cluster=cluster, days=days, interval=interval, scale=scale, seed=seed, end=end,
            force=force, partitions=partitions, groups=groups, progress=update,
        )  # fmt: skip
    click.echo(summary.line())


def register(main: click.Group) -> None:
    """Add ``simulate`` to the ``workbench`` command."""
    main.add_command(simulate_cmd)
