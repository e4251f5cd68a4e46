"""What a piece's partition frames leave for the lag-trend summary, and a group's partition
chunks gathered into one analysis (docs/scale.md, "A group bigger than a piece").

A piece's per-partition frames are the large ones. The summary needs of them only sums and worst
statuses per (group, ts), produce sums per partition, and the rows at each group's newest
snapshot (:class:`PartitionShare`); the per-(group, ts) frames are small and merge across the
chunks of one group (:mod:`workbench.analyze.lag.combine`), row by row where the chunks share
their snapshots, per topic where a frame is keyed by topic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from workbench.analyze.lag import findings as lf
from workbench.analyze.lag.analysis import LagAnalysis
from workbench.analyze.lag.combine import PAIRED, merge_lag, merge_status, paired
from workbench.analyze.lag.window import trim_to_window


@dataclass(frozen=True)
class PartitionShare:
    """A piece's partition frames reduced (they may cover part of a group's partitions)."""

    worst: pl.DataFrame  # group, ts, detail: the most severe partition status
    consume: pl.DataFrame  # ts, topic, group, consume_rate (Σ over partitions)
    produce: pl.DataFrame  # topic, partition, _sum, _n: produce rates over the window
    latest: pl.DataFrame  # partition rows at each group's newest snapshot of the piece
    latest_status: pl.DataFrame  # partition status rows at the same snapshots


def partition_share(analysis: LagAnalysis, shown_from: dt.datetime | None = None) -> PartitionShare:
    """The :class:`PartitionShare` of an analysis's snapshots from ``shown_from`` on (what
    :func:`trim_to_window` keeps; the partition frames are not copied to trim them)."""
    parts, ps = analysis.partitions.lazy(), analysis.partition_status.lazy()
    if shown_from is not None:
        parts, ps = parts.filter(pl.col("ts") >= shown_from), ps.filter(pl.col("ts") >= shown_from)
    const = _constants(analysis.partitions, ("group", "topic"))  # left out of the keys, put back

    def by(*keys: str) -> list[str]:
        return [k for k in keys if k not in const]

    produce = pl.col("produce_rate")
    frames = pl.collect_all(
        [
            lf.worst_partition_status(ps, by("group", "ts")),
            lf.consume_sums(parts, by("ts", "topic", "group")),
            parts.group_by(by("topic", "partition")).agg(_sum=produce.sum(), _n=produce.count()),
            parts.group_by(by("group")).agg(pl.col("ts").max()),
        ]
    )
    order = (
        ["group", "ts", "detail"],
        ["ts", "topic", "group", "consume_rate"],
        ["topic", "partition", "_sum", "_n"],
        ["group", "ts"],
    )
    worst, consume, produce_sums, newest = (
        f.with_columns(pl.lit(v, pl.String).alias(c) for c, v in const.items() if c in cols).select(cols)
        for f, cols in zip(frames, order, strict=True)
    )

    def at_newest(frame: pl.DataFrame) -> pl.DataFrame:
        if newest.is_empty():
            return frame.clear()
        first = newest["ts"].min()  # most groups' newest snapshot is the window's last
        return frame.filter(pl.col("ts") >= first).join(newest, on=["group", "ts"], how="semi")

    return PartitionShare(
        worst=worst,
        consume=consume,
        produce=produce_sums,
        latest=at_newest(analysis.partitions),
        latest_status=at_newest(analysis.partition_status),
    )


def _constants(frame: pl.DataFrame, names: Sequence[str]) -> dict[str, str]:
    """The string columns among ``names`` that hold one value in every row, with that value
    (a chunk of one group often reads one topic: grouping without them is cheaper)."""
    out = {}
    for c in names:
        col = frame[c]
        if col.len() and col.dtype == pl.String and not col.has_nulls() and col.n_unique() == 1:
            out[c] = str(col[0])
    return out


def _add_worst(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    """Two :attr:`PartitionShare.worst` frames of one group's chunks, as one."""
    pair = paired([a, b], ["group", "ts"])
    if pair is None:
        return lf.worst_partition_status(pl.concat([a, b], how="vertical_relaxed"))
    sa, sb = (
        pl.col(c).replace_strict(lf.PARTITION_SEVERITY, default=0, return_dtype=pl.Int8)
        for c in ("detail", "detail" + PAIRED)
    )
    second = pl.col("detail" + PAIRED)
    return pair.select("group", "ts", detail=pl.when(sb > sa).then(second).otherwise("detail"))


