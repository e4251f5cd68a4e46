"""Config health over a window of snapshots, and per-broker / per-topic summaries of one snapshot.

Pure: frames of the config datasets in (see :mod:`workbench.frames.configs`), frames out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from workbench.analyze.config.model import FINDINGS, ConfigView, RuleSettings, _int, rank, retention_ms
from workbench.analyze.config.registry import evaluate
from workbench.units import bytes_iec

_KEY = ["resource_type", "resource_name", "name"]


def snapshots(history: Mapping[str, pl.DataFrame]) -> dict[object, dict[str, pl.DataFrame]]:
    """``{ts: {dataset: frame}}`` for every snapshot in ``history`` (keyed by ``cluster_info`` times)."""
    split = {name: frame.partition_by("ts", as_dict=True) for name, frame in history.items()}
    out = {}
    for ts in sorted(history["cluster_info"]["ts"].unique().to_list()):
        out[ts] = {name: parts.get((ts,), history[name].clear()) for name, parts in split.items()}
    return out


def findings_over_time(
    history: Mapping[str, pl.DataFrame], settings: RuleSettings | None = None
) -> pl.DataFrame:
    """Every snapshot's findings, with its ``ts`` as the first column."""
    frames = [
        evaluate(ConfigView.of(snap), settings).select(pl.lit(ts).alias("ts"), pl.all())
        for ts, snap in snapshots(history).items()
    ]
    if not frames:
        return pl.DataFrame(schema={"ts": pl.Datetime("us", "UTC"), **FINDINGS})
    return pl.concat(frames)


def severity_counts(over_time: pl.DataFrame, times: list[Any]) -> pl.DataFrame:
    """Findings per (ts, severity), zero-filled for every snapshot in ``times``."""
    grid = pl.DataFrame({"ts": times}, schema={"ts": pl.Datetime("us", "UTC")}).join(
        pl.DataFrame({"severity": ["critical", "warning", "info"]}), how="cross"
    )
    counts = over_time.group_by("ts", "severity").agg(findings=pl.len())
    return grid.join(counts, on=["ts", "severity"], how="left").with_columns(pl.col("findings").fill_null(0))


def finding_changes(over_time: pl.DataFrame) -> pl.DataFrame:
    """Per (rule, entity): first and last snapshot it was seen, how many, and whether it is new,
    resolved or present throughout the window."""
    if over_time.is_empty():
        return pl.DataFrame(schema={"status": pl.String, "rule_id": pl.String, "entity": pl.String})
    first, last = over_time["ts"].min(), over_time["ts"].max()
    stats = over_time.group_by("rule_id", "entity").agg(
        pl.col("severity").sort_by("ts").last(),
        first_seen=pl.col("ts").min(),
        last_seen=pl.col("ts").max(),
        snapshots=pl.len(),
        message=pl.col("message").sort_by("ts").last(),
    )
    status = (
        pl.when(pl.col("last_seen") < last)
        .then(pl.lit("resolved"))
        .when(pl.col("first_seen") > first)
        .then(pl.lit("new"))
        .otherwise(pl.lit("throughout"))
    )
    order = pl.col("status").replace_strict({"new": 0, "resolved": 1, "throughout": 2}, return_dtype=pl.Int8)
    return stats.with_columns(status=status).sort(order, "first_seen", "rule_id", "entity")


def replication_history(partitions: pl.DataFrame) -> pl.DataFrame:
    """Per snapshot: partitions, under-replicated and offline partitions."""
    return (
        partitions.group_by("ts")
        .agg(
            partitions=pl.len(),
            under_replicated=(
                ~pl.col("offline") & (pl.col("isr").list.len() < pl.col("replicas").list.len())
            ).sum(),
            offline=pl.col("offline").sum(),
        )
        .sort("ts")
    )


def disk_history(log_dirs: pl.DataFrame) -> pl.DataFrame:
    """Bytes per (snapshot, broker), future replicas excluded."""
    return (
        log_dirs.filter(~pl.col("is_future"))
        .group_by("ts", "broker")
        .agg(size_bytes=pl.col("size_bytes").sum())
        .sort("ts", "broker")
    )


