"""``workbench store migrate`` and ``workbench check``: the data directory's tables."""

from __future__ import annotations

import sys

import click

from workbench.cli.options import data_dir_option


def register(main: click.Group) -> None:
    """Add the ``store`` group and the ``check`` command to ``main``."""
    main.add_command(store)
    main.add_command(check)


@click.group("store")
def store() -> None:
    """The data directory's storage format (one Delta Lake table per dataset)."""


@store.command("migrate")
@data_dir_option
def migrate(data_dir: str) -> None:
    """Convert an old-layout data directory to Delta tables, verified row for row.

    The original files are kept in DATA_DIR/.old-layout/ (delete them once satisfied).
    """
    from workbench.store.migrate import KEPT, migrate

    done = migrate(data_dir, report=click.echo)
    if not done:
        click.echo(f"{data_dir}: nothing in the old layout, nothing to migrate", err=True)
        return
    rows = sum(m.rows for m in done)
    click.echo(
        f"migrated and verified {rows:,} rows of {len({m.dataset for m in done})} dataset(s); "
        f"the originals are in {data_dir}/{KEPT}/",
        err=True,
    )


@click.command("check")
@data_dir_option
@click.option(
    "--quarantine", is_flag=True, help="Move bad files to DATA_DIR/.quarantine and drop them from the table."
)
def check(data_dir: str, quarantine: bool) -> None:
    """Read every data file whole; list the missing, truncated or corrupt ones.

    Exit 1 when a bad file is found and left in place; with --quarantine it is moved aside
    (never deleted) and removed from its table in a commit.
    """
    from workbench.store import Store
    from workbench.store.check import check as check_files
    from workbench.store.check import quarantine as move_aside

    st = Store(data_dir)
    bad = check_files(st)
    for b in bad:
        click.echo(f"bad {b.dataset} file {b.uri}: {b.problem}")
    if not bad:
        click.echo(f"{data_dir}: every data file reads whole", err=True)
        return
    if quarantine:
        aside = move_aside(st, bad)
        click.echo(f"quarantined {len(bad)} file(s) in {aside}; the tables no longer list them", err=True)
        return
    click.echo(f"{len(bad)} bad file(s); run `workbench check --quarantine` to move them aside", err=True)
    sys.exit(1)
