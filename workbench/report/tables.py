"""How a report table reads: human column names and human values, one rule for every report.

A column name loses its snake_case (``size_bytes`` -> ``size``, ``lag_ms`` -> ``lag (ms)``);
a value shows in the workbench's one unit system (:mod:`workbench.units`): bytes in IEC
units, seconds as durations, instants in UTC; null is ``unknown`` (never 0 or ``None``),
booleans are ``yes`` / ``no``. A table with no rows is replaced by a sentence.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from workbench import units

__all__ = ["EMPTY", "cell_text", "column_kind", "human_name"]

#: The sentence shown instead of a table with no rows, unless the caller gives its own.
EMPTY = "Nothing to show: no rows in this window."

#: (suffix, human suffix, value kind), first match wins; kind ``None`` formats nothing.
_SUFFIXES: tuple[tuple[str, str, str | None], ...] = (
    ("_per_s", "/s", None),
    ("_bytes", "", "bytes"),
    ("_seconds", "", "duration"),
    ("_s", "", "duration"),
    ("_ms", " (ms)", None),
    ("_pct", " %", None),
    ("_h", " (h)", None),
)
_BYTES_NAMES = {"bytes", "size"}


def _suffix(name: str) -> tuple[str, str, str | None] | None:
    return next((s for s in _SUFFIXES if name.endswith(s[0]) and len(name) > len(s[0])), None)


def human_name(name: str) -> str:
    """``size_bytes`` -> ``size``; ``records_per_s`` -> ``records/s``; names with spaces stay."""
    if "_" not in name:
        return name
    found = _suffix(name)
    stem, tail = (name[: -len(found[0])], found[1]) if found else (name, "")
    return stem.replace("_", " ") + tail


def column_kind(name: str, dtype: pl.DataType) -> str | None:
    """``bytes``, ``duration`` or None: how a numeric column's values are shown."""
    if not dtype.is_numeric():
        return None
    if name in _BYTES_NAMES:
        return "bytes"
    found = _suffix(name) if "_" in name else None
    return found[2] if found else None


_KINDS: dict[str, Callable[[float], str]] = {"bytes": units.bytes_iec, "duration": units.duration}


def cell_text(value: Any, fmt: str | None = None, kind: str | None = None) -> str:
    """One value as shown (escaped): ``fmt`` (a format spec) wins over the column ``kind``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if fmt is not None:
            return html.escape(format(value, fmt))
        if kind is not None:
            return html.escape(_KINDS[kind](value))
        return html.escape(f"{value:,}" if isinstance(value, int) else f"{value:,.6g}")
    if isinstance(value, dt.datetime):
        return html.escape(units.instant(value))
    return html.escape(str(value))


def formats_by_column(
    frame: pl.DataFrame, formats: Mapping[str, str] | None
) -> list[tuple[str | None, str | None]]:
    """Per column of ``frame``: (format spec, kind) used by :func:`cell_text`."""
    formats = formats or {}
    return [(formats.get(c), column_kind(c, frame.schema[c])) for c in frame.columns]
