"""Pure analytics over tidy frames: consumer lag, time lag, Burrow-style status.

Frames in, frames out; no I/O. The notebook entry point is :func:`analyze_lag`.
"""

from workbench.analyze.analysis import LagAnalysis, analyze_lag, analyze_lag_pieces, summarize_incidents
from workbench.analyze.burrow import (
    GROUP_STATUSES,
    PARTITION_STATUSES,
    STATUS_CODES,
    BurrowConfig,
)
from workbench.analyze.burrow_status import group_status, partition_status
from workbench.analyze.lag import group_lag, member_lag, partition_lag, topic_lag
from workbench.analyze.timelag import METHODS as TIME_LAG_METHODS
from workbench.analyze.timelag import time_lag

__all__ = [
    "GROUP_STATUSES",
    "PARTITION_STATUSES",
    "STATUS_CODES",
    "TIME_LAG_METHODS",
    "BurrowConfig",
    "LagAnalysis",
    "analyze_lag",
    "analyze_lag_pieces",
    "group_lag",
    "group_status",
    "member_lag",
    "partition_lag",
    "partition_status",
    "summarize_incidents",
    "time_lag",
    "topic_lag",
]
