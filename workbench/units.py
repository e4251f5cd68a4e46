"""Numbers, bytes, durations and instants as a reader says them: ``2 h 10 min``, ``1.2k msg/s``.

One unit system: bytes are IEC binary units (B, KiB, MiB, GiB, TiB: powers of 1024).
"""

from __future__ import annotations

import datetime as dt
import math


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
