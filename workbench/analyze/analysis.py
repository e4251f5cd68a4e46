"""The one call a notebook makes: :func:`analyze_lag`, and the incident summary for its headlines."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from workbench.analyze.burrow import BurrowConfig
from workbench.analyze.burrow_status import group_status, partition_status
from workbench.analyze.lag import group_lag, member_lag, partition_lag, topic_lag, with_cluster
from workbench.analyze.timelag import time_lag


@dataclass(frozen=True)
class LagAnalysis:
    """Every lag frame of one offsets history (see :func:`analyze_lag`)."""

    partitions: pl.DataFrame
    """Per (ts, group, topic, partition): lag, rates, time to drain, time lag."""
    members: pl.DataFrame
    """Per (ts, group, member): see :func:`workbench.analyze.member_lag`."""
    groups: pl.DataFrame
    """Per (ts, group): see :func:`workbench.analyze.group_lag`."""
    topics: pl.DataFrame
    """Per (ts, topic): see :func:`workbench.analyze.topic_lag`."""
    partition_status: pl.DataFrame
    """Burrow's partition status at every snapshot."""
    group_status: pl.DataFrame
    """Burrow's group status at every snapshot."""
    config: BurrowConfig = field(default_factory=BurrowConfig)
    """The Burrow settings the statuses were evaluated with."""


def analyze_lag(
    offsets: pl.DataFrame | pl.LazyFrame,
    log_end_history: pl.DataFrame | pl.LazyFrame | None = None,
    config: BurrowConfig | None = None,
) -> LagAnalysis:
    """Lags, rates, time lag, Burrow statuses and aggregates of an offsets history.

    Args:
        offsets: an offsets frame (``load_offsets``), with or without the lag columns.
        log_end_history: optional ``partition_offsets`` frame: a denser log-end history for
            the time lag.
        config: Burrow's evaluation settings (defaults: Burrow's defaults).
    """
    config = config or BurrowConfig()
    frame = offsets.lazy().collect() if isinstance(offsets, pl.LazyFrame) else offsets
    parts = time_lag(partition_lag(frame), log_end_history)
    pstatus = partition_status(frame, config)
    return LagAnalysis(
        partitions=parts,
        members=member_lag(parts),
        groups=group_lag(parts),
        topics=topic_lag(parts),
        partition_status=pstatus,
        group_status=group_status(pstatus),
        config=config,
    )


_SEVERITY = {"ERR": 3, "WARN": 2, "OK": 1, "NOTFOUND": 0}


def summarize_incidents(analysis: LagAnalysis) -> pl.DataFrame:
    """One row per group at its newest snapshot, worst first: the input of headline sentences.

    Columns: group keys, ``as_of``, ``status`` and ``since`` (first ts of the current run of that
    status), ``status_duration_s``, ``totallag``, ``maxlag`` with its topic/partition,
    ``lag_growth_rate`` (msg/s, at the newest snapshot), ``lag_growth_rate_since`` (msg/s, average
    over the current status run), ``max_time_lag_s``, ``time_to_drain_s``, ``coverage``,
    ``error_partitions``, ``warn_partitions``.
    """
    gs = analysis.group_status
    gkeys = with_cluster(gs.columns, ("group",))
    runs = gs.sort([*gkeys, "ts"]).with_columns(_run=pl.col("status").rle_id().over(gkeys))
    current = runs.filter(pl.col("_run") == pl.col("_run").max().over(gkeys))
    first = current.group_by(gkeys).agg(
        since=pl.col("ts").min(), _lag_since=pl.col("totallag").sort_by("ts").first()
    )
    latest = current.filter(pl.col("ts") == pl.col("ts").max().over(gkeys))
    groups = analysis.groups.select(
        *gkeys,
        "ts",
        "lag_growth_rate",
        "coverage",
        "time_to_drain_s",
        *(["max_time_lag_s"] if "max_time_lag_s" in analysis.groups.columns else []),
    )
    out = latest.join(first, on=gkeys).join(groups, on=[*gkeys, "ts"], how="left")
    span = (pl.col("ts") - pl.col("since")).dt.total_microseconds() / 1e6
    out = out.with_columns(
        as_of=pl.col("ts"),
        status_duration_s=span,
        lag_growth_rate_since=pl.when(span > 0).then((pl.col("totallag") - pl.col("_lag_since")) / span),
        _sev=pl.col("status").replace_strict(_SEVERITY, return_dtype=pl.Int8),
    )
    if "max_time_lag_s" not in out.columns:
        out = out.with_columns(max_time_lag_s=pl.lit(None, pl.Float64))
    cols = [
        "as_of",
        "status",
        "since",
        "status_duration_s",
        "totallag",
        "maxlag",
        "maxlag_topic",
        "maxlag_partition",
    ]
    rest = ["lag_growth_rate", "lag_growth_rate_since", "max_time_lag_s", "time_to_drain_s", "coverage"]
    out = out.sort(
        ["_sev", "totallag", *gkeys], descending=[True, True, *[False] * len(gkeys)], nulls_last=True
    )
    return out.select(*gkeys, *cols, *rest, "error_partitions", "warn_partitions")
