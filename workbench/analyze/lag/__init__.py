"""Consumer lag: partition lag and its aggregates, time lag, the analysis entry point, the
one severity rule (:mod:`~workbench.analyze.lag.levels`), the quick view and the report's findings.
"""

from workbench.analyze._groupby.prepare import (
    GROUP_KEYS,
    TOPIC_KEYS,
    is_sorted_by,
    prepare,
    sort_by,
    with_cluster,
)
from workbench.analyze.lag.aggregates import (
    MEMBER_KEYS,
    delta_rate,
    drain_time,
    group_lag,
    member_lag,
    partition_lag,
    prev_known,
    seconds,
    topic_lag,
)
from workbench.analyze.lag.analysis import (
    LagAnalysis,
    Stage,
    analyze_lag,
    analyze_lag_pieces,
    summarize_incidents,
)
from workbench.analyze.lag.findings import (
    behind_findings,
    classify_groups,
    consume_by_topic,
    current_lag,
    current_partition_status,
    drain_table,
    error_finding,
    error_runs,
    group_lag_series,
    groups_to_plot,
    headline_findings,
    level_finding,
    partition_skew_frame,
    recovered_findings,
    retention_losses,
    status_frame,
    unevaluated_finding,
)
from workbench.analyze.lag.levels import (
    LEVELS,
    STATUS_VERBS,
    LagLevels,
    classify,
    worst,
)
from workbench.analyze.lag.recurring import (
    lag_spells,
    peak_time_lag,
    recurring_findings,
    recurring_spells,
    snapshot_levels,
)
from workbench.analyze.lag.snapshot import (
    latest_group_lag,
    worst_level,
)
from workbench.analyze.lag.timelag import (
    METHODS as TIME_LAG_METHODS,
)
from workbench.analyze.lag.timelag import (
    first_reach_points,
    time_lag,
)
from workbench.analyze.lag.totals import bucket_totals, snapshot_totals
from workbench.analyze.lag.transactions import add_stable_lag, hanging_transactions
from workbench.analyze.lag.window import (
    NOT_EVALUATED,
    LagWindow,
    analyze_window,
    evaluated_start,
    summarize_window,
    trim_to_window,
)

__all__ = [
    "GROUP_KEYS",
    "LEVELS",
    "MEMBER_KEYS",
    "NOT_EVALUATED",
    "STATUS_VERBS",
    "TIME_LAG_METHODS",
    "TOPIC_KEYS",
    "LagAnalysis",
    "LagLevels",
    "LagWindow",
    "Stage",
    "add_stable_lag",
    "analyze_lag",
    "analyze_lag_pieces",
    "analyze_window",
    "behind_findings",
    "bucket_totals",
    "classify",
    "classify_groups",
    "consume_by_topic",
    "current_lag",
    "current_partition_status",
    "delta_rate",
    "drain_table",
    "drain_time",
    "error_finding",
    "error_runs",
    "evaluated_start",
    "first_reach_points",
    "group_lag",
    "group_lag_series",
    "groups_to_plot",
    "hanging_transactions",
    "headline_findings",
    "is_sorted_by",
    "lag_spells",
    "latest_group_lag",
    "level_finding",
    "member_lag",
    "partition_lag",
    "partition_skew_frame",
    "peak_time_lag",
    "prepare",
    "prev_known",
    "recovered_findings",
    "recurring_findings",
    "recurring_spells",
    "retention_losses",
    "seconds",
    "snapshot_levels",
    "snapshot_totals",
    "sort_by",
    "status_frame",
    "summarize_incidents",
    "summarize_window",
    "time_lag",
    "topic_lag",
    "trim_to_window",
    "unevaluated_finding",
    "with_cluster",
    "worst",
    "worst_level",
]
