"""Prometheus range-query results -> frames in the workbench's dataset schemas (pure).

A result is Prometheus' ``matrix``: a list of ``{"metric": {labels}, "values": [[t, "v"], ...]}``.
Range queries evaluate every series at the same instants (start + k * step), so series of
different metrics join exactly on ``ts``.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from workbench.errors import PrometheusError
from workbench.importers.prometheus.families import CLUSTER_LABELS, BrokerQuery, LagFamily
from workbench.schema import UTC_TS, conform, empty

Matrix = list[dict[str, Any]]
SOURCE = "prometheus"


def long_frame(result: Matrix, labels: dict[str, str]) -> pl.DataFrame:
    """``ts``, ``value`` and one column per wanted label (label -> column; missing = null)."""
    columns: dict[str, list[Any]] = {"ts": [], "value": [], **{col: [] for col in labels.values()}}
    for series in result:
        metric, values = series.get("metric", {}), series.get("values", [])
        for label, col in labels.items():
            columns[col].extend([metric.get(label)] * len(values))
        columns["ts"].extend(round(float(t) * 1_000_000) for t, _ in values)
        columns["value"].extend(_number(v) for _, v in values)
    schema = {"ts": pl.Int64, "value": pl.Float64, **{col: pl.String for col in labels.values()}}
    frame = pl.DataFrame(columns, schema=schema)
    return frame.with_columns(pl.col("ts").cast(UTC_TS)).filter(pl.col("value").is_not_nan())


def _number(text: str) -> float:
    value = float(text)  # Prometheus sends "NaN", "+Inf": not offsets or rates
    return value if math.isfinite(value) else math.nan


def check_one_cluster(results: list[Matrix], family: str) -> None:
    """Refuse series that carry several Kafka cluster names (a multi-cluster exporter)."""
    for label in CLUSTER_LABELS:
        names = {s.get("metric", {}).get(label) for r in results for s in r} - {None}
        if len(names) > 1:
            shown = ", ".join(sorted(names)[:5])
            raise PrometheusError(
                f"{family} series name several clusters ({label}: {shown}): choose one with "
                f"--match-lag '{label}=\"NAME\"'"
            )


def _offsets_of(result: Matrix, family: LagFamily, col: str, group: bool) -> pl.DataFrame:
    labels = {family.topic: "topic", family.partition: "partition"}
    if group:
        labels = {family.group: "group", **labels, **dict(family.member)}
    frame = long_frame(result, labels).rename({"value": col})
    keys = ["ts", *(["group"] if group else []), "topic", "partition"]
    frame = frame.with_columns(pl.col("partition").cast(pl.Int32, strict=False))
    frame = frame.filter(pl.col("topic") != "__cluster_metadata")  # KRaft's log: not a topic
    return frame.drop_nulls(keys).unique(keys, keep="first", maintain_order=True)


def partition_offsets(
    family: LagFamily, log_end: Matrix, log_start: Matrix | None, cluster: str
) -> pl.DataFrame:
    """The ``partition_offsets`` rows: log end (and start) per partition and instant."""
    frame = _offsets_of(log_end, family, "log_end_offset", group=False)
    if log_start is not None:
        start = _offsets_of(log_start, family, "log_start_offset", group=False)
        frame = frame.join(start, on=["ts", "topic", "partition"], how="left")
    frame = frame.with_columns(cluster=pl.lit(cluster), source=pl.lit(f"{SOURCE}:{family.exporter}"))
    return conform(_whole(frame, ["log_end_offset", "log_start_offset"]), "partition_offsets")


def offsets(
    family: LagFamily, committed: Matrix | None, lag: Matrix | None, partitions: pl.DataFrame, cluster: str
) -> pl.DataFrame:
    """The ``offsets`` rows: committed offset per group partition and instant, with the log end.

    Committed comes from the exporter's committed-offset metric, else log end - lag (kminion).
    """
    ends = partitions.select("ts", "topic", "partition", "log_start_offset", "log_end_offset")
    if committed is not None:
        frame = _offsets_of(committed, family, "committed_offset", group=True)
        frame = frame.join(ends, on=["ts", "topic", "partition"], how="left")
    elif lag is not None:
        frame = _offsets_of(lag, family, "lag", group=True).join(ends, on=["ts", "topic", "partition"])
        frame = frame.with_columns(committed_offset=pl.col("log_end_offset") - pl.col("lag"))
    else:  # partition offsets only (the JMX exporter)
        return empty("offsets")
    frame = frame.with_columns(
        cluster=pl.lit(cluster), group_state=pl.lit("Unknown"), source=pl.lit(f"{SOURCE}:{family.exporter}")
    )
    cols = ["committed_offset", "log_end_offset", "log_start_offset"]
    return conform(_whole(frame, cols).filter(pl.col("group") != ""), "offsets")


def _whole(frame: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """Offsets as Int64; a negative value (kafka_exporter's -1: no commit) is null."""
    present = [c for c in cols if c in frame.columns]
    return frame.with_columns(
        pl.when(pl.col(c) >= 0).then(pl.col(c).round()).cast(pl.Int64).alias(c) for c in present
    )


def broker_metrics(query: BrokerQuery, result: Matrix, cluster: str) -> pl.DataFrame:
    """The ``broker_metrics`` rows of one query: instance, host, metric, detail, value."""
    labels = {"instance": "instance", **({query.detail: "detail"} if query.detail else {})}
    frame = long_frame(result, labels)
    if "detail" not in frame.columns:
        frame = frame.with_columns(detail=pl.lit(""))
    frame = frame.with_columns(
        cluster=pl.lit(cluster),
        host=pl.col("instance").str.replace(r":\d+$", ""),
        metric=pl.lit(query.metric),
        detail=pl.col("detail").fill_null(""),
        source=pl.lit(f"{SOURCE}:{query.source}"),
    )
    return conform(frame, "broker_metrics")
