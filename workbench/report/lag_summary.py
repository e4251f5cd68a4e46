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
import itertools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

from workbench.analyze import BurrowConfig, LagAnalysis
from workbench.analyze.analysis import _SEVERITY, _analyze_prepared
from workbench.analyze.lag import prepare
from workbench.charts.bucket import bucket_seconds, snapshot_interval
from workbench.charts.theme import STATUS_ORDER
from workbench.errors import NotFoundError, WorkbenchError
from workbench.frames import load_partition_offsets, offsets_in_pieces, scan_offsets, warmup_start
from workbench.frames.rollups import pick_resolution
from workbench.report import lag_findings as lf
from workbench.report.lag_window import summarize_window, trim_to_window
from workbench.store import Store

#: Time buckets per series at most (a week of 1-minute snapshots: 30-minute buckets).
MAX_POINTS = 400
#: Rows per piece of whole groups read at once (about 1 KB a row while a piece is analysed).
ROWS_PER_PIECE = 2_000_000
#: The offsets columns the report's analysis reads (not client ids, hosts, group state, source).
COLUMNS = (
    "ts",
    "cluster",
    "group",
    "topic",
    "partition",
    "committed_offset",
    "log_start_offset",
    "log_end_offset",
    "member_id",
    "lag",
    "lag_raw",
    "retention_gap",
    "lost_messages",
)
_SEV = {s: i for i, s in enumerate(STATUS_ORDER)}
Filter = str | Sequence[str] | None


@dataclass(frozen=True)
class Evaluation:
    """Where Burrow's verdicts start: the first snapshot, the first evaluated one, the snapshots
    of the window no group could be evaluated at yet (:func:`lag_findings.unevaluated_finding`)."""

    first: dt.datetime | None = None
    first_evaluated: dt.datetime | None = None
    pending: frozenset[dt.datetime] = frozenset()


@dataclass(frozen=True)
class LagSummary:
    """What the lag-trend report shows, at ``step_s`` time buckets (see the module docstring)."""

    incidents: pl.DataFrame
    status: pl.DataFrame  # ts (bucket start), group, status (worst), snapshots
    groups: pl.DataFrame  # ts, group, lag (max), time_lag_min (max)
    produce: pl.DataFrame  # ts, topic, produce_rate (mean), snapshots
    consume: pl.DataFrame  # ts, topic, group, consume_rate (mean), snapshots
    skew: pl.DataFrame  # topic, partition, produce_rate (mean over the window), lag (now, all groups)
    detail: dict[str, str]
    lost: dict[str, int]
    error_runs: pl.DataFrame
    evaluation: Evaluation
    window: pl.DataFrame  # ts (every snapshot shown), cluster: for the data-window line
    step_s: int
    config: BurrowConfig = field(default_factory=BurrowConfig)
    source: str = ""  # which snapshots the figures come from (raw or a rollup), as a sentence


def summary_step(start: dt.datetime, end: dt.datetime, interval_s: float) -> int:
    """The bucket step: the smallest round step giving at most :data:`MAX_POINTS` per series."""
    return bucket_seconds(start, end, 1, MAX_POINTS, interval_s)


def reduce_piece(analysis: LagAnalysis, step_s: int) -> dict[str, object]:
    """One piece's analysis (trimmed to the window) -> its share of every :class:`LagSummary` field."""
    incidents = summarize_window(analysis)
    bucket = pl.col("ts").dt.truncate(f"{step_s}s")
    status = lf.status_frame(analysis).with_columns(
        ts=bucket, _sev=pl.col("status").replace_strict(_SEV, default=0, return_dtype=pl.Int8)
    )
    gs = analysis.group_status
    evaluated = gs.filter(pl.col("evaluated")) if "evaluated" in gs.columns else gs
    pending = gs.filter(~pl.col("evaluated")) if "evaluated" in gs.columns else gs.clear()
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
        "consume": _bucket_mean(lf.consume_by_topic(analysis), ["topic", "group"], bucket),
        "skew": _skew_sums(analysis, incidents),
        "detail": lf.current_partition_status(analysis, incidents),
        "lost": lf.retention_losses(analysis, incidents),
        "error_runs": lf.error_runs(gs),
        "evaluation": Evaluation(
            gs["ts"].min(),  # type: ignore[arg-type]
            evaluated["ts"].min(),  # type: ignore[arg-type]
            frozenset(pending["ts"].unique().to_list()),
        ),
        "window": analysis.groups.select("ts", *(["cluster"] if "cluster" in gs.columns else [])).unique(),
    }


