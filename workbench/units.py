"""Units, parsed and formatted in one place: durations, instants, counts, bytes.

One unit system. Bytes are IEC binary units (B, KiB, MiB, GiB, TiB: powers of 1024). Durations
are ``ms``, ``s``, ``m`` (minutes, never months), ``h``, ``d``, ``w``; a bare number is seconds.
Parsing rejects, with a one-line :class:`~workbench.errors.ConfigError`: inf and nan, negative
values, zero where a positive value is needed, durations over 100 years, and month units.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from workbench.errors import ConfigError

#: IEC byte units (the one unit system of every report); SI ones only read user-given values.
KIB, MIB, GIB, TIB = 1 << 10, 1 << 20, 1 << 30, 1 << 40
#: SI byte units of user-given parameters (``broker_disk_gb``, ``broker_nic_mb_s``...).
MB, GB = 1_000_000, 1_000_000_000

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DUR_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_MONTH_RE = re.compile(r"^\s*[\d.]+\s*(mo|mon|month|months|M)\s*$")
_AGE_UNITS = ("h", "d", "w")
#: The longest duration accepted (100 years): larger values are typos and overflow dates.
MAX_DURATION = dt.timedelta(days=36_525)


def parse_duration(
    text: str | float | int | dt.timedelta, what: str = "duration", allow_zero: bool = False
) -> dt.timedelta:
    """``"30s"`` -> 30 seconds; plain numbers are seconds. Positive unless ``allow_zero``."""
    if isinstance(text, dt.timedelta):
        seconds = text.total_seconds()
    elif isinstance(text, int | float):
        seconds = float(text)
    else:
        seconds = _duration_seconds(text, what)
    if math.isnan(seconds) or math.isinf(seconds):
        raise ConfigError(f"bad {what} {text!r}: not a finite number")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ConfigError(f"bad {what} {text!r}: must be {'>= 0' if allow_zero else 'positive'}, e.g. 30s")
    if seconds > MAX_DURATION.total_seconds():
        raise ConfigError(f"bad {what} {text!r}: more than 100 years")
    return dt.timedelta(seconds=seconds)


def _duration_seconds(text: str, what: str) -> float:
    if _MONTH_RE.match(text):
        raise ConfigError(f"bad {what} {text!r}: months vary in length; give days (90d) or weeks (13w)")
    m = _DUR_RE.match(text)
    if m:
        return float(m.group(1)) * _UNITS[m.group(2)]
    try:
        return float(text)
    except ValueError:
        raise ConfigError(
            f"bad {what} {text!r}: use a number with a unit, e.g. 30s, 5m, 1h, 7d, 2w"
        ) from None


def parse_age(text: str, what: str = "--older-than") -> dt.timedelta:
    """A retention age in hours, days or weeks only (``90d``, ``12w``, ``36h``): positive.

    ``m`` (minutes, often meant as months) and bare numbers are refused, so an age is never
    off by a factor of 43,200.
    """
    m = _DUR_RE.match(text)
    if not m or m.group(2) not in _AGE_UNITS:
        raise ConfigError(
            f"bad {what} {text!r}: use hours, days or weeks, e.g. 36h, 90d, 12w "
            "(months spelled as days: 3 months = 90d)"
        )
    return parse_duration(text, what)


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
    if _DUR_RE.match(value) or _MONTH_RE.match(value):
        try:
            return anchor - parse_duration(value, what, allow_zero=True)
        except OverflowError:
            raise ConfigError(f"bad {what} {value!r}: reaches before year 1") from None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"bad {what} {value!r}: use ISO 8601 (2026-11-27T14:00Z) or a duration back from "
            "the newest snapshot (7d)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# -- formatting ----------------------------------------------------------------------------------


def duration(seconds: float | None) -> str:
    """``7800`` -> ``"2 h 10 min"``; ``45`` -> ``"45 s"``; ``None`` -> ``"unknown"``."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "unknown"
    s = round(abs(seconds))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def count(value: float | None) -> str:
    """``1234567`` -> ``"1.2M"``, ``12345`` -> ``"12.3k"``, ``950`` -> ``"950"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    v = float(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= limit:
            return f"{v / limit:.1f}{suffix}"
    return f"{v:.0f}" if abs(v) >= 10 or v == int(v) else f"{v:.1f}"


def rate(value: float | None, unit: str = "msg/s") -> str:
    """``120.4`` -> ``"120 msg/s"``."""
    return f"{count(value)} {unit}"


def instant(value: dt.datetime | None, reference: dt.datetime | None = None) -> str:
    """``"14:05"`` when on the reference's day, else ``"Nov 17 14:05"`` (UTC)."""
    if value is None:
        return "unknown"
    value = value.astimezone(dt.UTC)
    if reference is not None and reference.astimezone(dt.UTC).date() == value.date():
        return f"{value:%H:%M} UTC"
    return f"{value:%b %d %H:%M} UTC"


def bytes_iec(n: float | None) -> str:
    """``2 << 40`` -> ``"2.0 TiB"``; ``1536`` -> ``"1.5 KiB"``; ``None`` -> ``"0 B"`` (IEC units)."""
    v = float(n or 0)
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(v) >= size:
            return f"{v / size:.1f} {unit}"
    return f"{v:.0f} B"


def rate_iec(bytes_per_s: float | None) -> str:
    """``12.9e6`` -> ``"12.3 MiB/s"``; ``None`` -> ``"unknown"`` (IEC units per second)."""
    if bytes_per_s is None or (isinstance(bytes_per_s, float) and math.isnan(bytes_per_s)):
        return "unknown"
    return bytes_iec(bytes_per_s) + "/s"


def given_iec(value: float | None, unit: str) -> str:
    """A user-given SI size or rate echoed in IEC units: ``(1000, "GB")`` -> ``"931.3 GiB (given: 1000 GB)"``.

    ``unit`` is ``"GB"``, ``"MB"``, ``"MB/s"`` or ``"GB/s"``; ``None`` -> ``"unknown"``.
    """
    if value is None:
        return "unknown"
    size = GB if unit.startswith("GB") else MB
    shown = rate_iec(value * size) if unit.endswith("/s") else bytes_iec(value * size)
    return f"{shown} (given: {value:g} {unit})"
