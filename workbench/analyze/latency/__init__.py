"""Latency percentiles of benchmark runs, and the report's findings."""

from workbench.analyze.latency.findings import (
    SUMMARY_FORMATS,
    comparison,
    headline,
    latency_title,
    settings_table,
    summary_table,
)
from workbench.analyze.latency.percentiles import (
    COMPARED,
    MIB,
    compare_runs,
    distribution,
    exact_percentile,
    interval_series,
    merged_stats,
    resolve_latency,
    run_summary,
    sweep_curve,
)

__all__ = [
    "COMPARED",
    "MIB",
    "SUMMARY_FORMATS",
    "compare_runs",
    "comparison",
    "distribution",
    "exact_percentile",
    "headline",
    "interval_series",
    "latency_title",
    "merged_stats",
    "resolve_latency",
    "run_summary",
    "settings_table",
    "summary_table",
    "sweep_curve",
]
