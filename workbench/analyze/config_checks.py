"""Deprecated import path; use :mod:`workbench.analyze.config`. Removed in 0.3."""

from workbench.analyze.config.broker_rules import (
    auto_create_topics,
    broker_count,
    broker_min_insync,
    broker_retention,
    broker_unclean_election,
    controller,
    default_replication_factor,
    io_threads,
    network_threads,
    socket_buffers,
)
from workbench.analyze.config.model import Findings, retention_ms
from workbench.analyze.config.registry import RULES

__all__ = [
    "RULES",
    "Findings",
    "auto_create_topics",
    "broker_count",
    "broker_min_insync",
    "broker_retention",
    "broker_unclean_election",
    "controller",
    "default_replication_factor",
    "io_threads",
    "network_threads",
    "retention_ms",
    "socket_buffers",
]
