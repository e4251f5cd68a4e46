"""Progress on a terminal for commands that run longer than a few seconds.

On a terminal (stderr is a TTY) a rich bar shows the step, items done of items, a note (rows
written so far) and the elapsed time; it disappears when the command ends. Piped or in cron
nothing is drawn: each command prints its one summary line as before.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

#: ``update(done, total, note)``: items done of ``total``, and a short note ("120,000 rows").
Update = Callable[[int, int, str], None]


def _ignore(done: int, total: int, note: str = "") -> None:
    """The update of a run with no bar (piped, cron)."""


@contextmanager
def progress(step: str, unit: str) -> Iterator[Update]:
    """A bar labelled ``step`` counting ``unit`` (``"files"``, ``"day chunks"``) on a terminal;
    a no-op update otherwise."""
    if not sys.stderr.isatty():
        yield _ignore
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(step, total=None, note="")

        def update(done: int, total: int, note: str = "") -> None:
            bar.update(task, completed=done, total=total, note=note)

        yield update


def parse_all(
    files: Sequence[str], reader: Callable[[Any], T], read_stdin: Callable[[], Any]
) -> list[tuple[str, T]]:
    """``reader`` over every file (``-`` = stdin, read once), with a files-done bar on a terminal."""
    from pathlib import Path

    parsed: list[tuple[str, T]] = []
    with progress("import", "files") as update:
        for done, name in enumerate(files, 1):
            parsed.append((name, reader(read_stdin() if name == "-" else Path(name))))
            update(done, len(files), name)
    return parsed
