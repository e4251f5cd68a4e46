"""Pure analytics over tidy frames, one subpackage per domain: frames in, frames out; no I/O.

Domains: :mod:`~workbench.analyze.lag` (partition and time lag, the severity levels, the
lag report's findings), :mod:`~workbench.analyze.burrow` (Burrow's status rules),
:mod:`~workbench.analyze.config` (config health rules), :mod:`~workbench.analyze.capacity` and
:mod:`~workbench.analyze.latency`. The notebook entry point of lag is :func:`analyze_lag`.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from workbench.analyze import burrow, capacity, config, lag, latency
    from workbench.analyze.burrow import (
        GROUP_STATUSES,
        PARTITION_STATUSES,
        STATUS_CODES,
        BurrowConfig,
        group_status,
        partition_status,
    )
    from workbench.analyze.lag import (
        TIME_LAG_METHODS,
        LagAnalysis,
        analyze_lag,
        analyze_lag_pieces,
        group_lag,
        member_lag,
        partition_lag,
        summarize_incidents,
        time_lag,
        topic_lag,
    )

_DOMAINS = ("burrow", "capacity", "config", "lag", "latency")
_FROM = {
    **dict.fromkeys(
        (
            "GROUP_STATUSES",
            "PARTITION_STATUSES",
            "STATUS_CODES",
            "BurrowConfig",
            "group_status",
            "partition_status",
        ),
        "burrow",
    ),
    **dict.fromkeys(
        (
            "TIME_LAG_METHODS",
            "LagAnalysis",
            "analyze_lag",
            "analyze_lag_pieces",
            "group_lag",
            "member_lag",
            "partition_lag",
            "summarize_incidents",
            "time_lag",
            "topic_lag",
        ),
        "lag",
    ),
}


def __getattr__(name: str) -> _typing.Any:
    """Import a domain on first use, so `workbench lag` does not load every domain (PEP 562)."""
    if name in _DOMAINS:
        return _importlib.import_module(f"{__name__}.{name}")
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{_FROM[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "GROUP_STATUSES",
    "PARTITION_STATUSES",
    "STATUS_CODES",
    "TIME_LAG_METHODS",
    "BurrowConfig",
    "LagAnalysis",
    "analyze_lag",
    "analyze_lag_pieces",
    "burrow",
    "capacity",
    "config",
    "group_lag",
    "group_status",
    "lag",
    "latency",
    "member_lag",
    "partition_lag",
    "partition_status",
    "summarize_incidents",
    "time_lag",
    "topic_lag",
]
