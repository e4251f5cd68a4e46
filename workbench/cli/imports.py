"""``workbench import ...``: files from other tools into the data directory.

Every subcommand parses all its FILEs first and writes only when all parsed, so a bad file
writes nothing (fix it and rerun the same command without duplicating rows). To add a format,
write a reader returning :class:`workbench.importers.ImportResult` and a command that calls
:func:`run_import` with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from workbench.cli.options import data_dir_option
from workbench.importers import ImportResult, Source

#: Reads one input (a path or stdin's text) into a result.
Reader = Callable[[Source], ImportResult]

_FILES = click.argument("files", nargs=-1, required=True, metavar="FILE...")
_AT_HELP = (
    "When the input was produced: ISO 8601 (naive = UTC) or a duration back from now (2h). "
    "Default: each file's modification time; now for stdin."
)


@click.group("import")
def import_group() -> None:
    """Import files from other tools into the data directory (FILE '-' reads stdin)."""


@import_group.command("consumer-groups")
@_FILES
@click.option("--cluster", required=True, help="Name to file the rows under (the output does not name it).")
@click.option("--at", help=_AT_HELP)
@data_dir_option
def consumer_groups(files: tuple[str, ...], cluster: str, at: str | None, data_dir: str) -> None:
    """Import `kafka-consumer-groups --describe` output (3.x/4.x, --all-groups, --verbose).

    Capture stderr too (2>&1): it carries the "no active members" and "rebalancing" messages
    that give each group's state.
    """
    from workbench.importers import read_consumer_groups

    when = _instant(at)
    run_import(files, lambda source: read_consumer_groups(source, cluster, when), data_dir)


@import_group.command("burrow")
@_FILES
@click.option("--cluster", help="File the rows under this name instead of the response's status.cluster.")
@click.option("--at", help=_AT_HELP.replace("input was produced", "Burrow answered"))
@data_dir_option
def burrow(files: tuple[str, ...], cluster: str | None, at: str | None, data_dir: str) -> None:
    """Import Burrow /v3/kafka/<cluster>/consumer/<group>/lag JSON (object, array or JSON lines).

    Log end = end.offset + current_lag (Burrow floors that lag at 0).
    """
    from workbench.importers import read_burrow

    when = _instant(at)
    run_import(files, lambda source: read_burrow(source, cluster, when), data_dir)


def run_import(files: Sequence[str], reader: Reader, data_dir: str) -> None:
    """Parse every file (``-`` = stdin) with ``reader``, then append all results to the store.

    Prints one line per file; notes (skipped groups...) go to stderr.
    """
    from workbench.errors import ConfigError
    from workbench.importers import read_stdin
    from workbench.store import Store

    if list(files).count("-") > 1:
        raise ConfigError("'-' (stdin) can be given once")
    parsed = [(name, reader(read_stdin() if name == "-" else Path(name))) for name in files]
    store = Store(data_dir)
    for name, result in parsed:
        store.append(result.dataset, result.frame)
        label = "<stdin>" if name == "-" else name
        click.echo(_summary(label, result, data_dir))
        for note in result.notes:
            click.echo(f"{label}: note: {note}", err=True)


def _summary(name: str, result: ImportResult, data_dir: str) -> str:
    frame = result.frame
    where = ""
    if frame.height:
        clusters = ", ".join(sorted(frame["cluster"].unique().to_list()))
        where = f" (cluster {clusters}, at {frame['ts'].min():%Y-%m-%dT%H:%M:%SZ})"
    return (
        f"{name}: {frame.height} rows, {result.groups} groups, {result.partitions} partitions "
        f"written to {data_dir}/{result.dataset}{where}"
    )


def _instant(at: str | None) -> dt.datetime | None:
    from workbench.timeparse import parse_instant

    return parse_instant(at, dt.datetime.now(dt.UTC), "--at")


def register(main: click.Group) -> None:
    """Add the ``import`` group to the ``workbench`` group."""
    main.add_command(import_group)
