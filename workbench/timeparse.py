"""Durations (``30s``, ``5m``, ``1h``, ``7d``, ``2w``) and instants (ISO 8601, or a duration
meaning "that long before the anchor")."""

from __future__ import annotations

import datetime as dt
import re

from workbench.errors import ConfigError

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DUR_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")


def parse_duration(text: str | float | int | dt.timedelta, what: str = "duration") -> dt.timedelta:
    """``"30s"`` -> 30 seconds. Plain numbers are seconds."""
    if isinstance(text, dt.timedelta):
        return text
    if isinstance(text, int | float):
        return dt.timedelta(seconds=float(text))
    m = _DUR_RE.match(text)
    if not m:
        try:
            return dt.timedelta(seconds=float(text))
        except ValueError:
            raise ConfigError(
                f"bad {what} {text!r}: use a number with a unit, e.g. 30s, 5m, 1h, 7d, 2w"
            ) from None
    return dt.timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])


def parse_instant(
    value: str | dt.datetime | dt.date | None, anchor: dt.datetime, what: str = "time"
) -> dt.datetime | None:
    """An absolute UTC instant from ISO text, a datetime, a date, or a duration before ``anchor``.

    Naive datetimes are taken as UTC.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if _DUR_RE.match(value):
        return anchor - parse_duration(value, what)
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"bad {what} {value!r}: use ISO 8601 (2026-11-27T14:00Z) or a duration back from "
            "the newest snapshot (7d)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
