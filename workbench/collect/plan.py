"""When a collector snapshots, validated once: interval, count, duration, request timeout.

The CLI hands its option text here, so every collector (and a script) gets the same one-line
errors: infinite, negative, zero or overflowing values are refused before any request is sent.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from workbench.errors import ConfigError
from workbench.units import parse_duration

#: The longest interval, duration or timeout we accept (a year): anything longer is a typo.
MAX_SECONDS = 366 * 86400.0
#: librdkafka refuses request timeouts above an hour (LRK rdkafka_admin.c).
MAX_TIMEOUT_S = 3600.0


def seconds(text: str | float | dt.timedelta, flag: str, maximum: float = MAX_SECONDS) -> float:
    """``text`` as a finite, positive number of seconds at most ``maximum``, or a ConfigError."""
    try:
        value = parse_duration(text, flag).total_seconds()
    except OverflowError:
        value = math.inf
    except ValueError:  # NaN
        value = math.nan
    if math.isnan(value) or value <= 0:
        raise ConfigError(f"{flag} must be a positive duration, e.g. 30s, 5m or 1h (got {text!r})")
    if math.isinf(value) or value > maximum:
        most = f"{maximum / 3600:g}h" if maximum < 86400 else f"{maximum / 86400:g}d"
        raise ConfigError(f"{flag} {text!r} is too long: at most {most}")
    return value


def timeout_seconds(text: str | float) -> float:
    """``--timeout``: how long to wait for the cluster (positive, at most an hour)."""
    return seconds(text, "--timeout", MAX_TIMEOUT_S)


@dataclass(frozen=True)
class LoopPlan:
    """When to snapshot: every ``interval``, for ``count`` snapshots or ``duration`` (or forever)."""

    interval: dt.timedelta
    count: int | None = None
    duration: dt.timedelta | None = None

    @classmethod
    def parse(cls, interval: str, count: int | None = None, duration: str | None = None) -> LoopPlan:
        """A plan from option text; --count and --duration exclude each other."""
        if count is not None and duration is not None:
            raise ConfigError("give --count or --duration, not both")
        if count is not None and count < 1:
            raise ConfigError(f"--count must be at least 1 (got {count})")
        every = dt.timedelta(seconds=seconds(interval, "--interval"))
        until = dt.timedelta(seconds=seconds(duration, "--duration")) if duration is not None else None
        return cls(every, count, until)
