"""The capacity plan's per-partition rates reduced one time slice of the window at a time.

The plan needs per-topic series per interval and per-partition and per-group summaries, not the
per-partition rate of every interval. :func:`reduce_window` reads the window in consecutive time
slices (:class:`Slices`), computes each slice's rates (the last row of every partition and group
partition carried over from the slice before, so each rate is the one the whole window gives) and
reduces them at once: memory holds one slice plus topics x intervals and (group, topic) x
intervals. How and why: docs/scale.md ("Capacity").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import polars as pl

from workbench.analyze.capacity import rates as cr

__all__ = ["Ingress", "Slices", "WholeWindow", "reduce_window"]

_KEYS = ["topic", "partition"]
_GKEYS = ["group", "topic", "partition"]


class Slices(Protocol):
    """The window's partition offsets and offsets in consecutive, disjoint time slices, oldest first."""

    def partition_slices(self) -> Iterable[pl.DataFrame]:
        """Partition offsets (``ts, topic, partition, log_start_offset, log_end_offset``) per slice."""
        ...

    def slices(self) -> Iterable[tuple[pl.DataFrame, Iterable[pl.DataFrame]]]:
        """Per slice: its partition offsets and its offsets (``ts, group, topic, partition,
        committed_offset, member_id``), the latter in one or more pieces of disjoint keys."""
        ...


@dataclass(frozen=True)
class WholeWindow:
    """Frames held in memory, as one slice (``offsets``: a frame or pieces of whole groups)."""

    partition_offsets: pl.DataFrame
    offsets: pl.DataFrame | Iterable[pl.DataFrame] = field(default_factory=pl.DataFrame)

    def partition_slices(self) -> Iterable[pl.DataFrame]:
        return [self.partition_offsets]

    def slices(self) -> Iterable[tuple[pl.DataFrame, Iterable[pl.DataFrame]]]:
        pieces = [self.offsets] if isinstance(self.offsets, pl.DataFrame) else self.offsets
        return [(self.partition_offsets, pieces)]


@dataclass(frozen=True)
class Ingress:
    """What the plan reads of the window's rates (each frame as the whole-window function gives it)."""

    rates: pl.DataFrame
    """Per topic and interval (:func:`rates.topic_ingress`)."""
    partitions: pl.DataFrame
    """Per partition: ``topic, partition, rows, msg_per_s`` (mean), ``bytes_per_msg``, ``share``
    (of its topic's bytes since the topic's newest partition appeared; null when it has no rate
    since then)."""
    consumption: pl.DataFrame
    """Per (group, topic): ``max_msg_per_s, p99_in``; ``members`` at the newest snapshot and
    ``last_msg_per_s`` in the newest interval (null when the group has none there)."""
    snapshots: pl.DataFrame
    """One row per snapshot time of the partition offsets (``ts``)."""


def reduce_window(source: Slices, log_dirs: pl.DataFrame, marks: pl.DataFrame | None = None) -> Ingress:
    """The window's :class:`Ingress`, one slice at a time. Bytes per message from ``log_dirs``
    matched to ``marks`` (raw partition offsets at the log-dir times, with a rollup) or to the
    partition offsets nearest each log-dir snapshot (found in a first pass over the slices)."""
    bpm = _bytes_per_msg(source, log_dirs, marks)
    state = _State(bpm)
    for po, pieces in source.slices():
        state.add(po, pieces)
    return state.finish()


def _bytes_per_msg(source: Slices, log_dirs: pl.DataFrame, marks: pl.DataFrame | None) -> pl.DataFrame | None:
    """Per partition ``bytes_per_msg`` (:func:`rates.bytes_per_message`), or None without log dirs."""
    if log_dirs.is_empty():
        return None
    if marks is None:
        at = log_dirs.filter(~pl.col("is_future")).select("ts", *_KEYS).unique().sort("ts")
        marks = _neighbours(at, source.partition_slices())
    if marks.is_empty():
        return pl.DataFrame(schema={"topic": pl.String, "partition": pl.Int32, "bytes_per_msg": pl.Float64})
    return cr.bytes_per_message(log_dirs, marks).select(*_KEYS, "bytes_per_msg")


