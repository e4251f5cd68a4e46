"""What a piece's partition frames leave for the lag-trend summary, and a group's partition
chunks gathered into one analysis (docs/scale.md, "A group bigger than a piece").

A piece's per-partition frames are the large ones. The summary needs of them only sums and worst
statuses per (group, ts), produce sums per partition, and the rows at each group's newest
snapshot (:class:`PartitionShare`); the per-(group, ts) frames are small and merge across the
chunks of one group (:mod:`workbench.analyze.lag.combine`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import polars as pl

from workbench.analyze.lag import findings as lf
from workbench.analyze.lag.analysis import LagAnalysis
from workbench.analyze.lag.combine import merge_lag, merge_status
from workbench.analyze.lag.window import trim_to_window


@dataclass(frozen=True)
class PartitionShare:
    """A piece's partition frames reduced (they may cover part of a group's partitions)."""

    worst: pl.DataFrame  # group, ts, detail: the most severe partition status
    consume: pl.DataFrame  # ts, topic, group, consume_rate (Σ over partitions)
    produce: pl.DataFrame  # topic, partition, _sum, _n: produce rates over the window
    latest: pl.DataFrame  # partition rows at each group's newest snapshot of the piece
    latest_status: pl.DataFrame  # partition status rows at the same snapshots


def partition_share(analysis: LagAnalysis) -> PartitionShare:
    """The :class:`PartitionShare` of an analysis already trimmed to the window shown."""
    parts, ps = analysis.partitions, analysis.partition_status
    newest = pl.col("ts") == pl.col("ts").max().over("group")
    return PartitionShare(
        worst=lf.worst_partition_status(ps),
        consume=lf.consume_by_topic(analysis),
        produce=parts.group_by("topic", "partition").agg(
            _sum=pl.col("produce_rate").sum(), _n=pl.col("produce_rate").count()
        ),
        latest=parts.filter(newest),
        latest_status=ps.filter(newest),
    )


def add_shares(a: PartitionShare, b: PartitionShare) -> PartitionShare:
    """Two shares of the same groups over disjoint partitions, as one."""

    def cat(x: pl.DataFrame, y: pl.DataFrame) -> pl.DataFrame:
        return pl.concat([x, y], how="vertical_relaxed")

    return PartitionShare(
        worst=lf.worst_partition_status(cat(a.worst, b.worst)),
        consume=cat(a.consume, b.consume)
        .group_by("ts", "topic", "group", maintain_order=True)
        .agg(pl.col("consume_rate").sum()),
        produce=cat(a.produce, b.produce),
        latest=cat(a.latest, b.latest),
        latest_status=cat(a.latest_status, b.latest_status),
    )


class GroupedPiece:
    """One piece, or the partition chunks of one group added one by one: the per-(group, ts)
    frames merged, the partition frames reduced to a :class:`PartitionShare` and dropped."""

    def __init__(self, analysis: LagAnalysis, shown_from: dt.datetime | None) -> None:
        self.shown_from = shown_from
        self.groups = analysis.group_status["group"].unique().to_list()
        self.share = partition_share(trim_to_window(analysis, shown_from))
        self._frames = dataclasses.replace(
            analysis,
            partitions=analysis.partitions.clear(),
            partition_status=analysis.partition_status.clear(),
        )

    def continues(self, piece: pl.DataFrame) -> bool:
        """Whether ``piece`` is a further chunk of this piece's one group."""
        return (
            len(self.groups) == 1 and piece["group"].n_unique() == 1 and piece["group"][0] == self.groups[0]
        )

    def add(self, analysis: LagAnalysis) -> None:
        """Another chunk of the same group (other partitions)."""
        share = partition_share(trim_to_window(analysis, self.shown_from))
        self.share = add_shares(self.share, share)
        a = self._frames
        self._frames = dataclasses.replace(
            a,
            groups=merge_lag([a.groups, analysis.groups]),
            topics=merge_lag([a.topics, analysis.topics], by=("topic",)),
            group_status=merge_status([a.group_status, analysis.group_status]),
            members=a.members.clear(),
        )

    def analysis(self) -> LagAnalysis:
        """The analysis trimmed to the window, its partition frames holding only the rows at each
        group's newest snapshot (all a summary reads of them beside the share)."""
        thin = dataclasses.replace(
            self._frames, partitions=self.share.latest, partition_status=self.share.latest_status
        )
        return trim_to_window(thin, self.shown_from)
