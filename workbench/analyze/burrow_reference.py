"""Deprecated import path; use :mod:`workbench.analyze.burrow`. Removed in 0.3."""

from workbench.analyze.burrow import (
    EPOCH,
    Ring,
    Slot,
    evaluate_window,
    reference_partition_status,
)

__all__ = ["EPOCH", "Ring", "Slot", "evaluate_window", "reference_partition_status"]
