"""Typed Python values out of Polars scalars.

``Series.min()``, ``Series.sum()`` and ``DataFrame.item()`` are typed as any Python literal; these
helpers check the value at run time and give the one type the column's dtype guarantees, so the
code after them is type-checked instead of silenced.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module; Polars loads only when a command needs it
    import polars as pl


def as_float(value: object) -> float | None:
    """A number (int, float, Decimal) as a float; None stays None. Anything else is a bug."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}")


def as_int(value: object) -> int | None:
    """An integer; None stays None."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def as_datetime(value: object) -> dt.datetime | None:
    """A datetime; None stays None."""
    if value is None or isinstance(value, dt.datetime):
        return value
    raise TypeError(f"expected a datetime, got {type(value).__name__}")


def span_seconds(start: pl.Series, end: pl.Series) -> float:
    """Seconds from the earliest ``start`` to the latest ``end`` (datetime columns, not empty)."""
    first, last = as_datetime(start.min()), as_datetime(end.max())
    if first is None or last is None:
        raise ValueError("span of an empty or all-null column")
    return (last - first).total_seconds()
