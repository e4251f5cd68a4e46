"""The lag-trend report's figures, reduced piece by piece from a history of any length.

Each piece (whole groups, see :func:`workbench.frames.offsets_in_pieces`) is analysed, trimmed to
the window shown, and reduced at once to what the report shows: the incident summary, the
status, lag and rate series in time buckets of at most :data:`MAX_POINTS` per series, the
partition skew, the ERR details, retention losses and error runs. Memory holds one piece plus
groups x buckets, never the window's partition frames. Design: ``docs/scale.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from workbench.analyze._groupby.buckets import bucket_seconds, snapshot_interval
from workbench.analyze._groupby.prepare import prepare
from workbench.analyze.burrow.commits import with_commit_status
from workbench.analyze.burrow.rules import BurrowConfig
from workbench.analyze.lag import findings as lf
from workbench.analyze.lag.analysis import _SEVERITY, LagAnalysis, _analyze_prepared
from workbench.analyze.lag.headline import WindowFacts, combine_facts, findings_from, window_facts
from workbench.analyze.lag.levels import LagLevels
from workbench.analyze.lag.share import GroupedPiece, PartitionShare
from workbench.analyze.lag.window import TIMELINE_ORDER, summarize_window
from workbench.errors import WorkbenchError

#: Time buckets per series at most (a week of 1-minute snapshots: 30-minute buckets).
MAX_POINTS = 400
_SEV = {s: i for i, s in enumerate(TIMELINE_ORDER)}


@dataclass(frozen=True)
class LagSummary:
    """What the lag-trend report shows, at ``step_s`` time buckets (see the module docstring)."""

    incidents: pl.DataFrame
    status: pl.DataFrame  # ts (bucket start), group, status (worst), snapshots
    groups: pl.DataFrame  # ts, group, lag (max), time_lag_min (max)
    produce: pl.DataFrame  # ts, topic, produce_rate (mean), snapshots
    consume: pl.DataFrame  # ts, topic, group, consume_rate (mean), snapshots
    skew: pl.DataFrame  # topic, partition, produce_rate (mean over the window), lag (now, all groups)
    facts: WindowFacts  # what the headline sentences need (per group)
    window: pl.DataFrame  # ts (every snapshot shown), cluster: for the data-window line
    step_s: int
    config: BurrowConfig = field(default_factory=BurrowConfig)
    source: str = ""  # which snapshots the figures come from (raw or a rollup), as a sentence


def summary_findings(
    summary: LagSummary,
    levels: LagLevels,
    top_n: int = 10,
    hanging: pl.DataFrame | None = None,
    held: pl.DataFrame | None = None,
) -> list[lf.Finding]:
    """:func:`lag.headline.findings_from` the summary: the same sentences as from the whole window."""
    return findings_from(summary.facts, summary.incidents, levels, top_n, hanging, held)


def summary_step(start: dt.datetime, end: dt.datetime, interval_s: float) -> int:
    """The bucket step: the smallest round step giving at most :data:`MAX_POINTS` per series."""
    return bucket_seconds(start, end, 1, MAX_POINTS, interval_s)


def reduce_piece(
    analysis: LagAnalysis, step_s: int, levels: LagLevels, share: PartitionShare
) -> dict[str, object]:
    """One piece's analysis (trimmed to the window; its partition frames may hold only the rows
    at each group's newest snapshot) and the :class:`PartitionShare` of its partition frames ->
    its share of every :class:`LagSummary` field."""
    incidents = summarize_window(analysis)
    bucket = pl.col("ts").dt.truncate(f"{step_s}s")
    status = lf.status_frame(analysis, share.worst).with_columns(
        ts=bucket, _sev=pl.col("status").replace_strict(_SEV, default=0, return_dtype=pl.Int8)
    )
    gs = analysis.group_status
    return {
        "incidents": incidents,
        "status": status.group_by("group", "ts").agg(
            pl.col("status").sort_by("_sev").last(), snapshots=pl.len()
        ),
        "groups": lf.group_lag_series(analysis, incidents["group"].to_list())
        .with_columns(ts=bucket)
        .group_by("ts", "group")
        .agg(pl.col("lag").max(), pl.col("time_lag_min").max()),
        "produce": analysis.topics.select("ts", "topic", "produce_rate"),
        "consume": _bucket_mean(share.consume, ["topic", "group"], bucket),
        "skew": _skew_sums(analysis, share, incidents),
        "facts": window_facts(analysis, incidents, levels),
        "window": analysis.groups.select("ts", *(["cluster"] if "cluster" in gs.columns else [])).unique(),
    }


def _skew_sums(analysis: LagAnalysis, share: PartitionShare, incidents: pl.DataFrame) -> pl.DataFrame:
    """:func:`lag_findings.partition_skew_frame` as sums and counts, to add up across pieces."""
    latest = analysis.partitions.join(
        incidents.select("group", "as_of"), left_on=["group", "ts"], right_on=["group", "as_of"]
    )
    lag = latest.group_by("topic", "partition").agg(lag=pl.col("lag").sum())
    return share.produce.join(lag, on=["topic", "partition"], how="left")


def _combine_skew(sums: pl.DataFrame) -> pl.DataFrame:
    """Per (topic, partition): mean produce rate over every piece's rows, lag now over all groups."""
    n = pl.col("_n").sum()
    return (
        sums.group_by("topic", "partition")
        .agg(
            produce_rate=pl.when(n > 0).then(pl.col("_sum").sum() / n),
            lag=pl.when(pl.col("lag").is_not_null().any()).then(pl.col("lag").sum()),
        )
        .sort("topic", "partition")
    )