def _neighbours(at: pl.DataFrame, slices: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """Per log-dir snapshot time and partition of ``at``, the partition offsets rows just before
    and just after it over the whole window (the nearest is one of them), one slice at a time:
    a time is matched backward once the slices reach past it (against the slice and each
    partition's last row before it), forward in the first slice with a row at or after it."""
    cols = ["ts", *_KEYS, "log_start_offset", "log_end_offset"]
    found: list[pl.DataFrame] = []
    carry: pl.DataFrame | None = None
    back, ahead = at, at  # times not matched yet
    for po in slices:
        if po.is_empty():
            continue
        rows = po.select(cols)
        hi = rows["ts"].max()
        both = rows if carry is None else pl.concat([carry, rows])
        now = back.filter(pl.col("ts") <= hi)
        back = back.filter(pl.col("ts") > hi)
        found.append(_asof(now, both, "backward"))
        found.append(_asof(ahead.filter(pl.col("ts") <= hi), rows, "forward"))
        matched = found[-1].select(pl.col("_for").alias("ts"), *_KEYS)
        ahead = ahead.join(matched, on=["ts", *_KEYS], how="anti")
        carry = both.sort("ts").unique(_KEYS, keep="last")
    if carry is not None and back.height:
        found.append(_asof(back, carry, "backward"))
    if not found:
        return pl.DataFrame()
    return pl.concat(found).drop("_for").unique()


def _asof(at: pl.DataFrame, rows: pl.DataFrame, strategy: str) -> pl.DataFrame:
    """The row of ``rows`` nearest each of ``at``'s (time, partition) in ``strategy``'s direction
    (``ts``: that row's time; ``_for``: the log-dir time it was found for)."""
    right = rows.rename({"ts": "_at"}).sort("_at")
    return (
        at.sort("ts")
        .join_asof(right, left_on="ts", right_on="_at", by=_KEYS, strategy=strategy, check_sortedness=False)  # type: ignore[arg-type]
        .drop_nulls("_at")
        .select(
            pl.col("_at").alias("ts"),
            *_KEYS,
            "log_start_offset",
            "log_end_offset",
            pl.col("ts").alias("_for"),
        )
    )


class _State:
    """The running reductions over the slices seen so far."""

    def __init__(self, bpm: pl.DataFrame | None) -> None:
        self.bpm = bpm
        self.carry_po: pl.DataFrame | None = None
        self.carry_off: pl.DataFrame | None = None
        self.topic: list[pl.DataFrame] = []
        self.per_ts: list[pl.DataFrame] = []
        self.snapshots: list[pl.DataFrame] = []
        self.parts: pl.DataFrame | None = None
        self.members: pl.DataFrame | None = None
        self.recent: pl.DataFrame | None = None

    def add(self, po: pl.DataFrame, pieces: Iterable[pl.DataFrame]) -> None:
        """Reduce one slice: its rates, then each piece of its offsets against them."""
        self.snapshots.append(po.select(pl.col("ts").unique()))
        rates, self.carry_po = _with_carry(
            po.select("ts", *_KEYS, "log_end_offset"), self.carry_po, _KEYS, cr.ingress_rates
        )
        rates = _with_bytes(rates, self.bpm)
        self.topic.append(cr.topic_ingress(rates))
        self.parts = _merge_partitions(self.parts, rates)
        ingress = rates.select("ts", *_KEYS, pl.col("msg_per_s").alias("in"))
        for offsets in pieces:
            if offsets.height:
                self._consume(offsets, ingress)

    def _consume(self, offsets: pl.DataFrame, ingress: pl.DataFrame) -> None:
        egress, self.carry_off = _with_carry(
            offsets.select("ts", *_GKEYS, "committed_offset"),
            self.carry_off,
            _GKEYS,
            lambda f: cr.group_egress(f, per_partition=True),
        )
        if egress.is_empty():
            return
        self.per_ts.append(
            egress.join(ingress, on=["ts", *_KEYS])
            .group_by("ts", "group", "topic")
            .agg(out=pl.col("msg_per_s").sum(), inn=pl.col("in").sum())
        )
        newest = offsets["ts"].max()
        at = offsets.filter(pl.col("ts") == newest).select("group", "topic", "member_id").unique()
        self.members = _latest(self.members, at.with_columns(_ts=pl.lit(newest)))
        last = egress["ts"].max()
        recent = egress.filter(pl.col("ts") == last).group_by("group", "topic").agg(pl.col("msg_per_s").sum())
        self.recent = _latest(self.recent, recent.with_columns(_ts=pl.lit(last)))

    def finish(self) -> Ingress:
        """The reductions as the plan reads them."""
        rates = _topic_rates(self.topic)
        parts = _partitions(self.parts)
        return Ingress(rates, parts, self._consumption(), _snapshots(self.snapshots))

    def _consumption(self) -> pl.DataFrame:
        if not self.per_ts:
            return pl.DataFrame()
        per_ts = pl.concat(self.per_ts).group_by("ts", "group", "topic").agg(pl.col("out", "inn").sum())
        table = per_ts.group_by("group", "topic").agg(
            max_msg_per_s=pl.col("out").max(), p99_in=pl.col("inn").quantile(0.99, "linear")
        )
        assert self.members is not None and self.recent is not None  # set with the first per_ts
        members = self.members.group_by("group", "topic").agg(
            members=pl.col("member_id").drop_nulls().n_unique()
        )
        recent = self.recent.group_by("group", "topic").agg(last_msg_per_s=pl.col("msg_per_s").sum())
        keys = ["group", "topic"]
        return table.join(members, on=keys, how="left").join(recent, on=keys, how="left")


def _with_carry(
    frame: pl.DataFrame,
    carry: pl.DataFrame | None,
    keys: list[str],
    rates_of: Callable[[pl.DataFrame], pl.DataFrame],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``rates_of`` the slice with each key's last earlier row in front (that row gives no rate of
    its own), and the new carry: each key's last row so far."""
    both = frame if carry is None else pl.concat([carry.select(frame.columns), frame], how="vertical_relaxed")
    rates = rates_of(both)
    ordered = both.sort(*keys, "ts", maintain_order=True)
    return rates, ordered.unique(keys, keep="last", maintain_order=True)


def _with_bytes(rates: pl.DataFrame, bpm: pl.DataFrame | None) -> pl.DataFrame:
    """:func:`rates.partition_ingress`'s ``bytes_per_msg`` and ``bytes_per_s`` columns."""
    if bpm is None:
        return rates.with_columns(
            bytes_per_msg=pl.lit(None, pl.Float64), bytes_per_s=pl.lit(None, pl.Float64)
        )
    return rates.join(bpm, on=_KEYS, how="left").with_columns(
        bytes_per_s=pl.col("msg_per_s") * pl.col("bytes_per_msg")
    )


def _merge_partitions(acc: pl.DataFrame | None, rates: pl.DataFrame) -> pl.DataFrame:
    """Per-partition running sums: rate rows, Σ and count of msg/s, first rate time, and the Σ and
    count of msg/s since the topic's newest partition appeared (reset when a newer one appears:
    its first rate lies in this slice, so every earlier row is before it)."""
    part = rates.group_by(_KEYS).agg(
        rows=pl.len(),
        msg_sum=pl.col("msg_per_s").sum(),
        msg_n=pl.col("msg_per_s").count(),
        first=pl.col("ts").min(),
        bytes_per_msg=pl.col("bytes_per_msg").first(),
    )
    if acc is not None:
        part = pl.concat(
            [acc.drop("since", "share_sum", "share_n", "share_rows"), part], how="vertical_relaxed"
        )
        part = part.group_by(_KEYS).agg(
            pl.col("rows", "msg_sum", "msg_n").sum(),
            pl.col("first").min(),
            pl.col("bytes_per_msg").drop_nulls().first(),
        )
    part = part.with_columns(since=pl.col("first").max().over("topic"))
    old = (
        acc.select(*_KEYS, pl.col("since").alias("_old"), "share_sum", "share_n", "share_rows")
        if acc is not None
        else pl.DataFrame(
            schema={
                "topic": pl.String,
                "partition": pl.Int32,
                "_old": pl.Datetime("us", "UTC"),
                "share_sum": pl.Float64,
                "share_n": pl.UInt32,
                "share_rows": pl.UInt32,
            }
        )
    )
    recent = (
        rates.join(part.select(*_KEYS, "since"), on=_KEYS)
        .filter(pl.col("ts") >= pl.col("since"))
        .group_by(_KEYS)
        .agg(s=pl.col("msg_per_s").sum(), n=pl.col("msg_per_s").count(), r=pl.len())
    )
    part = part.join(old, on=_KEYS, how="left").join(recent, on=_KEYS, how="left")
    kept = pl.col("_old") == pl.col("since")  # the same topic layout: keep adding
    return part.select(
        *_KEYS,
        "rows",
        "msg_sum",
        "msg_n",
        "first",
        "bytes_per_msg",
        "since",
        *(
            (pl.when(kept).then(pl.col(old_c)).otherwise(0).fill_null(0) + pl.col(new_c).fill_null(0)).alias(
                old_c
            )
            for old_c, new_c in (("share_sum", "s"), ("share_n", "n"), ("share_rows", "r"))
        ),
    )


def _partitions(acc: pl.DataFrame | None) -> pl.DataFrame:
    """Per partition: rate rows, mean msg/s, bytes per message and share of its topic's bytes
    (:func:`plan.current_share`: equal shares when the topic had no bytes)."""
    if acc is None or acc.is_empty():
        return pl.DataFrame(
            schema={"topic": pl.String, "partition": pl.Int32, "rows": pl.UInt32, "msg_per_s": pl.Float64}
            | {"bytes_per_msg": pl.Float64, "share": pl.Float64}
        )
    seen = pl.col("share_rows") > 0
    mean = pl.when(pl.col("share_n") > 0).then(
        pl.col("share_sum") / pl.col("share_n") * pl.col("bytes_per_msg")
    )
    frame = acc.with_columns(_mean=pl.when(seen).then(mean.fill_null(0.0)))
    total = pl.col("_mean").sum().over("topic")
    equal = 1.0 / seen.sum().over("topic")
    share = pl.when(~seen).then(None).when(total > 0).then(pl.col("_mean") / total).otherwise(equal)
    return frame.select(
        *_KEYS,
        pl.col("rows").cast(pl.UInt32),
        pl.when(pl.col("msg_n") > 0).then(pl.col("msg_sum") / pl.col("msg_n")).alias("msg_per_s"),
        "bytes_per_msg",
        share.alias("share"),
    ).sort(_KEYS)


def _topic_rates(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The slices' per-topic series as one (each interval belongs to one slice)."""
    if not parts:
        return cr.topic_ingress(_with_bytes(cr.ingress_rates(_EMPTY_PO), None))
    frame = pl.concat(parts, how="vertical_relaxed")
    return frame.with_columns(pl.col("partitions").cast(pl.UInt32)).sort("topic", "ts")


def _snapshots(parts: list[pl.DataFrame]) -> pl.DataFrame:
    return (
        pl.concat(parts).unique().sort("ts")
        if parts
        else pl.DataFrame(schema={"ts": pl.Datetime("us", "UTC")})
    )


def _latest(acc: pl.DataFrame | None, new: pl.DataFrame) -> pl.DataFrame:
    """Rows of the newest ``_ts`` among ``acc`` and ``new``."""
    both = new if acc is None else pl.concat([acc, new], how="vertical_relaxed")
    return both.filter(pl.col("_ts") == pl.col("_ts").max())


_EMPTY_PO = pl.DataFrame(
    schema={
        "ts": pl.Datetime("us", "UTC"),
        "topic": pl.String,
        "partition": pl.Int32,
        "log_end_offset": pl.Int64,
    }
)
