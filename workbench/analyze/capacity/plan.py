"""The capacity plan: rates, forecasts and sizing math combined per topic, group and broker.

Pure: frames in (:class:`CapacityInputs`), frames out (:class:`CapacityPlan`). Units as in
:mod:`workbench.analyze.capacity.sizing`: bytes, bytes/s, msg/s, days. "Peak" is the p99 of the
per-snapshot-interval rates over the window; the forecast peak is the highest fitted value in
the last week of the horizon.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from workbench.analyze.capacity import forecast as fc
from workbench.analyze.capacity import rates as cr
from workbench.analyze.capacity import sizing as sz
from workbench.analyze.capacity import window as cw
from workbench.analyze.capacity.consumers import consumer_table
from workbench.scalars import as_float

if TYPE_CHECKING:
    from polars._typing import SchemaDict


@dataclass(frozen=True)
class CapacityInputs:
    """The stored frames the plan reads (any may be empty except ``partition_offsets``)."""

    partition_offsets: pl.DataFrame | cw.Slices  # or the window in time slices (then offsets unused)
    offsets: pl.DataFrame | Iterable[pl.DataFrame]  # or pieces of whole groups, read one at a time
    log_dirs: pl.DataFrame
    topics: pl.DataFrame  # workbench.analyze.config.history.topic_table: partitions, rf, retention_h, ...
    placement: pl.DataFrame  # newest topic_partitions: topic, partition, leader, replicas
    brokers: list[int]
    volumes: pl.DataFrame | None = None  # newest log_dir_volumes per broker: total_bytes, usable_bytes
    size_marks: pl.DataFrame | None = None  # raw partition offsets at log-dir times (rates from a rollup)


@dataclass(frozen=True)
class CapacityParams:
    """What-if knobs. Capacities in bytes (per broker) and bytes/s; ``growth_per_week`` a fraction."""

    producer: sz.PartitionCapacity
    consumer: sz.PartitionCapacity | None = None
    horizon_days: float = 90.0
    headroom: float = 1.5
    growth_per_week: float | None = None
    retention_override_h: float | None = None
    fill_target: float = 0.7
    overhead: float = 0.15
    broker_disk_bytes: float | None = None
    broker_nic_bytes_per_s: float | None = None
    disk_basis: str = "unknown"  # one of BASES: where broker_disk_bytes comes from
    nic_basis: str = "unknown"


#: Where a figure comes from, said beside it in the report and the JSON.
BASES = ("measured", "given by you", "assumed", "unknown")


@dataclass(frozen=True)
class CapacityPlan:
    """Every table of the capacity report (see each builder for the columns)."""

    topic_rates: pl.DataFrame
    topics: pl.DataFrame
    consumers: pl.DataFrame
    brokers: pl.DataFrame
    forecasts: dict[str, pl.DataFrame] = field(default_factory=dict)
    disk_forecasts: pl.DataFrame | None = None
    cluster: dict[str, float] = field(default_factory=dict)
    skew: pl.DataFrame | None = None
    notes: dict[str, str] = field(default_factory=dict)
    """Sections with too little data, or a shortened horizon, in one sentence each (``ingress``, ``disk``)."""
    snapshots: pl.DataFrame | None = None
    """One row per snapshot time of the window's partition offsets (``ts``: the data window)."""


def plan_capacity(inputs: CapacityInputs, params: CapacityParams) -> CapacityPlan:
    """Rates -> forecasts -> per-topic headroom, consumer needs, per-broker disk and network.

    The window's rates are reduced one time slice at a time (:func:`window.reduce_window`) when
    ``inputs.partition_offsets`` is a :class:`window.Slices`; frames are one slice."""
    source = inputs.partition_offsets
    if isinstance(source, pl.DataFrame):
        source = cw.WholeWindow(source, inputs.offsets)
    ingress = cw.reduce_window(source, inputs.log_dirs, inputs.size_marks)
    rates = ingress.rates
    forecasts = topic_forecasts(rates, params)
    notes = {
        "ingress": fc.history_note("ingress", rates["ts"] if rates.height else None, params.horizon_days)
    }
    topics = topic_headroom(ingress, inputs.topics, forecasts, params)
    consumers = consumer_table(ingress.consumption, topics, params)
    brokers, disk_fc = broker_needs(ingress.partitions, inputs, topics, consumers, params)
    cluster = cluster_totals(topics, brokers, params)
    skew = cr.skew_of_means(ingress.partitions)
    notes["disk"] = fc.history_note(
        "disk", inputs.log_dirs["ts"] if inputs.log_dirs.height else None, params.horizon_days
    )
    notes = {k: v for k, v in notes.items() if v}
    return CapacityPlan(
        rates, topics, consumers, brokers, forecasts, disk_fc, cluster, skew, notes, ingress.snapshots
    )


