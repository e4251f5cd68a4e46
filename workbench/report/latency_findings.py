"""Deprecated import path; use :mod:`workbench.analyze.latency`. Removed in 0.3."""

from __future__ import annotations

from workbench.analyze.latency import distribution, interval_series, run_summary
from workbench.analyze.latency.findings import (
    SUMMARY_FORMATS,
    comparison,
    settings_table,
    summary_table,
)
from workbench.analyze.latency.findings import headline as findings
from workbench.frames.bench import LATENCIES, load_runs
from workbench.report.notebook import show_comparison, show_sweep
from workbench.report.notebook import show_runs_window as show_window

summary = run_summary
series = interval_series

__all__ = [
    "LATENCIES",
    "SUMMARY_FORMATS",
    "comparison",
    "distribution",
    "findings",
    "load_runs",
    "series",
    "settings_table",
    "show_comparison",
    "show_sweep",
    "show_window",
    "summary",
    "summary_table",
]
