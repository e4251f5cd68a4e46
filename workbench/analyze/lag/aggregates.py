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

from workbench.analyze._groupby.grid import Agg, KeyCache
from workbench.analyze._groupby.grouping import _group_ts, _memo, dense_ids
from workbench.analyze._groupby.prepare import (
    TOPIC_KEYS,
    prepare,
    with_cluster,
)
from workbench.scalars import as_int

MEMBER_KEYS = ("member_id", "client_id", "host")


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


def delta_rate(value: pl.Expr, allow_negative: bool = False, secs: bool = False) -> pl.Expr:
    """(value − previous known value) / seconds between them; null on the first known value, on a
    null value, on a zero time step, and (unless ``allow_negative``) on a decrease (reset).
    ``secs``: read the seconds from a ``_secs`` column (:func:`seconds`, computed once)."""
    t = pl.when(value.is_not_null()).then(pl.col("_secs") if secs else seconds())
    dv = (value - prev_known(value)).cast(pl.Float64)
    dt = t - prev_known(t)
    ok = (dt > 0) if allow_negative else (dt > 0) & (dv >= 0)
    return pl.when(ok).then(dv / dt)


def _dense_delta_rate(value: pl.Expr, allow_negative: bool = False) -> pl.Expr:
    """:func:`delta_rate` of a column without nulls: the previous known value is the previous row
    (same partition), so no forward fills are needed. Same arithmetic, same result."""
    same = pl.col("_pid") == pl.col("_pid").shift(1)
    t = pl.col("_secs")
    dv = (value - value.shift(1)).cast(pl.Float64)
    dt = t - t.shift(1)
    ok = same & ((dt > 0) if allow_negative else (dt > 0) & (dv >= 0))
    return pl.when(ok).then(dv / dt)


def drain_time(lag: pl.Expr, consume: pl.Expr, produce: pl.Expr) -> pl.Expr:
    """Seconds to reach zero lag at the current rates: 0 when lag is 0, ``lag / (consume − produce)``
    when that net drain rate is positive, otherwise null (not draining, or rates unknown).

    A net rate within float rounding of zero (below a billionth of the consume rate: sums of the
    same rates in another order differ in the last bits) is not draining: it would give billions
    of years, or flip between that and null with the summation order."""
    net = consume - produce
    draining = net > consume.abs() * 1e-9
    return pl.when(lag == 0).then(pl.lit(0.0)).when(draining).then(lag.cast(pl.Float64) / net)


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
    return _partition_lag_prepared(prepare(offsets))


def _partition_lag_prepared(frame: pl.DataFrame) -> pl.DataFrame:
    """:func:`partition_lag` of a frame already through :func:`prepare` (sorted, with ``_pid``)."""
    rates = {"consume_rate": "committed_offset", "produce_rate": "log_end_offset", "lag_growth_rate": "lag"}
    exprs = {
        name: delta_rate(pl.col(col), allow_negative=name == "lag_growth_rate", secs=True)
        if frame[col].null_count()
        else _dense_delta_rate(pl.col(col), allow_negative=name == "lag_growth_rate")
        for name, col in rates.items()
    }
    out = (  # lazy: common subexpressions (seconds, previous-known owners) are computed once
        frame.lazy()
        .with_columns(_secs=seconds())
        .with_columns(**exprs)
        .with_columns(
            time_to_drain_s=drain_time(pl.col("lag"), pl.col("consume_rate"), pl.col("produce_rate")),
        )
        .drop("_pid", "_secs")
        .collect(engine="in-memory")
    )
    return out


def _known_sum(col: str) -> pl.Expr:
    """Σ of the non-null values; null (not 0) when every value is null."""
    return pl.when(pl.col(col).count() > 0).then(pl.col(col).sum())


_SUMMED = ("lag", "consume_rate", "lag_growth_rate", "lost_messages", "produce_rate")


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


def _fast_lag_aggs(frame: pl.DataFrame) -> list[Agg]:
    """:func:`_lag_aggs` (and the produce rate) as plain sums, counts and maxes, which a group-by
    computes without evaluating an expression per group (and :mod:`~workbench.analyze._groupby.grid` without
    a group-by); :func:`_finish_lag_aggs` combines them."""
    aggs = [
        Agg("partitions", "len"),
        Agg("committed_partitions", "count", pl.col("committed_offset")),
        Agg("max_partition_lag", "max", pl.col("lag")),
        Agg("retention_gap", "any", pl.col("retention_gap")),
        *(Agg(c, "sum", pl.col(c)) for c in _SUMMED),
        *(Agg(f"_n_{c}", "count", pl.col(c)) for c in _SUMMED),
    ]
    if "time_lag_s" in frame.columns:
        aggs.append(Agg("max_time_lag_s", "max", pl.col("time_lag_s")))
    return aggs