def topic_forecasts(rates: pl.DataFrame, params: CapacityParams) -> dict[str, pl.DataFrame]:
    """Per topic with traffic: the forecast frame of ``bytes_per_s`` (see :func:`forecast.forecast`),
    as far ahead as :func:`forecast.allowed_horizon` lets its history reach."""
    out = {}
    for (topic,), frame in rates.group_by("topic"):
        series = frame.sort("ts").filter(pl.col("bytes_per_s").is_not_null())
        horizon = fc.allowed_horizon(series["ts"], params.horizon_days)
        if horizon is None or series.height < 24 or (as_float(series["bytes_per_s"].max()) or 0.0) <= 0:
            continue
        out[str(topic)], _ = fc.forecast(
            series, "bytes_per_s", horizon, "1h", growth_per_week=params.growth_per_week
        )
    return out


def _forecast_peak(frame: pl.DataFrame | None) -> float | None:
    """Highest fitted value in the last 7 days of the horizon."""
    if frame is None:
        return None
    ahead = frame.filter(pl.col("kind") == "forecast")
    if ahead.is_empty():
        return None
    tail = ahead.filter(pl.col("ts") > ahead["ts"].max() - dt.timedelta(days=7))  # type: ignore[operator]
    return float(tail["fitted"].max())  # type: ignore[arg-type]


def topic_headroom(
    ingress: cw.Ingress,
    meta: pl.DataFrame,
    forecasts: dict[str, pl.DataFrame],
    params: CapacityParams,
) -> pl.DataFrame:
    """Per topic: peaks, skew, capacity, utilization, status, days until the hottest partition
    reaches ``P``, and the partitions needed now and at the horizon."""
    rates, part = ingress.rates, ingress.partitions
    peaks = cr.peaks(rates, ["topic"], "bytes_per_s").join(cr.peaks(rates, ["topic"]), on="topic")
    skew = cr.skew_of_means(part).select("topic", "hottest", "skew", pl.col("partitions").alias("seen"))
    weight = pl.when(pl.col("bytes_per_msg").is_not_null()).then(pl.col("rows"))
    bpm = part.group_by("topic").agg(  # the mean over the topic's rate rows
        bytes_per_msg=pl.when(weight.sum() > 0).then((pl.col("bytes_per_msg") * weight).sum() / weight.sum())
    )
    cols = [
        c
        for c in ("topic", "partitions", "rf", "retention_h", "cleanup_policy", "size_bytes")
        if c in meta.columns
    ]
    table = peaks.join(skew, on="topic", how="left").join(bpm, on="topic", how="left")
    table = table.join(meta.select(cols), on="topic", how="left").with_columns(
        pl.col("partitions").fill_null(pl.col("seen")).cast(pl.Int64), pl.col("skew").fill_null(1.0)
    )
    rows = [_headroom_row(r, forecasts.get(r["topic"]), params) for r in table.iter_rows(named=True)]
    if not rows:  # under two snapshots: no rates yet, the same columns
        return pl.DataFrame(schema=_TOPIC_SCHEMA)
    return pl.DataFrame(rows, infer_schema_length=None).sort("utilization", descending=True, nulls_last=True)


_TOPIC_SCHEMA: SchemaDict = {
    **{k: pl.String for k in ("topic", "cleanup_policy", "status")},
    **{k: pl.Int64 for k in ("partitions", "rf", "size_bytes", "hottest", "partitions_now")},
    "partitions_at_horizon": pl.Int64,
    "full_at": pl.Datetime("us", "UTC"),
    **{
        k: pl.Float64
        for k in (
            "retention_h",
            "bytes_per_msg",
            "mean_msg_per_s",
            "p99_msg_per_s",
            "mean_bytes_per_s",
            "p99_bytes_per_s",
            "max_bytes_per_s",
            "skew",
            "forecast_peak_bytes_per_s",
            "capacity_bytes_per_s",
            "limit_bytes_per_s",
            "utilization",
            "days_until_full",
        )
    },
}


