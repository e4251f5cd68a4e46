"""Pure analytics over tidy frames, one subpackage per domain: frames in, frames out; no I/O.

Domains: :mod:`~workbench.analyze.lag` (partition and time lag, the severity levels, the
lag report's findings), :mod:`~workbench.analyze.burrow` (Burrow's status rules),
:mod:`~workbench.analyze.config` (config health rules), :mod:`~workbench.analyze.capacity` and
:mod:`~workbench.analyze.latency`. The notebook entry point of lag is :func:`analyze_lag`.
"""

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