def _add_consume(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Two :attr:`PartitionShare.consume` frames of one topic of one group, as one."""
    pair = paired(frames, ["topic", "group", "ts"])
    if pair is None:
        return lf.consume_sums(pl.concat(frames, how="vertical_relaxed"))
    rate = pl.col("consume_rate") + pl.col("consume_rate" + PAIRED)
    return pair.select("ts", "topic", "group", consume_rate=rate)


def _merge_topics(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    return merge_lag(frames, by=("topic",))


Merge = Callable[[Sequence[pl.DataFrame]], pl.DataFrame]


def _by_topic(held: dict[tuple[object, ...], pl.DataFrame], frame: pl.DataFrame, merge: Merge) -> None:
    """Merge ``frame``'s rows of each topic into ``held`` (topic key -> that topic's frame)."""
    keys = [c for c in ("cluster", "topic") if c in frame.columns]
    for key, part in frame.partition_by(keys, as_dict=True, maintain_order=True).items():
        held[key] = merge([held[key], part]) if key in held else part


def _joined(held: dict[tuple[object, ...], pl.DataFrame], empty: pl.DataFrame) -> pl.DataFrame:
    """The frames of ``held`` in topic order, as one."""
    frames = [held[k] for k in sorted(held, key=lambda k: tuple("" if v is None else str(v) for v in k))]
    return pl.concat(frames, how="vertical_relaxed") if frames else empty


class GroupedPiece:
    """One piece, or the partition chunks of one group added one by one: the per-(group, ts)
    frames merged, the partition frames reduced to a :class:`PartitionShare` and dropped."""

    def __init__(self, analysis: LagAnalysis, shown_from: dt.datetime | None) -> None:
        self.shown_from = shown_from
        self.groups = analysis.group_status["group"].unique().to_list()
        self._share = partition_share(analysis, shown_from)
        self._frames = dataclasses.replace(
            analysis,
            partitions=analysis.partitions.clear(),
            partition_status=analysis.partition_status.clear(),
        )
        self._topics: dict[tuple[object, ...], pl.DataFrame] | None = None  # after a first chunk
        self._consume: dict[tuple[object, ...], pl.DataFrame] | None = None

    def continues(self, piece: pl.DataFrame) -> bool:
        """Whether ``piece`` is a further chunk of this piece's one group."""
        return (
            len(self.groups) == 1 and piece["group"].n_unique() == 1 and piece["group"][0] == self.groups[0]
        )

    def add(self, analysis: LagAnalysis) -> None:
        """Another chunk of the same group (other partitions)."""
        share = partition_share(analysis, self.shown_from)
        if self._topics is None or self._consume is None:
            self._topics, self._consume = {}, {}
            _by_topic(self._topics, self._frames.topics, _merge_topics)
            _by_topic(self._consume, self._share.consume, _add_consume)
        _by_topic(self._topics, analysis.topics, _merge_topics)
        _by_topic(self._consume, share.consume, _add_consume)
        a, mine = self._frames, self._share
        self._share = dataclasses.replace(
            mine,
            worst=_add_worst(mine.worst, share.worst),
            produce=pl.concat([mine.produce, share.produce], how="vertical_relaxed"),
            latest=pl.concat([mine.latest, share.latest], how="vertical_relaxed"),
            latest_status=pl.concat([mine.latest_status, share.latest_status], how="vertical_relaxed"),
        )
        self._frames = dataclasses.replace(
            a,
            groups=merge_lag([a.groups, analysis.groups]),
            group_status=merge_status([a.group_status, analysis.group_status]),
            members=a.members.clear(),
        )

    @property
    def share(self) -> PartitionShare:
        """The :class:`PartitionShare` of every chunk added."""
        if self._consume is None:
            return self._share
        return dataclasses.replace(self._share, consume=_joined(self._consume, self._share.consume.clear()))

    def analysis(self) -> LagAnalysis:
        """The analysis trimmed to the window, its partition frames holding only the rows at each
        group's newest snapshot (all a summary reads of them beside the share)."""
        frames = self._frames
        if self._topics is not None:
            frames = dataclasses.replace(frames, topics=_joined(self._topics, frames.topics.clear()))
        share = self._share
        thin = dataclasses.replace(frames, partitions=share.latest, partition_status=share.latest_status)
        return trim_to_window(thin, self.shown_from)
