"""Ingress and egress rates for capacity planning: pure Polars over the stored datasets.

Units: ``msg_per_s`` messages per second, ``bytes_per_s`` bytes per second (on-disk bytes, i.e.
after the producer's compression), timestamps UTC. A rate belongs to the interval that *ends* at
``ts`` and lasts ``dt_s`` seconds (one snapshot interval: 5 min in the sample; per-minute with a
1-minute collector).

Details: docs/capacity-sizing.md (`workbench.analyze.capacity.rates`).
"""

from __future__ import annotations

import polars as pl

_KEYS = ["topic", "partition"]


def ingress_rates(partition_offsets: pl.DataFrame) -> pl.DataFrame:
    """Per partition and snapshot interval: ``ts, topic, partition, dt_s, messages, msg_per_s``.

    ``messages`` is the log-end delta over the interval ending at ``ts``; null (no rate) when
    the log end went backwards or is unknown.
    """
    frame = partition_offsets.select("ts", *_KEYS, "log_end_offset").sort(*_KEYS, "ts")
    deltas = frame.with_columns(
        dt_s=(pl.col("ts") - pl.col("ts").shift(1)).dt.total_microseconds().over(_KEYS) / 1e6,
        messages=(pl.col("log_end_offset") - pl.col("log_end_offset").shift(1)).over(_KEYS),
    ).filter(pl.col("dt_s").is_not_null() & (pl.col("dt_s") > 0))
    messages = pl.when(pl.col("messages") >= 0).then(pl.col("messages"))
    return deltas.select(
        "ts", *_KEYS, "dt_s", messages.alias("messages"), (messages / pl.col("dt_s")).alias("msg_per_s")
    ).sort("ts", *_KEYS)


def bytes_per_message(log_dirs: pl.DataFrame, partition_offsets: pl.DataFrame) -> pl.DataFrame:
    """Bytes on disk per message, per partition: ``topic, partition, bytes_per_msg, method, windows``.

    Σ bytes written / Σ messages over the windows between log-dir snapshots where the log grew
    (``method`` ``delta``; deleted bytes added back where retention moved log start; compaction
    windows left out); else the retained average (``retained``); an estimate over 2× off the
    topic's median partition uses that median (``topic median``). How: docs/capacity-sizing.md
    (`bytes_per_message`).
    """
    joined = _sizes_with_offsets(log_dirs, partition_offsets)
    windows = _size_windows(joined)
    by_delta = windows.group_by(_KEYS).agg(
        bytes_written=pl.col("bytes_in").sum(), messages=pl.col("d_end").sum(), windows=pl.len()
    )
    newest = (
        joined.sort("ts")
        .group_by(_KEYS)
        .agg(pl.col("retained_bpm").drop_nulls().last().alias("retained_bpm"))
    )
    out = newest.join(by_delta, on=_KEYS, how="left").with_columns(
        pl.col("windows").fill_null(0).cast(pl.Int64)
    )
    has_delta = (pl.col("messages") > 0) & (pl.col("bytes_written") > 0)
    return _outliers_to_median(
        out.select(
            *_KEYS,
            pl.when(has_delta)
            .then(pl.col("bytes_written") / pl.col("messages"))
            .otherwise(pl.col("retained_bpm"))
            .alias("bytes_per_msg"),
            pl.when(has_delta)
            .then(pl.lit("delta"))
            .when(pl.col("retained_bpm").is_not_null())
            .then(pl.lit("retained"))
            .alias("method"),
            "windows",
        )
    ).sort(_KEYS)


def _outliers_to_median(frame: pl.DataFrame, factor: float = 2.0) -> pl.DataFrame:
    """A partition whose estimate is more than ``factor``× off its topic's median (a replica that
    was rebuilt or moved, so its size jumped) uses the median (``method`` ``topic median``)."""
    median = pl.col("bytes_per_msg").median().over("topic")
    off = (pl.col("bytes_per_msg") > median * factor) | (pl.col("bytes_per_msg") < median / factor)
    return frame.with_columns(
        method=pl.when(off).then(pl.lit("topic median")).otherwise(pl.col("method")),
        bytes_per_msg=pl.when(off).then(median).otherwise(pl.col("bytes_per_msg")),
    )


