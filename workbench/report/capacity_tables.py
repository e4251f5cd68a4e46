"""Deprecated import path; use :mod:`workbench.analyze.capacity`. Removed in 0.3."""

from workbench.analyze.capacity import (
    BROKER_FORMATS,
    CONSUMER_FORMATS,
    GB,
    SKEW_FORMATS,
    TOPIC_FORMATS,
    broker_display,
    cluster_table,
    consumer_display,
    cruise_control_json,
    formula_table,
    partition_recommendations,
    topic_display,
)
from workbench.report.notebook import show_json

__all__ = [
    "BROKER_FORMATS",
    "CONSUMER_FORMATS",
    "GB",
    "SKEW_FORMATS",
    "TOPIC_FORMATS",
    "broker_display",
    "cluster_table",
    "consumer_display",
    "cruise_control_json",
    "formula_table",
    "partition_recommendations",
    "show_json",
    "topic_display",
]
