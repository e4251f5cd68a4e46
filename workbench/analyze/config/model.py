"""Config health: the model every rule shares (rules import only this module; no cycle).

A rule is a small named function (:mod:`~workbench.analyze.config.broker_rules`,
:mod:`~workbench.analyze.config.topic_rules`) registered in :mod:`~workbench.analyze.config.registry`
with an id, a category and a description. It reads a :class:`ConfigView` and the thresholds
(:class:`RuleSettings`, parsed by :mod:`~workbench.analyze.config.settings`) and yields
:class:`Finding` records (severity ``critical``, ``warning`` or ``info``). Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import polars as pl

SEVERITIES: tuple[str, ...] = ("critical", "warning", "info")
CATEGORIES: tuple[str, ...] = ("cluster", "broker", "topic", "replication", "drift", "disk")

#: The findings frame every evaluation returns, ranked critical first.
FINDINGS = pl.Schema(
    {
        "rule_id": pl.String,
        "severity": pl.String,
        "category": pl.String,
        "entity_type": pl.String,
        "entity": pl.String,
        "message": pl.String,
        "recommendation": pl.String,
        "value": pl.String,
        "threshold": pl.String,
    }
)

#: Threshold name -> default. Every rule reads its thresholds from here (overridable by TOML).
DEFAULT_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {
        "min_brokers": 3,
        "min_network_threads": 3,
        "min_io_threads": 8,
        "min_socket_buffer_bytes": 102400,
        "min_replication_factor": 3,
        "min_insync_replicas": 2,
        "min_retention_ms": 3_600_000,
        "min_compact_delete_retention_ms": 86_400_000,
        "max_topic_partitions": 1000,
        "max_partitions_per_broker": 4000,
        "max_leader_skew": 1.5,
        "min_partitions_for_skew": 6,
        "max_broker_disk_skew": 1.2,
        "max_partition_disk_skew": 2.0,
        "min_disk_bytes": 1 << 30,
    }
)

#: Broker keys that differ between brokers by design: never config drift.
PER_BROKER_KEYS: frozenset[str] = frozenset(
    {
        "broker.id",
        "node.id",
        "listeners",
        "advertised.listeners",
        "log.dirs",
        "log.dir",
        "broker.rack",
        "metadata.log.dir",
        "host.name",
        "advertised.host.name",
        "port",
    }
)


@dataclass(frozen=True)
class Finding:
    """One problem found by one rule."""

    rule_id: str
    severity: str
    entity_type: str
    entity: str
    message: str
    recommendation: str
    value: object = None
    threshold: object = None


@dataclass(frozen=True)
class RuleSettings:
    """Which rules run and with which thresholds (defaults: every rule, :data:`DEFAULT_THRESHOLDS`)."""

    disabled: frozenset[str] = frozenset()
    thresholds: Mapping[str, float] = field(default_factory=lambda: DEFAULT_THRESHOLDS)
    drift_ignore: frozenset[str] = PER_BROKER_KEYS

    def t(self, name: str) -> float:
        """The threshold ``name``."""
        return self.thresholds[name]


@dataclass(frozen=True)
class ConfigView:
    """One snapshot's frames, with each resource's configs as a ``{name: value}`` dictionary."""

    cluster_info: pl.DataFrame
    brokers: pl.DataFrame
    configs: pl.DataFrame
    partitions: pl.DataFrame
    log_dirs: pl.DataFrame
    broker_configs: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    topic_configs: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    topic_sources: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)

    @classmethod
    def of(cls, frames: Mapping[str, pl.DataFrame]) -> ConfigView:
        """Build from dataset frames (``cluster_info``, ``brokers``, ``configs``, ``topic_partitions``,
        ``log_dirs``) of a single snapshot."""
        configs = frames["configs"]
        return cls(
            frames["cluster_info"],
            frames["brokers"],
            configs,
            frames["topic_partitions"],
            frames["log_dirs"],
            _as_dicts(configs, "broker", "value"),
            _as_dicts(configs, "topic", "value"),
            _as_dicts(configs, "topic", "config_source"),
        )


def _as_dicts(configs: pl.DataFrame, kind: str, column: str) -> dict[str, dict[str, str | None]]:
    out: dict[str, dict[str, str | None]] = {}
    rows = configs.filter(pl.col("resource_type") == kind).select("resource_name", "name", column)
    for resource, name, value in rows.iter_rows():
        out.setdefault(resource, {})[name] = value
    return out


Check = Callable[[ConfigView, RuleSettings], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A registered rule: id, category, description and the function that checks it."""

    id: str
    category: str
    description: str
    check: Check


def rank(findings: pl.DataFrame) -> pl.DataFrame:
    """Sort findings by severity (critical first), then rule id and entity."""
    order = pl.col("severity").replace_strict(
        {s: i for i, s in enumerate(SEVERITIES)}, default=len(SEVERITIES), return_dtype=pl.Int8
    )
    return findings.sort(order, "rule_id", "entity")


def worst_severity(findings: pl.DataFrame) -> str | None:
    """The most severe level among ``findings`` (None when there are none)."""
    present = set(findings["severity"].to_list())
    return next((s for s in SEVERITIES if s in present), None)


Findings = Iterator[Finding]


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _true(value: object) -> bool:
    return str(value).strip().lower() == "true"


def retention_ms(cfg: Mapping[str, str | None], prefix: str = "log.") -> int | None:
    """Effective retention: ``log.retention.ms``, else ``.minutes``, else ``.hours`` (broker), or
    ``retention.ms`` (topic, ``prefix=""``)."""
    for key, factor in (("retention.ms", 1), ("retention.minutes", 60_000), ("retention.hours", 3_600_000)):
        value = _int(cfg.get(prefix + key))
        if value is not None:
            return value if value < 0 else value * factor
    return None
