"""``workbench spark analyze``: the lag analysis of every cluster on a Spark cluster."""

from __future__ import annotations

import datetime as dt

import click

from workbench.cli.options import data_dir_option
from workbench.errors import ConfigError
from workbench.fleet import ROWS_PER_CHUNK


def register(main: click.Group) -> None:
    """Add the ``spark`` group to ``main``."""
    main.add_command(spark)


@click.group("spark")
def spark() -> None:
    """Run the analysis on Spark (install the fleet extra: pyspark, duckdb)."""


@spark.command("analyze")
@click.option(
    "--master", required=True, help="Spark master URL: spark://HOST:PORT, local[N], yarn, k8s://..."
)
@data_dir_option
@click.option("--tasks", type=click.IntRange(min=1), default=None, help="Spark tasks (default: 2 per core).")
@click.option("--conf", "confs", multiple=True, metavar="KEY=VALUE", help="A Spark setting (repeatable).")
@click.option(
    "--rows-per-chunk",
    type=click.IntRange(min=1),
    default=ROWS_PER_CHUNK,
    show_default=True,
    help="Rows of one task: a bigger group is analysed in chunks of whole partitions (~1 KB a row).",
)
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Only snapshots before this UTC instant (default: all).",
)
def analyze(
    master: str,
    data_dir: str,
    tasks: int | None,
    confs: tuple[str, ...],
    rows_per_chunk: int,
    until: dt.datetime | None,
) -> None:
    """Analyse the consumer lag of every cluster in DATA_DIR, one Spark task per chunk of a
    group's partitions, and write the per-group result table DATA_DIR/analysis/lag_groups
    (docs/fleet.md)."""
    from workbench.fleet.spark import analyze as run

    conf = {}
    for item in confs:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--conf {item!r}: expected KEY=VALUE")
        conf[key.strip()] = value
    stop = None if until is None else until.replace(tzinfo=dt.UTC)
    done = run(master, data_dir, tasks, conf, rows_per_chunk, stop)
    click.echo(f"{done['uri']}: version {done['version']}, {done['rows']} rows")
