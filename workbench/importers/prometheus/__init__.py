"""Months of history from a Prometheus server (``workbench import prometheus``; docs/prometheus.md).

Lag exporters' offsets (kafka-lag-exporter, klag-exporter, kafka_exporter, kminion) become
``offsets`` and ``partition_offsets`` rows; the JMX exporter's broker metrics and node_exporter's
filesystem and network metrics become ``broker_metrics`` rows. :mod:`.client` talks HTTP,
:mod:`.families` names the metrics, :mod:`.frames` builds the frames, :mod:`.run` plans and runs.
"""

from __future__ import annotations

from workbench.importers.prometheus.client import POINTS_PER_CHUNK, Auth, PrometheusClient, chunks
from workbench.importers.prometheus.families import BROKER_QUERIES, LAG_FAMILIES
from workbench.importers.prometheus.run import ImportPlan, import_windows, plan_import

__all__ = [
    "BROKER_QUERIES",
    "LAG_FAMILIES",
    "POINTS_PER_CHUNK",
    "Auth",
    "ImportPlan",
    "PrometheusClient",
    "chunks",
    "import_windows",
    "plan_import",
]