def _headroom_row(r: dict[str, Any], forecast: pl.DataFrame | None, params: CapacityParams) -> dict[str, Any]:
    """One topic's headroom: utilization = hottest partition's peak / P."""
    peak, parts, skew = r["p99_bytes_per_s"] or 0.0, int(r["partitions"] or 1), float(r["skew"] or 1.0)
    future = _forecast_peak(forecast)
    p, c = params.producer, params.consumer
    cap = p.bytes_per_s if p.known else None
    hottest_peak = peak * skew / parts
    util = hottest_peak / cap if cap else None
    limit = cap * parts / skew if cap else None  # topic rate at which the hottest partition hits P
    crossing = fc.days_until(forecast, limit) if forecast is not None and limit else None
    c_rate = c.bytes_per_s if c is not None and c.known else None
    need = (lambda t: sz.partitions_needed(t, cap, c_rate, params.headroom)) if cap else None
    return {
        **{k: r.get(k) for k in ("topic", "partitions", "rf", "retention_h", "cleanup_policy", "size_bytes")},
        "bytes_per_msg": r["bytes_per_msg"],
        "mean_msg_per_s": r["mean_msg_per_s"],
        "p99_msg_per_s": r["p99_msg_per_s"],
        "mean_bytes_per_s": r["mean_bytes_per_s"],
        "p99_bytes_per_s": peak,
        "max_bytes_per_s": r["max_bytes_per_s"],
        "skew": skew,
        "hottest": r["hottest"],
        "forecast_peak_bytes_per_s": future,
        "capacity_bytes_per_s": cap * parts if cap else None,
        "limit_bytes_per_s": limit,
        "utilization": util,
        "status": _status(util, params.headroom, p.lower_bound),
        "days_until_full": crossing.days if crossing else None,
        "full_at": crossing.at if crossing else None,
        "partitions_now": need(peak) if need and peak > 0 else None,
        "partitions_at_horizon": need(max(future or 0.0, peak)) if need and peak > 0 else None,
    }


def _status(util: float | None, headroom: float, lower_bound: bool) -> str:
    """``ok`` (below 1/headroom), ``tight`` (below 1), ``over`` (at or above 1), or ``above tested``
    when at or above a capacity that is only a lower bound; ``unknown`` without a capacity."""
    if util is None:
        return "unknown"
    if util >= 1:
        return "above tested" if lower_bound else "over"
    return "ok" if util < 1 / headroom else "tight"


