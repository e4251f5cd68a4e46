"""Deprecated import path; use :mod:`workbench.analyze.burrow`. Removed in 0.3."""

from workbench.analyze.burrow import (
    evaluate_windows,
    group_status,
    partition_status,
)

__all__ = ["evaluate_windows", "group_status", "partition_status"]
