"""Deprecated import path; use :mod:`workbench.analyze.capacity.rates`. Removed in 0.3."""

from workbench.analyze.capacity.rates import (
    bytes_per_message,
    group_egress,
    hour_of_week_profile,
    ingress_rates,
    mean_rate,
    partition_ingress,
    partition_skew,
    peaks,
    topic_ingress,
)

__all__ = [
    "bytes_per_message",
    "group_egress",
    "hour_of_week_profile",
    "ingress_rates",
    "mean_rate",
    "partition_ingress",
    "partition_skew",
    "peaks",
    "topic_ingress",
]
