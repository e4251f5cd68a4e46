"""Burrow's consumer-status rules: the knobs (:class:`BurrowConfig`), the rules (scalar and
vectorized), their evaluation over a history, and the scalar reference the tests compare with.
"""

from workbench.analyze.burrow.commits import (
    commits_from_snapshots,
    group_status_on_commits,
    partition_status_on_commits,
    with_commit_status,
)
from workbench.analyze.burrow.reference import (
    EPOCH,
    Ring,
    Slot,
    evaluate_window,
    reference_partition_status,
)
from workbench.analyze.burrow.rules import (
    GROUP_STATUSES,
    PARTITION_STATUSES,
    STATUS_CODES,
    BurrowConfig,
    decide,
    expr_decide,
    expr_decide_index,
    expr_lag_never_within_allowed,
    expr_rule1_zero_lag,
    expr_rule2_rewinding,
    expr_rule3_stopped,
    expr_rule4_stalled,
    expr_rule5_lag_not_decreasing,
    lag_never_within_allowed,
    rule1_zero_lag,
    rule2_rewinding,
    rule3_stopped,
    rule4_stalled,
    rule5_lag_not_decreasing,
    running_columns,
)
from workbench.analyze.burrow.status import (
    evaluate_windows,
    group_status,
    partition_status,
)

__all__ = [
    "EPOCH",
    "GROUP_STATUSES",
    "PARTITION_STATUSES",
    "STATUS_CODES",
    "BurrowConfig",
    "Ring",
    "Slot",
    "commits_from_snapshots",
    "decide",
    "evaluate_window",
    "evaluate_windows",
    "expr_decide",
    "expr_decide_index",
    "expr_lag_never_within_allowed",
    "expr_rule1_zero_lag",
    "expr_rule2_rewinding",
    "expr_rule3_stopped",
    "expr_rule4_stalled",
    "expr_rule5_lag_not_decreasing",
    "group_status",
    "group_status_on_commits",
    "lag_never_within_allowed",
    "partition_status",
    "partition_status_on_commits",
    "reference_partition_status",
    "rule1_zero_lag",
    "rule2_rewinding",
    "rule3_stopped",
    "rule4_stalled",
    "rule5_lag_not_decreasing",
    "running_columns",
    "with_commit_status",
]
