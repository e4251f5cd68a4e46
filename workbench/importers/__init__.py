"""Files from other tools -> the workbench's datasets (stage 1' of the pipeline).

Each importer parses one foreign format completely, in memory, and returns an
:class:`ImportResult`: a frame in a :mod:`workbench.schema` dataset plus notes about what it
skipped. Nothing here touches the data directory; the CLI appends the frames to the store only
after every input parsed, so a bad file writes nothing.

Details: docs/importers.md (`workbench.importers`).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from workbench.errors import InputFileError
from workbench.schema import DATASETS, conform
from workbench.validate import EARLIEST, FUTURE_SLACK

#: Kafka's spelling of the group state when it cannot be told from the input.
UNKNOWN_STATE = "Unknown"


@dataclass(frozen=True)
class InputText:
    """Text to import together with the name error messages use for it (``<stdin>``, a path)."""

    text: str
    name: str = "<text>"
    mtime: dt.datetime | None = None


@dataclass(frozen=True)
class ImportResult:
    """One parsed input: a frame in ``dataset``'s schema and notes on what was skipped."""

    frame: pl.DataFrame
    dataset: str = "offsets"
    notes: tuple[str, ...] = ()

    @property
    def groups(self) -> int:
        """Distinct consumer groups in the frame."""
        return self.frame["group"].n_unique() if "group" in self.frame.columns else 0

    @property
    def partitions(self) -> int:
        """Distinct (topic, partition) pairs in the frame."""
        if not {"topic", "partition"} <= set(self.frame.columns):
            return 0
        return self.frame.select("topic", "partition").unique().height


Source = str | os.PathLike[str] | InputText


def read_input(source: Source) -> InputText:
    """Load ``source`` as text. A file's mtime is kept (it is the default snapshot time).

    Raises :class:`InputFileError` when the file cannot be read or decoded.
    """
    if isinstance(source, InputText):
        return source
    if isinstance(source, str) and _is_text(source):
        return InputText(source)
    path = Path(source)
    try:
        data = path.read_bytes()
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    except OSError as exc:
        raise InputFileError(path, None, f"cannot read the file: {exc.strerror or exc}") from exc
    return InputText(_decode(data, path), str(path), mtime)


def _is_text(value: str) -> bool:
    """A ``str`` is text, not a path, when it has a newline, is blank, or starts a JSON value."""
    return "\n" in value or value.lstrip()[:1] in ("", "{", "[")


def read_stdin() -> InputText:
    """Standard input as an :class:`InputText` named ``<stdin>`` (no mtime: defaults to now)."""
    return InputText(_decode(sys.stdin.buffer.read(), "<stdin>"), "<stdin>")


def _decode(data: bytes, name: object) -> str:
    """UTF-8 (with or without BOM), or UTF-16 with a BOM (PowerShell's ``>`` writes that)."""
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputFileError(name, line, f"not {encoding.removesuffix('-sig')} text ({exc.reason})") from exc


def snapshot_time(at: dt.datetime | None, text: InputText) -> dt.datetime:
    """The snapshot time: ``at`` (naive means UTC), else the file's mtime, else now.

    An mtime outside the accepted range (:mod:`workbench.validate`: 2010 to now + 1 day, e.g. a
    file unpacked with mtime 0) is an error asking for ``--at``.
    """
    if at is not None:
        return at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    now = dt.datetime.now(dt.UTC)
    if text.mtime is not None and not EARLIEST <= text.mtime <= now + FUTURE_SLACK:
        raise InputFileError(
            text.name,
            None,
            f"modified at {text.mtime:%Y-%m-%dT%H:%MZ}: not a plausible snapshot time; pass --at",
        )
    return text.mtime or now


def rows_frame(rows: list[dict[str, object]], dataset: str = "offsets") -> pl.DataFrame:
    """Rows (dicts keyed by column name) -> a frame in ``dataset``'s schema, in schema order."""
    schema = DATASETS[dataset][0]
    return conform(pl.DataFrame(rows, schema=schema), dataset)


# The format modules use the helpers above, so they are imported last.
from workbench.importers.burrow import parse_burrow, read_burrow  # noqa: E402
from workbench.importers.consumer_groups import parse_consumer_groups, read_consumer_groups  # noqa: E402

__all__ = [
    "UNKNOWN_STATE",
    "ImportResult",
    "InputText",
    "Source",
    "parse_burrow",
    "parse_consumer_groups",
    "read_burrow",
    "read_consumer_groups",
    "read_input",
    "read_stdin",
    "rows_frame",
    "snapshot_time",
]