def config_changes(configs: pl.DataFrame) -> pl.DataFrame:
    """Config values that changed between consecutive snapshots in which the entry was reported.

    A broker that was down for a while is compared with its last report; sensitive values are null
    on both sides, so only a change of source shows for them.
    """
    ordered = configs.sort([*_KEY, "ts"]).with_columns(
        before=pl.col("value").shift(1).over(_KEY),
        source_before=pl.col("config_source").shift(1).over(_KEY),
        seen_before=pl.col("ts").shift(1).over(_KEY).is_not_null(),
    )
    changed = ordered.filter(
        pl.col("seen_before")
        & (
            pl.col("value").ne_missing(pl.col("before"))
            | pl.col("config_source").ne_missing(pl.col("source_before"))
        )
    )
    return changed.select(
        "ts",
        "resource_type",
        "resource_name",
        "name",
        "before",
        after=pl.col("value"),
        source=pl.col("config_source"),
    ).sort("ts", *_KEY)


def broker_load(view: ConfigView) -> pl.DataFrame:
    """Per live broker: partition replicas, leaders and bytes on disk."""
    ids = view.brokers.select(broker=pl.col("broker_id")).sort("broker")
    replicas = (
        view.partitions.select(broker=pl.col("replicas").explode()).group_by("broker").agg(replicas=pl.len())
    )
    leaders = view.partitions.drop_nulls("leader").group_by(broker=pl.col("leader")).agg(leaders=pl.len())
    disk = (
        view.log_dirs.filter(~pl.col("is_future"))
        .group_by("broker")
        .agg(size_bytes=pl.col("size_bytes").sum())
    )
    out = ids.join(replicas, on="broker", how="left").join(leaders, on="broker", how="left")
    return out.join(disk, on="broker", how="left").fill_null(0)


def topic_display(topics: pl.DataFrame) -> pl.DataFrame:
    """:func:`topic_table` as the report shows it: bytes on disk in IEC units (``on disk``)."""
    if "size_bytes" not in topics.columns:
        return topics
    text = pl.col("size_bytes").map_elements(bytes_iec, return_dtype=pl.String, skip_nulls=True)
    return topics.with_columns(text.alias("size_bytes")).rename({"size_bytes": "on disk"})


def topic_table(view: ConfigView, findings: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per topic: partitions, RF, min ISR, cleanup policy, retention, under-replicated, bytes, findings."""
    parts = view.partitions.group_by("topic").agg(
        partitions=pl.len(),
        rf=pl.col("replicas").list.len().min(),
        under_replicated=(pl.col("isr").list.len() < pl.col("replicas").list.len()).sum(),
        internal=pl.col("is_internal").any(),
    )
    cfg = [
        {
            "topic": t,
            "min_isr": _int(c.get("min.insync.replicas")),
            "cleanup_policy": c.get("cleanup.policy"),
            "retention_h": _hours(retention_ms(c, prefix="")),
        }
        for t, c in view.topic_configs.items()
    ]
    schema = {"topic": pl.String, "min_isr": pl.Int64, "cleanup_policy": pl.String, "retention_h": pl.Float64}
    disk = (
        view.log_dirs.filter(~pl.col("is_future"))
        .group_by("topic")
        .agg(size_bytes=pl.col("size_bytes").sum())
    )
    out = parts.join(pl.DataFrame(cfg, schema=schema), on="topic", how="left").join(
        disk, on="topic", how="left"
    )
    if findings is not None:
        per = (
            findings.filter(pl.col("entity_type") == "topic")
            .group_by(topic=pl.col("entity"))
            .agg(findings=pl.col("rule_id").sort().str.join(", "))
        )
        out = out.join(per, on="topic", how="left").with_columns(pl.col("findings").fill_null("none"))
    return out.sort("topic")


def _hours(ms: int | None) -> float | None:
    if ms is None:
        return None
    return -1.0 if ms < 0 else ms / 3_600_000


__all__ = [
    "broker_load",
    "config_changes",
    "disk_history",
    "finding_changes",
    "findings_over_time",
    "rank",
    "replication_history",
    "severity_counts",
    "snapshots",
    "topic_table",
]
