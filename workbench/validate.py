"""Range checks for user-given durations, instants and numbers: one-line :class:`ConfigError`\\ s.

Parsing is :mod:`workbench.timeparse`'s; this module adds the accepted ranges (documented in
``docs/input-ranges.md``): finite numbers only, durations within a per-option range, and
snapshot instants between :data:`EARLIEST` and one day after now.
"""

from __future__ import annotations

import datetime as dt
import math

from workbench.errors import ConfigError
from workbench.timeparse import parse_duration, parse_instant

#: No Kafka history predates Kafka's first release (2011): earlier stamps are mistakes (1970 = 0).
EARLIEST = dt.datetime(2010, 1, 1, tzinfo=dt.UTC)
#: How far ahead of this machine's clock a stamp may be (clock skew between hosts).
FUTURE_SLACK = dt.timedelta(days=1)
#: The longest duration any option takes (100 years).
LONGEST = dt.timedelta(days=36525)


def duration(
    text: str | float | dt.timedelta,
    what: str,
    minimum: dt.timedelta = dt.timedelta(0),
    maximum: dt.timedelta = LONGEST,
) -> dt.timedelta:
    """``text`` as a duration within ``[minimum, maximum]``; infinite, NaN or huge are refused."""
    try:
        value = parse_duration(text, what)
    except (OverflowError, ValueError):
        raise ConfigError(f"bad {what} {text!r}: not a finite duration; use e.g. 30s, 5m, 1h, 7d") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{what} {text!r} is out of range: give {_span(minimum)} to {_span(maximum)}")
    return value


def instant(text: str, what: str, now: dt.datetime | None = None) -> dt.datetime:
    """When a snapshot was taken: ISO 8601 or a duration back from now, within the sane range."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        value = parse_instant(text, now, what)
    except (OverflowError, ValueError):
        value = None
    if value is None:
        raise ConfigError(f"bad {what} {text!r}: out of range; use ISO 8601 (2026-11-27T14:00Z) or e.g. 2h")
    latest = now + FUTURE_SLACK
    if not EARLIEST <= value <= latest:
        raise ConfigError(
            f"{what} {text!r} is {value:%Y-%m-%dT%H:%MZ}: a snapshot time must lie between "
            f"{EARLIEST:%Y-%m-%d} and {latest:%Y-%m-%d} (one day after now)"
        )
    return value


def window_bound(text: str, what: str) -> None:
    """Check a since/until bound: no more than 100 years back. Text that is no instant at all is
    left to the reader, which names it (a report then fails in the cell that reads it)."""
    now = dt.datetime.now(dt.UTC)
    try:
        value = parse_instant(text, now, what)
    except ConfigError:
        return
    except (OverflowError, ValueError):
        value = None
    if value is not None and value < now - LONGEST:
        value = None
    if value is None:
        raise ConfigError(f"{what} {text!r} is out of range: go back at most {LONGEST.days}d")


def number(value: float, what: str, minimum: float | None = None, maximum: float | None = None) -> float:
    """A finite number within the given bounds."""
    if not math.isfinite(value):
        raise ConfigError(f"{what} {value!r}: give a finite number")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        low = "" if minimum is None else f"{minimum:g}"
        high = "" if maximum is None else f"{maximum:g}"
        raise ConfigError(f"{what} {value:g} is out of range: give {low or '-inf'} to {high or 'any'}")
    return value


def _span(value: dt.timedelta) -> str:
    seconds = value.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds * 1000:g}ms"
