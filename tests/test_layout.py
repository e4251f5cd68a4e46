"""The analyze domains import cleanly from any entry point, and the old module paths still work."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings

import pytest

import workbench.analyze

#: Old module path -> the public names it had (they keep working until 0.3).
OLD_PATHS = {
    "workbench.analyze.analysis": ["LagAnalysis", "analyze_lag", "analyze_lag_pieces", "summarize_incidents"],
    "workbench.analyze.burrow": ["BurrowConfig", "STATUS_CODES", "decide", "expr_decide"],
    "workbench.analyze.burrow_reference": ["Slot", "evaluate_window", "reference_partition_status"],
    "workbench.analyze.burrow_status": ["evaluate_windows", "group_status", "partition_status"],
    "workbench.analyze.capacity": ["CapacityInputs", "CapacityParams", "CapacityPlan", "plan_capacity"],
    "workbench.analyze.capacity_rates": ["hour_of_week_profile", "ingress_rates", "partition_skew"],
    "workbench.analyze.config_checks": ["RULES", "Findings", "broker_count", "retention_ms"],
    "workbench.analyze.config_history": ["findings_over_time", "snapshots", "topic_table"],
    "workbench.analyze.config_rules": [
        "SEVERITIES",
        "ConfigView",
        "evaluate",
        "parse_rule_settings",
        "rule_ids",
    ],
    "workbench.analyze.config_topics": ["RULES", "leader_skew", "replication_factor"],
    "workbench.analyze.forecast": ["SeasonalTrend", "days_until", "fit", "forecast"],
    "workbench.analyze.grid": ["Agg", "aggregate", "grid_bins", "run_starts"],
    "workbench.analyze.grouping": ["dense_ids", "map_runs"],
    "workbench.analyze.lag": ["GROUP_KEYS", "group_lag", "partition_lag", "prepare", "topic_lag"],
    "workbench.analyze.latency": ["COMPARED", "compare_runs", "distribution", "run_summary", "sweep_curve"],
    "workbench.analyze.sizing": ["MB", "PartitionCapacity", "bench_capacity", "cruise_control_capacity"],
    "workbench.analyze.snapshot": ["LEVELS", "LagThresholds", "latest_group_lag", "worst_level"],
    "workbench.analyze.timelag": ["METHODS", "first_reach_points", "time_lag"],
    "workbench.report.capacity_findings": ["bench_capacities", "headline", "load_inputs", "make_params"],
    "workbench.report.capacity_tables": ["TOPIC_FORMATS", "cruise_control_json", "show_json"],
    "workbench.report.config_findings": ["headline", "rule_settings", "scorecard_html"],
    "workbench.report.humanize": ["count", "duration", "instant", "rate"],
    "workbench.report.lag_findings": ["LagLevels", "classify_groups", "headline_findings"],
    "workbench.report.lag_window": ["NOT_EVALUATED", "analyze_window", "summarize_window"],
    "workbench.report.latency_findings": ["findings", "load_runs", "show_sweep", "show_window", "summary"],
}


def _analyze_modules() -> list[str]:
    walk = pkgutil.walk_packages(workbench.analyze.__path__, "workbench.analyze.")
    return sorted(m.name for m in walk if m.name not in OLD_PATHS)


def _fresh_import(name: str) -> None:
    for loaded in [m for m in sys.modules if m == "workbench" or m.startswith("workbench.")]:
        del sys.modules[loaded]
    importlib.import_module(name)


@pytest.mark.parametrize("name", _analyze_modules())
def test_every_analyze_module_imports_first(name: str) -> None:
    """No import cycle: each module imports on its own, before anything else of workbench."""
    saved = dict(sys.modules)
    try:
        _fresh_import(name)
    finally:
        sys.modules.clear()
        sys.modules.update(saved)


@pytest.mark.parametrize(("old", "names"), sorted(OLD_PATHS.items()))
def test_old_import_paths_still_work_and_say_nothing(old: str, names: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module = importlib.reload(importlib.import_module(old))
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{old} lost {missing}"
    if not old.startswith(("workbench.analyze.lag", "workbench.analyze.burrow", "workbench.analyze.capacity",
                           "workbench.analyze.latency")) or "_" in old.rsplit(".", 1)[1]:  # fmt: skip
        assert (module.__doc__ or "").startswith("Deprecated import path; use ")


def test_analyze_is_pure() -> None:
    """No module under analyze/ reads the store or runs notebooks."""
    import ast
    from pathlib import Path

    root = Path(workbench.analyze.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("workbench.store", "workbench.report")), path
                assert not node.module.startswith("workbench.collect"), path