def broker_needs(
    partitions: pl.DataFrame,
    inputs: CapacityInputs,
    topics: pl.DataFrame,
    consumers: pl.DataFrame,
    params: CapacityParams,
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Per broker: bytes on disk now, disk the retention needs at today's and the horizon's rates
    (÷ fill target), peak network in and out, and when the disk forecast reaches the fill target."""
    reps = _replica_rates(partitions, inputs.placement, topics, params)
    groups = consumers.group_by("topic").agg(groups=pl.len()) if consumers.height else None
    if groups is not None:
        reps = reps.join(groups, on="topic", how="left")
    reps = reps.with_columns(
        pl.col("groups").fill_null(0) if "groups" in reps.columns else pl.lit(0).alias("groups")
    )
    leader = pl.col("is_leader")
    per = reps.group_by("broker").agg(
        retention_bytes=pl.col("retained_now").sum(),
        retention_bytes_horizon=pl.col("retained_horizon").sum(),
        nw_in=pl.col("peak").sum(),
        nw_out=(
            pl.when(leader).then(pl.col("peak") * (pl.col("rf") - 1 + pl.col("groups"))).otherwise(0)
        ).sum(),
        replicas=pl.len(),
        leaders=leader.sum(),
    )
    used = _disk_now(inputs.log_dirs)
    table = per.join(used, on="broker", how="full", coalesce=True).sort("broker")
    table = table.with_columns(
        disk_needed=pl.max_horizontal("retention_bytes_horizon", "used_bytes") / params.fill_target
    )
    return _disk_crossings(table, inputs.log_dirs, params)


def _replica_rates(
    partitions: pl.DataFrame, placement: pl.DataFrame, topics: pl.DataFrame, params: CapacityParams
) -> pl.DataFrame:
    """One row per (broker, replica): mean and peak bytes/s of its partition (the topic's rate x
    the partition's current share, :attr:`window.Ingress.partitions`), bytes its retention holds."""
    share = partitions.select("topic", "partition", "share").drop_nulls("share")
    info = topics.select(
        "topic",
        "mean_bytes_per_s",
        "p99_bytes_per_s",
        "retention_h",
        "cleanup_policy",
        "forecast_peak_bytes_per_s",
        "size_bytes",
        pl.col("rf").fill_null(1),
        "partitions",
    )
    ret_h = pl.lit(params.retention_override_h) if params.retention_override_h else pl.col("retention_h")
    growth = (pl.col("forecast_peak_bytes_per_s") / pl.col("p99_bytes_per_s")).fill_null(1.0).fill_nan(1.0)
    bounded = (ret_h > 0) & ~pl.col("cleanup_policy").fill_null("delete").str.contains("compact")
    per_replica_size = pl.col("size_bytes") / (pl.col("partitions") * pl.col("rf"))
    retained = (
        pl.when(bounded)
        .then(pl.col("mean_bytes_per_s") * pl.col("share") * ret_h * 3600 * (1 + params.overhead))
        .otherwise(per_replica_size)
    )
    rows = (
        placement.select("topic", "partition", "leader", "replicas")
        .explode("replicas")
        .rename({"replicas": "broker"})
        .join(share, on=["topic", "partition"], how="left")
        .join(info, on="topic", how="left")
    )
    return rows.with_columns(
        is_leader=pl.col("leader") == pl.col("broker"),
        peak=(pl.col("p99_bytes_per_s") * pl.col("share")).fill_null(0.0),
        retained_now=retained.fill_null(0.0),
        retained_horizon=(retained * growth.clip(lower_bound=1.0)).fill_null(0.0),
    )


def current_share(part: pl.DataFrame) -> pl.DataFrame:
    """Each partition's share of its topic's bytes since the topic's newest partition appeared
    (the current layout): ``topic, partition, share``. Equal shares when no bytes were seen.

    Summing each partition's mean over its own lifetime instead overstates a topic that gained
    partitions in the window (the new ones' means cover only the later, split traffic).
    """
    since = part.group_by("topic", "partition").agg(first=pl.col("ts").min())
    since = since.group_by("topic").agg(since=pl.col("first").max())
    recent = part.join(since, on="topic").filter(pl.col("ts") >= pl.col("since"))
    mean = recent.group_by("topic", "partition").agg(mean=pl.col("bytes_per_s").mean().fill_null(0.0))
    total = pl.col("mean").sum().over("topic")
    share = pl.when(total > 0).then(pl.col("mean") / total).otherwise(1.0 / pl.len().over("topic"))
    return mean.select("topic", "partition", share.alias("share"))


def _disk_now(log_dirs: pl.DataFrame) -> pl.DataFrame:
    """Bytes on disk per broker at the newest log-dir snapshot."""
    if log_dirs.is_empty():
        return pl.DataFrame(schema={"broker": pl.Int32, "used_bytes": pl.Int64})
    last = log_dirs.filter(pl.col("ts") == log_dirs["ts"].max())
    return last.group_by("broker").agg(used_bytes=pl.col("size_bytes").sum())


def _disk_crossings(
    table: pl.DataFrame, log_dirs: pl.DataFrame, params: CapacityParams
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Forecast each broker's bytes on disk (6-hourly) and when it reaches capacity × fill target."""
    if log_dirs.is_empty():
        return table.with_columns(days_until_fill=pl.lit(None, pl.Float64), fill_at=pl.lit(None)), None
    history = (
        log_dirs.group_by("ts", "broker").agg(bytes=pl.col("size_bytes").sum().cast(pl.Float64)).sort("ts")
    )
    limit = params.broker_disk_bytes * params.fill_target if params.broker_disk_bytes else None
    frames, days, when = [], {}, {}
    for (broker,), frame in history.group_by("broker"):
        horizon = fc.allowed_horizon(frame["ts"], params.horizon_days)
        if frame.height < 3 or horizon is None:
            continue
        f, _ = fc.forecast(frame.sort("ts"), "bytes", horizon, "6h", growth_per_week=params.growth_per_week)
        frames.append(f.with_columns(broker=pl.lit(broker, pl.Int32)))
        if limit:
            hit = fc.days_until(f, limit)
            days[broker], when[broker] = hit.days, hit.at
    fill = pl.DataFrame(
        {"broker": list(days), "days_until_fill": list(days.values()), "fill_at": list(when.values())},
        schema={"broker": pl.Int32, "days_until_fill": pl.Float64, "fill_at": pl.Datetime("us", "UTC")},
    )
    return table.join(fill, on="broker", how="left"), (pl.concat(frames) if frames else None)


def cluster_totals(topics: pl.DataFrame, brokers: pl.DataFrame, params: CapacityParams) -> dict[str, float]:
    """Cluster ingress (mean and peak bytes/s), NW in/out, disk needed, and brokers needed per resource."""
    nw_in, nw_out = float(brokers["nw_in"].sum()), float(brokers["nw_out"].sum())
    disk = float(brokers["disk_needed"].sum()) * params.fill_target  # bytes to hold, before the fill target
    rf = int(topics["rf"].drop_nulls().max() or 1) if "rf" in topics.columns else 1  # type: ignore[arg-type]
    need = sz.brokers_needed(
        disk,
        params.broker_disk_bytes,
        params.fill_target,
        nw_in,
        nw_out,
        params.broker_nic_bytes_per_s,
        min_brokers=rf,
    )
    return {
        "ingress_mean": float(topics["mean_bytes_per_s"].sum()),
        "ingress_peak": float(topics["p99_bytes_per_s"].sum()),
        "nw_in": nw_in,
        "nw_out": nw_out,
        "disk_to_hold": disk,
        "brokers_now": float(brokers.height),
        **{("brokers_needed" if k == "brokers" else f"brokers_for_{k}"): float(v) for k, v in need.items()},
    }
