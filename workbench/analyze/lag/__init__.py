"""Consumer lag: partition lag and its aggregates, time lag, the analysis entry point, the
one severity rule (:mod:`~workbench.analyze.lag.levels`), the quick view and the report's findings.

Names load on first use (PEP 562), so ``workbench lag`` imports only the modules it needs.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
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
        group_table,
        summarize_incidents,
    )
    from workbench.analyze.lag.findings import (
        behind_findings,
        classify_groups,
        consume_by_topic,
        current_lag,
        current_partition_status,
        drain_findings,
        drain_table,
        error_finding,
        error_runs,
        flag_findings,
        group_lag_series,
        groups_to_plot,
        level_finding,
        partition_skew_frame,
        recovered_findings,
        retention_losses,
        source_finding,
        status_frame,
        unevaluated_finding,
    )
    from workbench.analyze.lag.headline import (
        WindowFacts,
        combine_facts,
        findings_from,
        headline_findings,
        window_facts,
        window_findings,
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
        latest_members,
        latest_partitions,
        worst_level,
    )
    from workbench.analyze.lag.summary import (
        LagSummary,
        summarize_pieces,
        summary_findings,
    )
    from workbench.analyze.lag.timelag import (
        METHODS as TIME_LAG_METHODS,
    )
    from workbench.analyze.lag.timelag import (
        first_reach_points,
        time_lag,
    )
    from workbench.analyze.lag.totals import bucket_totals, snapshot_totals
    from workbench.analyze.lag.transactions import (
        add_stable_lag,
        hanging_findings,
        hanging_over,
        hanging_transactions,
        held_findings,
        held_groups,
        name_hanging,
    )
    from workbench.analyze.lag.window import (
        NOT_EVALUATED,
        LagWindow,
        analyze_window,
        evaluated_start,
        summarize_window,
        trim_to_window,
    )

#: module -> the public names it defines (``ALIAS=name``: exported under another name)
_MODULES: dict[str, str] = {
    "workbench.analyze._groupby.prepare": "GROUP_KEYS TOPIC_KEYS is_sorted_by prepare sort_by with_cluster",
    "workbench.analyze.lag.aggregates": (
        "MEMBER_KEYS delta_rate drain_time group_lag member_lag partition_lag prev_known seconds topic_lag"
    ),
    "workbench.analyze.lag.analysis": (
        "LagAnalysis Stage analyze_lag analyze_lag_pieces group_table summarize_incidents"
    ),
    "workbench.analyze.lag.findings": (
        "behind_findings classify_groups consume_by_topic current_lag current_partition_status "
        "drain_findings drain_table error_finding error_runs flag_findings group_lag_series "
        "groups_to_plot level_finding partition_skew_frame recovered_findings retention_losses "
        "source_finding status_frame unevaluated_finding"
    ),
    "workbench.analyze.lag.headline": (
        "WindowFacts combine_facts findings_from headline_findings window_facts window_findings"
    ),
    "workbench.analyze.lag.levels": "LEVELS STATUS_VERBS LagLevels classify worst",
    "workbench.analyze.lag.recurring": (
        "lag_spells peak_time_lag recurring_findings recurring_spells snapshot_levels"
    ),
    "workbench.analyze.lag.snapshot": "latest_group_lag latest_members latest_partitions worst_level",
    "workbench.analyze.lag.summary": "LagSummary summarize_pieces summary_findings",
    "workbench.analyze.lag.timelag": "TIME_LAG_METHODS=METHODS first_reach_points time_lag",
    "workbench.analyze.lag.totals": "bucket_totals snapshot_totals",
    "workbench.analyze.lag.transactions": (
        "add_stable_lag hanging_findings hanging_over hanging_transactions held_findings held_groups "
        "name_hanging"
    ),
    "workbench.analyze.lag.window": (
        "NOT_EVALUATED LagWindow analyze_window evaluated_start summarize_window trim_to_window"
    ),
}
_FROM: dict[str, tuple[str, str]] = {
    alias: (module, name or alias)
    for module, names in _MODULES.items()
    for alias, _, name in (n.partition("=") for n in names.split())
}


def __getattr__(name: str) -> _typing.Any:
    """Import the module that defines ``name`` on first use."""
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attr = _FROM[name]
    value = getattr(_importlib.import_module(module), attr)
    globals()[name] = value
    return value


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
    "LagSummary",
    "LagWindow",
    "Stage",
    "WindowFacts",
    "add_stable_lag",
    "analyze_lag",
    "analyze_lag_pieces",
    "analyze_window",
    "behind_findings",
    "bucket_totals",
    "classify",
    "classify_groups",
    "combine_facts",
    "consume_by_topic",
    "current_lag",
    "current_partition_status",
    "delta_rate",
    "drain_findings",
    "drain_table",
    "drain_time",
    "error_finding",
    "error_runs",
    "evaluated_start",
    "findings_from",
    "first_reach_points",
    "flag_findings",
    "group_lag",
    "group_lag_series",
    "group_table",
    "groups_to_plot",
    "hanging_findings",
    "hanging_over",
    "hanging_transactions",
    "headline_findings",
    "held_findings",
    "held_groups",
    "is_sorted_by",
    "lag_spells",
    "latest_group_lag",
    "latest_members",
    "latest_partitions",
    "level_finding",
    "member_lag",
    "name_hanging",
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
    "source_finding",
    "status_frame",
    "summarize_incidents",
    "summarize_pieces",
    "summarize_window",
    "summary_findings",
    "time_lag",
    "topic_lag",
    "trim_to_window",
    "unevaluated_finding",
    "window_facts",
    "window_findings",
    "with_cluster",
    "worst",
    "worst_level",
]
