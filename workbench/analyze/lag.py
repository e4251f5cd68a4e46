"""Per-partition lag, rates and time to drain, and their per-member, per-group, per-topic aggregates.

Pure Polars: frames in, frames out. The input is an offsets frame (schema
:data:`workbench.schema.OFFSETS`) with one row per (ts, group, topic, partition); the lag columns of
:func:`workbench.frames.add_lag_columns` are added when missing.

Rates are differences between a partition's consecutive *known* values divided by the time between
them, so a snapshot without a commit neither gets a rate nor breaks the next one (it is bridged).
A negative difference (offset reset, re-created topic) gives a null rate, never a negative one.
Aggregates only ever sum or max non-null values and report a ``coverage`` fraction instead
(kafka-lag-exporter #125, #265: one NaN must not poison a group's total).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from workbench.frames.offsets import add_lag_columns

GROUP_KEYS = ("group", "topic", "partition")
TOPIC_KEYS = ("topic", "partition")
MEMBER_KEYS = ("member_id", "client_id", "host")


def with_cluster(columns: Sequence[str], keys: Sequence[str]) -> list[str]:
    """``keys`` prefixed with ``cluster`` when the frame has that column (one history may hold several)."""
    return ["cluster", *keys] if "cluster" in columns else list(keys)


def prepare(offsets: pl.DataFrame | pl.LazyFrame, keys: Sequence[str] = GROUP_KEYS) -> pl.DataFrame:
    """Collect, add lag columns when missing, sort by partition then time, and number partitions.

    Adds ``_pid``: a dense id per partition key (``cluster``, group, topic, partition), so window
    computations can shift the whole sorted column and mask rows where the id changes, instead of
    grouping.
    """
    frame = offsets.lazy().collect() if isinstance(offsets, pl.LazyFrame) else offsets
    if "lag" not in frame.columns:
        frame = add_lag_columns(frame)  # type: ignore[assignment]
    pkeys = with_cluster(frame.columns, keys)
    frame = frame.sort([*pkeys, "ts"])
    return frame.with_columns(_pid=pl.struct(pkeys).rle_id())


def seconds(col: str = "ts") -> pl.Expr:
    """A UTC datetime column as float seconds since the epoch."""
    return pl.col(col).dt.epoch("us").cast(pl.Float64) / 1e6


def prev_known(value: pl.Expr, pid: str = "_pid") -> pl.Expr:
    """The partition's previous non-null ``value`` (strictly before this row), null when none.

    Works on a frame sorted by partition then time: forward-fills the shifted column and discards
    values that leaked across a partition boundary.
    """
    owner = pl.when(value.is_not_null()).then(pl.col(pid)).shift(1).forward_fill()
    return pl.when(owner == pl.col(pid)).then(value.shift(1).forward_fill())


def delta_rate(value: pl.Expr, allow_negative: bool = False) -> pl.Expr:
    """(value − previous known value) / seconds between them; null on the first known value, on a
    null value, on a zero time step, and (unless ``allow_negative``) on a decrease (reset)."""
    t = pl.when(value.is_not_null()).then(seconds())
    dv = (value - prev_known(value)).cast(pl.Float64)
    dt = t - prev_known(t)
    ok = (dt > 0) if allow_negative else (dt > 0) & (dv >= 0)
    return pl.when(ok).then(dv / dt)


def drain_time(lag: pl.Expr, consume: pl.Expr, produce: pl.Expr) -> pl.Expr:
    """Seconds to reach zero lag at the current rates: 0 when lag is 0, ``lag / (consume − produce)``
    when that net drain rate is positive, otherwise null (not draining, or rates unknown)."""
    net = consume - produce
    return pl.when(lag == 0).then(pl.lit(0.0)).when(net > 0).then(lag.cast(pl.Float64) / net)


def partition_lag(offsets: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Lag, rates and time to drain per (ts, group, topic, partition).

    Adds to the offsets columns (and the lag columns):

    * ``consume_rate``: msg/s, committed-offset delta since the partition's previous commit.
    * ``produce_rate``: msg/s, log-end delta since the previous known log end.
    * ``lag_growth_rate``: msg/s, ``lag`` delta since the previous known lag (may be negative).
    * ``time_to_drain_s``: see :func:`drain_time`.

    The first snapshot of a partition (a new partition, or a new group) has null rates; so does a
    snapshot without a commit (consume) or log end (produce); a decreasing offset (reset, rewind,
    re-created topic) gives a null rate, never a negative one. Sorted by group, topic, partition, ts.
    """
    frame = prepare(offsets)
    out = frame.with_columns(
        consume_rate=delta_rate(pl.col("committed_offset")),
        produce_rate=delta_rate(pl.col("log_end_offset")),
        lag_growth_rate=delta_rate(pl.col("lag"), allow_negative=True),
    ).with_columns(
        time_to_drain_s=drain_time(pl.col("lag"), pl.col("consume_rate"), pl.col("produce_rate")),
    )
    return out.drop("_pid")