def _sizes_with_offsets(log_dirs: pl.DataFrame, partition_offsets: pl.DataFrame) -> pl.DataFrame:
    """One row per (log-dir snapshot, partition): size, log start and log end at the nearest
    offsets snapshot, and the retained bytes per message."""
    sizes = (
        log_dirs.filter(~pl.col("is_future"))
        .group_by("ts", *_KEYS)
        .agg(size=pl.col("size_bytes").max())
        .sort("ts")
    )
    marks = partition_offsets.select(
        pl.col("ts").alias("offsets_ts"), *_KEYS, "log_start_offset", "log_end_offset"
    ).sort("offsets_ts")
    joined = sizes.join_asof(
        marks, left_on="ts", right_on="offsets_ts", by=_KEYS, strategy="nearest", check_sortedness=False
    ).drop_nulls("log_end_offset")
    retained = pl.col("log_end_offset") - pl.col("log_start_offset")
    return joined.with_columns(
        retained_bpm=pl.when(retained > 0).then(pl.col("size") / retained),
    )


def _size_windows(joined: pl.DataFrame) -> pl.DataFrame:
    """Consecutive log-dir snapshots per partition with bytes written (growth and retention windows)."""
    w = joined.sort(*_KEYS, "ts").with_columns(
        d_size=(pl.col("size") - pl.col("size").shift(1)).over(_KEYS),
        d_end=(pl.col("log_end_offset") - pl.col("log_end_offset").shift(1)).over(_KEYS),
        d_start=(pl.col("log_start_offset") - pl.col("log_start_offset").shift(1)).over(_KEYS),
        prev_bpm=pl.col("retained_bpm").shift(1).over(_KEYS),
    )
    growth = (pl.col("d_start") == 0) & (pl.col("d_size") > 0)
    retention = (pl.col("d_start") > 0) & pl.col("prev_bpm").is_not_null()
    bytes_in = (
        pl.when(growth)
        .then(pl.col("d_size"))
        .when(retention)
        .then(pl.col("d_size") + pl.col("d_start") * pl.col("prev_bpm"))
    )
    return (
        w.filter(pl.col("d_end") > 0)
        .with_columns(bytes_in=bytes_in)
        .filter(pl.col("bytes_in").is_not_null() & (pl.col("bytes_in") > 0))
    )


def partition_ingress(
    partition_offsets: pl.DataFrame, log_dirs: pl.DataFrame | None = None, marks: pl.DataFrame | None = None
) -> pl.DataFrame:
    """:func:`ingress_rates` with ``bytes_per_msg`` and ``bytes_per_s`` (null without log dirs).

    ``marks``: raw partition offsets at the log-dir snapshot times, to match sizes to when the
    rates come from a rollup (whose rows can be minutes away from a log-dir snapshot)."""
    rates = ingress_rates(partition_offsets)
    if log_dirs is None or log_dirs.is_empty():
        return rates.with_columns(
            bytes_per_msg=pl.lit(None, pl.Float64), bytes_per_s=pl.lit(None, pl.Float64)
        )
    bpm = bytes_per_message(log_dirs, partition_offsets if marks is None else marks)
    bpm = bpm.select(*_KEYS, "bytes_per_msg")
    return rates.join(bpm, on=_KEYS, how="left").with_columns(
        bytes_per_s=pl.col("msg_per_s") * pl.col("bytes_per_msg")
    )


def topic_ingress(partition_rates: pl.DataFrame) -> pl.DataFrame:
    """Per topic and interval: ``ts, topic, partitions, msg_per_s, bytes_per_s`` (sums over partitions)."""
    return (
        partition_rates.group_by("ts", "topic")
        .agg(
            partitions=pl.len(),
            msg_per_s=pl.col("msg_per_s").sum(),
            bytes_per_s=pl.col("bytes_per_s").sum(),
        )
        .sort("topic", "ts")
    )


