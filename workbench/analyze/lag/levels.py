"""The one severity rule of lag: when a consumer group is ``ok``, ``warning`` or ``critical``.

Used by ``workbench lag`` (terminal and JSON) and the lag report, so the words mean the same
everywhere. The worst rule that fires wins: 1. Burrow status ERR critical, WARN warning; 2. time
lag at ``crit_time_lag_s`` / ``warn_time_lag_s``; 3. offset lag at ``crit_lag`` / ``warn_lag``
(off by default in the report: a busy topic is many messages yet seconds behind; ``workbench lag
--warn/--crit`` set them, as one snapshot has no time lag).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workbench import units
from workbench.errors import ConfigError

#: The levels, least severe first.
LEVELS: tuple[str, ...] = ("ok", "warning", "critical")
#: How a sentence names a partition status that puts a group in ERR.
STATUS_VERBS = {"STOP": "stopped", "STALL": "stalled", "REWIND": "rewinding", "ERR": "in error"}


def _threshold(name: str, value: object) -> float | None:
    """A threshold: None (not used) or a non-negative number (text accepted)."""
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number or None (got {value!r})") from None
    if number < 0:
        raise ConfigError(f"{name} must be >= 0 (got {value!r})")
    return number


@dataclass(frozen=True)
class LagLevels:
    """The thresholds of :func:`classify`: time lag in seconds, offset lag in messages (None: unused)."""

    warn_time_lag_s: float | None = 60.0
    crit_time_lag_s: float | None = 600.0
    warn_lag: float | None = None
    crit_lag: float | None = None

    def __post_init__(self) -> None:
        for name in ("warn_time_lag_s", "crit_time_lag_s", "warn_lag", "crit_lag"):
            object.__setattr__(self, name, _threshold(name, getattr(self, name)))
        for warn, crit in (("warn_time_lag_s", "crit_time_lag_s"), ("warn_lag", "crit_lag")):
            low, high = getattr(self, warn), getattr(self, crit)
            if low is not None and high is not None and low > high:
                raise ConfigError(f"{warn} ({low:g}) must not exceed {crit} ({high:g})")

    def describe(self, burrow: bool = True) -> str:
        """``"time lag (warning at 1 min, critical at 10 min behind) and Burrow status"``
        (``burrow=False``: without the Burrow status, for a single snapshot)."""
        parts = []
        if self.warn_time_lag_s is not None or self.crit_time_lag_s is not None:
            parts.append(
                f"time lag ({_pair(self.warn_time_lag_s, self.crit_time_lag_s, units.duration)} behind)"
            )
        if burrow:
            parts.append("Burrow status")
        if self.warn_lag is not None or self.crit_lag is not None:
            parts.append(f"offset lag ({_pair(self.warn_lag, self.crit_lag, _messages)})")
        return " and ".join(filter(None, [", ".join(parts[:-1]), parts[-1]])) if parts else "nothing"


def _messages(value: float | None) -> str:
    return f"{value:,.0f} messages"


def _pair(warn: float | None, crit: float | None, fmt: Callable[[float], str]) -> str:
    items = [
        f"warning at {fmt(warn)}" if warn is not None else "",
        f"critical at {fmt(crit)}" if crit is not None else "",
    ]
    return ", ".join(i for i in items if i)


def classify(
    levels: LagLevels,
    status: str | None = None,
    time_lag_s: float | None = None,
    lag: float | None = None,
    detail: str = "ERR",
) -> tuple[str, list[str]]:
    """The group's level and every criterion that fired, as text (critical ones first).

    ``detail`` is the worst partition status of a group in ERR (STOP, STALL, REWIND).
    """
    crit: list[str] = []
    warn: list[str] = []
    if status == "ERR":  # rule 1
        crit.append(f"Burrow ERR ({STATUS_VERBS.get(detail, 'in error')})")
    elif status == "WARN":
        warn.append("Burrow WARN (lag not decreasing)")
    if time_lag_s is not None:  # rule 2
        text = f"{units.duration(time_lag_s)} behind"
        if levels.crit_time_lag_s is not None and time_lag_s >= levels.crit_time_lag_s:
            crit.append(f"{text} (critical from {units.duration(levels.crit_time_lag_s)})")
        elif levels.warn_time_lag_s is not None and time_lag_s >= levels.warn_time_lag_s:
            warn.append(f"{text} (warning from {units.duration(levels.warn_time_lag_s)})")
    if lag is not None:  # rule 3
        text = f"{units.count(lag)} messages of lag"
        if levels.crit_lag is not None and lag >= levels.crit_lag:
            crit.append(f"{text} (critical from {levels.crit_lag:,.0f})")
        elif levels.warn_lag is not None and lag >= levels.warn_lag:
            warn.append(f"{text} (warning from {levels.warn_lag:,.0f})")
    return ("critical" if crit else "warning" if warn else "ok"), crit + warn


def worst(levels: list[str]) -> str:
    """The most severe of ``levels`` (``ok`` when empty)."""
    return max(levels, key=LEVELS.index, default="ok")
