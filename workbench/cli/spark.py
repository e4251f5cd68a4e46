"""``workbench spark analyze``: the lag analysis of every cluster on a Spark cluster."""

from __future__ import annotations

import click

from workbench.cli.options import data_dir_option
from workbench.errors import ConfigError


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
def analyze(master: str, data_dir: str, tasks: int | None, confs: tuple[str, ...]) -> None:
    """Analyse the consumer lag of every cluster in DATA_DIR, one Spark task per group piece,
    and write the per-group result table DATA_DIR/analysis/lag_groups (docs/fleet.md)."""
    from workbench.fleet.spark import analyze as run

    conf = {}
    for item in confs:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--conf {item!r}: expected KEY=VALUE")
        conf[key.strip()] = value
    done = run(master, data_dir, tasks, conf)
    click.echo(f"{done['uri']}: version {done['version']}, {done['rows']} rows")