def _known_sum(col: str) -> pl.Expr:
    """Σ of the non-null values; null (not 0) when every value is null."""
    return pl.when(pl.col(col).count() > 0).then(pl.col(col).sum())


def _lag_aggs(frame: pl.DataFrame) -> list[pl.Expr]:
    """The aggregates shared by member, group and topic lag."""
    aggs = [
        pl.len().cast(pl.Int64).alias("partitions"),
        pl.col("committed_offset").is_not_null().sum().cast(pl.Int64).alias("committed_partitions"),
        pl.col("committed_offset").is_not_null().mean().alias("coverage"),
        _known_sum("lag").alias("total_lag"),
        pl.col("lag").max().alias("max_partition_lag"),
        _known_sum("consume_rate").alias("consume_rate"),
        _known_sum("lag_growth_rate").alias("lag_growth_rate"),
        pl.col("retention_gap").fill_null(False).any().alias("retention_gap"),
        _known_sum("lost_messages").alias("lost_messages"),
    ]
    if "time_lag_s" in frame.columns:
        aggs.append(pl.col("time_lag_s").max().alias("max_time_lag_s"))
    return aggs


def _with_drain(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        time_to_drain_s=drain_time(pl.col("total_lag"), pl.col("consume_rate"), pl.col("produce_rate"))
    )


def member_lag(partition_lag_frame: pl.DataFrame) -> pl.DataFrame:
    """Per (ts, group, member_id, client_id, host): the member's partitions and their lag, for
    spotting a slow consumer. ``lag_share`` is the member's part of the group's known lag at that
    snapshot; unassigned partitions (no member) form their own row with null member columns.

    Rows are grouped by ``member_id`` (Kafka derives it from the client id, and one member runs on
    one host); ``client_id`` and ``host`` are carried along, which avoids hashing them per row.
    """
    frame = partition_lag_frame
    gkeys = with_cluster(frame.columns, ("group",))
    attrs = [c for c in MEMBER_KEYS[1:] if c in frame.columns]
    out = frame.group_by([*gkeys, "ts", "member_id"]).agg(
        *(pl.col(c).first() for c in attrs),
        *_lag_aggs(frame),
        _known_sum("produce_rate").alias("produce_rate"),
    )
    group_total = pl.col("total_lag").sum().over([*gkeys, "ts"])
    out = _with_drain(out).with_columns(
        lag_share=pl.when(group_total > 0).then(pl.col("total_lag") / group_total)
    )
    return out.sort([*gkeys, "ts", "member_id"], nulls_last=True)


def group_lag(partition_lag_frame: pl.DataFrame) -> pl.DataFrame:
    """Per (ts, group): partitions, coverage (share with a commit), total and max partition lag over
    known lags, consume/produce/lag-growth rates (Σ over partitions), max time lag (when the frame
    has ``time_lag_s``), retention gap and lost messages, and the group's time to drain."""
    frame = partition_lag_frame
    gkeys = with_cluster(frame.columns, ("group",))
    out = frame.group_by([*gkeys, "ts"]).agg(
        *_lag_aggs(frame), _known_sum("produce_rate").alias("produce_rate")
    )
    return _with_drain(out).sort([*gkeys, "ts"])


def topic_lag(partition_lag_frame: pl.DataFrame, by_group: bool = False) -> pl.DataFrame:
    """Per (ts, topic) over every group reading it, or per (ts, group, topic) with ``by_group``.

    ``produce_rate`` counts each partition once however many groups read it (mean over groups);
    ``consume_rate`` sums every group's reads; ``groups`` counts the groups.
    """
    frame = partition_lag_frame
    tkeys = with_cluster(frame.columns, ("group", "topic") if by_group else ("topic",))
    topic_keys = [k for k in tkeys if k != "group"]
    out = frame.group_by([*tkeys, "ts"]).agg(
        *_lag_aggs(frame),
        pl.col("group").n_unique().alias("groups"),
        _known_sum("produce_rate").alias("produce_rate"),
    )
    if not by_group and (out["groups"].max() or 0) > 1:  # count each partition's ingress once
        pkeys = with_cluster(frame.columns, TOPIC_KEYS)
        ingress = frame.group_by(["ts", *pkeys]).agg(pl.col("produce_rate").mean())
        ingress = ingress.group_by([*topic_keys, "ts"]).agg(_known_sum("produce_rate"))
        out = out.drop("produce_rate").join(ingress, on=[*topic_keys, "ts"], how="left")
    return _with_drain(out).sort([*tkeys, "ts"])