def _bucket_mean(frame: pl.DataFrame, keys: list[str], bucket: pl.Expr) -> pl.DataFrame:
    """Mean of the one value column per ``keys`` and bucket, with the ``snapshots`` it covers
    (so a coarser bucket re-weights exactly: :func:`combine_means`)."""
    value = next(c for c in frame.columns if c not in ("ts", *keys))
    return (
        frame.with_columns(ts=bucket)
        .group_by("ts", *keys)
        .agg(pl.col(value).mean(), snapshots=pl.col(value).count())
    )


def summarize_pieces(
    pieces: Iterable[pl.DataFrame],
    config: BurrowConfig,
    levels: LagLevels,
    span: tuple[dt.datetime, dt.datetime],
    shown_from: dt.datetime | None = None,
    *,
    log_ends: pl.LazyFrame | None = None,
    commits: pl.LazyFrame | None = None,
    history: pl.LazyFrame | None = None,
    source: str = "",
) -> LagSummary:
    """Analyse each piece of whole groups (with warm-up rows before ``shown_from``), reduce it
    with :func:`reduce_piece` and drop it; combine the reductions into one :class:`LagSummary`.

    ``span``: the window's first and last instants (they and the first piece's snapshot interval
    fix the bucket step, :func:`summary_step`); ``log_ends``, ``commits``, ``history``: what each
    piece reads beside its offsets (:class:`PieceInputs`); ``source``: the sentence saying what was
    read."""
    extra = PieceInputs(log_ends, commits, history)
    parts: list[dict[str, object]] = []
    step_s = 0
    held: GroupedPiece | None = None  # the last piece: further chunks of its group may follow
    for piece, analysis in _analysed(pieces, config, extra, WORKERS):
        step_s = step_s or summary_step(span[0], span[1], snapshot_interval(piece["ts"]))
        if held is not None and held.continues(piece):
            held.add(analysis)
        else:
            if held is not None:
                parts.append(reduce_piece(held.analysis(), step_s, levels, held.share))
            held = GroupedPiece(analysis, shown_from)
        del analysis, piece
    if held is not None:
        parts.append(reduce_piece(held.analysis(), step_s, levels, held.share))
    if not parts:
        raise WorkbenchError("no consumer-group offsets in the selected window")
    return dataclasses.replace(_combine(parts, step_s, config), source=source)


#: Pieces analysed at once (threads; Polars and numpy release the GIL): one per core, at most
#: two. Memory: that many pieces in analysis beside the one merged (docs/scale.md).
WORKERS = max(1, int(os.environ.get("WORKBENCH_LAG_WORKERS", "0")) or min(2, os.cpu_count() or 1))