def _skew_sums(analysis: LagAnalysis, incidents: pl.DataFrame) -> pl.DataFrame:
    """:func:`lag_findings.partition_skew_frame` as sums and counts, to add up across pieces."""
    parts = analysis.partitions
    produce = parts.group_by("topic", "partition").agg(
        _sum=pl.col("produce_rate").sum(), _n=pl.col("produce_rate").count()
    )
    latest = parts.join(
        incidents.select("group", "as_of"), left_on=["group", "ts"], right_on=["group", "as_of"]
    )
    lag = latest.group_by("topic", "partition").agg(lag=pl.col("lag").sum())
    return produce.join(lag, on=["topic", "partition"], how="left")


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
    step_s: int,
    config: BurrowConfig,
    shown_from: dt.datetime | None = None,
    log_ends: pl.LazyFrame | None = None,
) -> LagSummary:
    """Analyse each piece of whole groups (with warm-up rows before ``shown_from``), reduce it
    with :func:`reduce_piece` and drop it; combine the reductions into one :class:`LagSummary`."""
    parts: list[dict[str, object]] = []
    for piece in pieces:
        frame = prepare(piece)
        ends = None
        if log_ends is not None:
            ends = log_ends.join(frame.select("topic").unique().lazy(), on="topic", how="semi").collect()
        analysis = _analyze_prepared(frame, config, ends, concurrent=True)
        del frame
        parts.append(reduce_piece(trim_to_window(analysis, shown_from), step_s))
        del analysis
    if not parts:
        raise WorkbenchError("no consumer-group offsets in the selected window")
    return _combine(parts, step_s, config)


def _combine(parts: list[dict[str, object]], step_s: int, config: BurrowConfig) -> LagSummary:
    def cat(name: str) -> pl.DataFrame:
        return pl.concat([p[name] for p in parts], how="vertical_relaxed")  # type: ignore[misc]

    incidents = cat("incidents")
    worst = pl.col("status").replace_strict(_SEVERITY, default=0, return_dtype=pl.Int8)
    incidents = incidents.sort([worst, "totallag", "group"], descending=[True, True, False], nulls_last=True)
    evals = [p["evaluation"] for p in parts]
    firsts = [e.first for e in evals if e.first is not None]  # type: ignore[attr-defined]
    oks = [e.first_evaluated for e in evals if e.first_evaluated is not None]  # type: ignore[attr-defined]
    evaluation = Evaluation(
        min(firsts, default=None),
        min(oks, default=None),
        frozenset().union(*(e.pending for e in evals)),  # type: ignore[attr-defined]
    )
    return LagSummary(
        incidents=incidents,
        status=cat("status").sort("group", "ts"),
        groups=cat("groups").sort("group", "ts"),
        produce=_produce(cat("produce"), step_s),
        consume=cat("consume").sort("topic", "group", "ts"),
        skew=_combine_skew(cat("skew")),
        detail={k: v for p in parts for k, v in p["detail"].items()},  # type: ignore[attr-defined]
        lost={k: v for p in parts for k, v in p["lost"].items()},  # type: ignore[attr-defined]
        error_runs=cat("error_runs").sort(["seconds", "group"], descending=[True, False]),
        evaluation=evaluation,
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


def _extra_log_ends(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: dt.datetime | None,
    until: str | dt.datetime | None,
    topics: Filter,
    offsets: pl.LazyFrame,
    dataset: str = "partition_offsets",
) -> pl.LazyFrame | None:
    """The ``partition_offsets`` rows at snapshot times the offsets do not have (None when there
    are none): the time lag's history is the union of both, and where both have a snapshot their
    log ends are the same reading, so only the other times add points."""
    if not Store(data_dir).clusters(dataset):
        return None
    ends = load_partition_offsets(data_dir, cluster, since, until, topics, lazy=True, dataset=dataset)
    seen = offsets.select(pl.col("ts").unique())
    extra = ends.join(seen, on="ts", how="anti")  # type: ignore[union-attr]
    return None if extra.select(pl.len()).collect().item() == 0 else extra


def summarize_history(
    data_dir: str | os.PathLike[str],
    cluster: str | None,
    since: str | dt.datetime | None,
    until: str | dt.datetime | None,
    groups: Filter,
    topics: Filter,
    config: BurrowConfig,
    rows_per_piece: int = ROWS_PER_PIECE,
    resolution: str = "auto",
) -> LagSummary:
    """:func:`summarize_pieces` of a stored window at the resolution :func:`pick_resolution`
    chooses (``summary.source`` says which): ``config.intervals`` warm-up snapshots before it
    (as :func:`lag_window.analyze_window`), read in pieces of whole groups."""
    res = pick_resolution(data_dir, cluster, since, until, resolution)
    load_from, shown_from = warmup_start(data_dir, cluster, res.since, config.intervals, res.offsets)
    scan = scan_offsets(data_dir, cluster, load_from, res.until, groups, topics, res.offsets)
    bounds = scan.select(lo=pl.col("ts").min(), hi=pl.col("ts").max()).collect()
    if bounds["lo"][0] is None:
        raise NotFoundError(f"{data_dir}: no consumer-group offsets in the selected window")
    pieces = offsets_in_pieces(
        data_dir,
        cluster,
        load_from,
        res.until,
        groups,
        topics,
        rows_per_piece,
        split_sets=True,
        columns=COLUMNS,
        dataset=res.offsets,
    )
    first = next(pieces)
    start = shown_from or bounds["lo"][0]
    step = summary_step(start, bounds["hi"][0], snapshot_interval(first["ts"]))
    ends = _extra_log_ends(data_dir, cluster, load_from, res.until, topics, scan, res.partition_offsets)
    summary = summarize_pieces(itertools.chain([first], pieces), step, config, shown_from, ends)  # type: ignore[arg-type]
    return dataclasses.replace(summary, source=res.note)