def group_egress(offsets: pl.DataFrame, per_partition: bool = False) -> pl.DataFrame:
    """Per group, topic and interval: ``ts, group, topic, msg_per_s, partitions`` from
    committed-offset deltas (with ``per_partition``: one row per partition, no ``partitions``).

    Negative deltas (a rewind or reset) and missing commits count as no rate for that partition.
    """
    keys = ["group", "topic", "partition"]
    per = (
        offsets.select("ts", *keys, "committed_offset")
        .sort(*keys, "ts")
        .with_columns(
            dt_s=(pl.col("ts") - pl.col("ts").shift(1)).dt.total_microseconds().over(keys) / 1e6,
            d=(pl.col("committed_offset") - pl.col("committed_offset").shift(1)).over(keys),
        )
        .filter((pl.col("dt_s") > 0) & (pl.col("d") >= 0))
    )
    if per_partition:
        return per.select("ts", *keys, (pl.col("d") / pl.col("dt_s")).alias("msg_per_s")).sort(*keys, "ts")
    return (
        per.group_by("ts", "group", "topic")
        .agg(msg_per_s=(pl.col("d") / pl.col("dt_s")).sum(), partitions=pl.len())
        .sort("group", "topic", "ts")
    )


def peaks(series: pl.DataFrame, by: list[str], value: str = "msg_per_s") -> pl.DataFrame:
    """Per ``by``: ``mean, p50, p95, p99, max`` of the per-interval ``value`` (suffixed by ``value``)."""
    v = pl.col(value)
    return (
        series.group_by(by)
        .agg(
            v.mean().alias(f"mean_{value}"),
            v.quantile(0.5, "linear").alias(f"p50_{value}"),
            v.quantile(0.95, "linear").alias(f"p95_{value}"),
            v.quantile(0.99, "linear").alias(f"p99_{value}"),
            v.max().alias(f"max_{value}"),
        )
        .sort(by)
    )


def hour_of_week_profile(series: pl.DataFrame, by: list[str], value: str = "msg_per_s") -> pl.DataFrame:
    """Mean ``value`` per ``by`` and UTC hour of week (0 = Monday 00:00 UTC … 167 = Sunday 23:00)."""
    how = (pl.col("ts").dt.weekday().cast(pl.Int32) - 1) * 24 + pl.col("ts").dt.hour().cast(pl.Int32)
    return (
        series.with_columns(hour_of_week=how)
        .group_by(*by, "hour_of_week")
        .agg(pl.col(value).mean())
        .sort(*by, "hour_of_week")
    )


def partition_skew(partition_rates: pl.DataFrame) -> pl.DataFrame:
    """Per topic: ``partitions, mean_msg_per_s`` (per partition), ``hottest`` partition, its
    ``hottest_msg_per_s``, and ``skew`` = hottest / mean (1.0 = even), over the whole window."""
    return skew_of_means(partition_rates.group_by(*_KEYS).agg(msg_per_s=pl.col("msg_per_s").mean()))


def skew_of_means(means: pl.DataFrame) -> pl.DataFrame:
    """:func:`partition_skew` from each partition's mean rate (``topic, partition, msg_per_s``);
    of equally hot partitions the lowest numbered is the hottest."""
    return (
        means.sort(["msg_per_s", "partition"], descending=[True, False])
        .group_by("topic")
        .agg(
            partitions=pl.len(),
            mean_msg_per_s=pl.col("msg_per_s").mean(),
            hottest=pl.col("partition").first(),
            hottest_msg_per_s=pl.col("msg_per_s").first(),
        )
        .with_columns(
            skew=pl.when(pl.col("mean_msg_per_s") > 0).then(
                pl.col("hottest_msg_per_s") / pl.col("mean_msg_per_s")
            )
        )
        .sort("topic")
    )


def mean_rate(partition_offsets: pl.DataFrame, by: list[str] | None = None) -> pl.DataFrame:
    """Average ingress over the whole window per ``by`` (default topic): first-to-last log-end
    delta over the elapsed time. ``msg_per_s`` and ``seconds``."""
    by = by or ["topic"]
    per = partition_offsets.group_by(*_KEYS).agg(
        messages=pl.col("log_end_offset").sort_by("ts").last()
        - pl.col("log_end_offset").sort_by("ts").first(),
        seconds=(pl.col("ts").max() - pl.col("ts").min()).dt.total_microseconds() / 1e6,
    )
    return (
        per.group_by(by)
        .agg(messages=pl.col("messages").sum(), seconds=pl.col("seconds").max())
        .with_columns(msg_per_s=pl.col("messages") / pl.col("seconds"))
        .sort(by)
    )