def _analysed(
    pieces: Iterable[pl.DataFrame], config: BurrowConfig, extra: PieceInputs, workers: int
) -> Iterator[tuple[pl.DataFrame, LagAnalysis]]:
    """Each piece with its :func:`analyze_piece`, in order; up to ``workers`` pieces are analysed
    side by side while the next is read (the merging after stays in order: the figures of one)."""
    if workers < 2:
        for piece in pieces:
            yield piece, analyze_piece(piece, config, extra)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[tuple[pl.DataFrame, Future[LagAnalysis]]] = deque()
        for piece in pieces:
            pending.append((piece, pool.submit(analyze_piece, piece, config, extra)))
            if len(pending) >= workers:
                first, future = pending.popleft()
                yield first, future.result()
        while pending:
            first, future = pending.popleft()
            yield first, future.result()


@dataclass(frozen=True)
class PieceInputs:
    """What a piece reads beside its offsets, each cut to the piece's topics or groups: extra
    log-end readings for the time lag (``log_ends``), and the ``commits`` with the log-end
    ``history`` that Burrow's status on commits needs (None: not collected)."""

    log_ends: pl.LazyFrame | None = None
    commits: pl.LazyFrame | None = None
    history: pl.LazyFrame | None = None


def analyze_piece(piece: pl.DataFrame, config: BurrowConfig, extra: PieceInputs) -> LagAnalysis:
    """One piece's analysis, as :func:`workbench.analyze.lag.analyze_window` does the whole window
    (Burrow's status from commits for groups that have them), before trimming."""
    frame = prepare(piece)
    topics = frame.select("topic").unique().lazy()

    def cut(lf: pl.LazyFrame | None, on: str, keys: pl.LazyFrame) -> pl.DataFrame | None:
        return None if lf is None else lf.join(keys, on=on, how="semi").collect()

    ends = cut(extra.log_ends, "topic", topics)
    analysis = _analyze_prepared(frame, config, ends, concurrent=True, members=False)
    commits = cut(extra.commits, "group", frame.select("group").unique().lazy())
    history = cut(extra.history, "topic", topics)
    if commits is None or history is None:
        commits = pl.DataFrame(schema={"group": pl.String})
    ps, gs = with_commit_status(analysis.partition_status, analysis.group_status, commits, history, config)  # type: ignore[arg-type]
    return dataclasses.replace(analysis, partition_status=ps, group_status=gs)


def _combine(parts: list[dict[str, object]], step_s: int, config: BurrowConfig) -> LagSummary:
    def cat(name: str) -> pl.DataFrame:
        frames = [p[name] for p in parts]
        return pl.concat([f for f in frames if isinstance(f, pl.DataFrame)], how="vertical_relaxed")

    incidents = cat("incidents")
    worst = pl.col("status").replace_strict(_SEVERITY, default=0, return_dtype=pl.Int8)
    incidents = incidents.sort([worst, "totallag", "group"], descending=[True, True, False], nulls_last=True)
    return LagSummary(
        incidents=incidents,
        status=cat("status").sort("group", "ts"),
        groups=cat("groups").sort("group", "ts"),
        produce=_produce(cat("produce"), step_s),
        consume=cat("consume").sort("topic", "group", "ts"),
        skew=_combine_skew(cat("skew")),
        facts=combine_facts([p["facts"] for p in parts]),  # type: ignore[misc]
        window=cat("window").unique().sort("ts"),
        step_s=step_s,
        config=config,
    )


def _produce(per_ts: pl.DataFrame, step_s: int) -> pl.DataFrame:
    """Per (bucket, topic): mean produce rate. A topic read by groups in several pieces has one
    series per piece, each over the partitions its groups read: the largest is the topic's (exact
    when a group reads every partition of the topic, as consumer groups do)."""
    topic = per_ts.group_by("ts", "topic").agg(pl.col("produce_rate").max())
    bucket = pl.col("ts").dt.truncate(f"{step_s}s")
    return _bucket_mean(topic, ["topic"], bucket).sort("topic", "ts")