def _finish_lag_aggs(
    out: pl.LazyFrame, frame: pl.DataFrame, lead: Sequence[str], extra: Sequence[str | pl.Expr] = ()
) -> pl.LazyFrame:
    """``lead`` columns, the :func:`_lag_aggs` columns (same names, types and order), ``extra``
    columns and ``produce_rate``, from the :func:`_fast_lag_aggs` of a group-by."""
    known = {c: pl.when(pl.col(f"_n_{c}") > 0).then(pl.col(c)) for c in _SUMMED}
    cols = [
        pl.col("partitions").cast(pl.Int64),
        pl.col("committed_partitions").cast(pl.Int64),
        (pl.col("committed_partitions").cast(pl.Float64) / pl.col("partitions").cast(pl.Float64)).alias(
            "coverage"
        ),
        known["lag"].alias("total_lag"),
        pl.col("max_partition_lag"),
        known["consume_rate"].alias("consume_rate"),
        known["lag_growth_rate"].alias("lag_growth_rate"),
        pl.col("retention_gap"),
        known["lost_messages"].alias("lost_messages"),
        *([pl.col("max_time_lag_s")] if "time_lag_s" in frame.columns else []),
    ]
    return out.select(*lead, *cols, *extra, known["produce_rate"].alias("produce_rate"))


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
    return _member_lag(partition_lag_frame)


def _member_lag(partition_lag_frame: pl.DataFrame, _cache: KeyCache | None = None) -> pl.DataFrame:
    """:func:`member_lag`; ``_cache``: see :func:`_packed_key`."""
    frame = partition_lag_frame
    gkeys = with_cluster(frame.columns, ("group",))
    attrs = [c for c in MEMBER_KEYS[1:] if c in frame.columns]
    grouped = _group_ts(
        frame, gkeys, _fast_lag_aggs(frame), "member_id", nulls_last=True, carry=attrs, cache=_cache
    )
    if grouped is not None:
        lazy, width = grouped
        finished = _finish_lag_aggs(lazy, frame, [*gkeys, "ts", "member_id", *attrs, "_k"])
        group_total = pl.col("total_lag").sum().over(pl.col("_k") // width)
        return (
            _with_drain(finished.collect())
            .with_columns(lag_share=pl.when(group_total > 0).then(pl.col("total_lag") / group_total))
            .drop("_k")
        )
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
    return _group_lag(partition_lag_frame)


def _group_lag(partition_lag_frame: pl.DataFrame, _cache: KeyCache | None = None) -> pl.DataFrame:
    """:func:`group_lag`; ``_cache``: see :func:`_packed_key`."""
    frame = partition_lag_frame
    gkeys = with_cluster(frame.columns, ("group",))
    grouped = _group_ts(frame, gkeys, _fast_lag_aggs(frame), cache=_cache)
    if grouped is not None:
        return _with_drain(_finish_lag_aggs(grouped[0], frame, [*gkeys, "ts"]).collect())
    out = frame.group_by([*gkeys, "ts"]).agg(
        *_lag_aggs(frame), _known_sum("produce_rate").alias("produce_rate")
    )
    return _with_drain(out).sort([*gkeys, "ts"])


def topic_lag(partition_lag_frame: pl.DataFrame, by_group: bool = False) -> pl.DataFrame:
    """Per (ts, topic) over every group reading it, or per (ts, group, topic) with ``by_group``.

    ``produce_rate`` counts each partition once however many groups read it (mean over groups);
    ``consume_rate`` sums every group's reads; ``groups`` counts the groups.
    """
    return _topic_lag(partition_lag_frame, by_group)


def _topic_lag(
    partition_lag_frame: pl.DataFrame, by_group: bool = False, _cache: KeyCache | None = None
) -> pl.DataFrame:
    """:func:`topic_lag`; ``_cache``: see :func:`_packed_key`."""
    frame = partition_lag_frame
    tkeys = with_cluster(frame.columns, ("group", "topic") if by_group else ("topic",))
    topic_keys = [k for k in tkeys if k != "group"]
    if by_group:  # one group per row of the result
        source, count = frame, Agg("groups", "max", pl.lit(1, pl.UInt32))
    else:  # the group's dense id stands in for its name in the distinct count (cheaper than strings)
        gkeys = with_cluster(frame.columns, ("group",))
        gid = _memo(_cache, ("ids", tuple(gkeys), False), lambda: dense_ids(frame, gkeys).cast(pl.Int64))
        source = frame.with_columns(_gid=gid)
        count = Agg("groups", "n_unique", pl.col("_gid"))
    grouped = _group_ts(source, tkeys, [*_fast_lag_aggs(frame), count], cache=_cache)
    if grouped is not None:
        groups = pl.col("groups").cast(pl.UInt32)
        out = _finish_lag_aggs(grouped[0], frame, [*tkeys, "ts"], [groups]).collect()
    else:
        out = frame.group_by([*tkeys, "ts"]).agg(
            *_lag_aggs(frame),
            pl.col("group").n_unique().alias("groups"),
            _known_sum("produce_rate").alias("produce_rate"),
        )
    if not by_group and (as_int(out["groups"].max()) or 0) > 1:  # count each partition's ingress once
        pkeys = with_cluster(frame.columns, TOPIC_KEYS)
        # maintain_order: the partitions' rates are summed in row order (float sums would otherwise
        # vary in the last bit from run to run with the hash group-by's output order)
        ingress = frame.group_by(["ts", *pkeys], maintain_order=True).agg(pl.col("produce_rate").mean())
        ingress = ingress.group_by([*topic_keys, "ts"], maintain_order=True).agg(_known_sum("produce_rate"))
        out = out.drop("produce_rate").join(ingress, on=[*topic_keys, "ts"], how="left")
    return _with_drain(out).sort([*tkeys, "ts"])
