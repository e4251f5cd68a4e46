"""The one call a notebook makes: :func:`analyze_lag`, and the incident summary for its headlines."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from workbench.analyze._groupby.grid import KeyCache, run_starts
from workbench.analyze._groupby.grouping import _group_ts
from workbench.analyze._groupby.prepare import prepare, with_cluster
from workbench.analyze.burrow.rules import BurrowConfig
from workbench.analyze.burrow.status import (
    _finish_group_status,
    _partition_status_prepared,
    _status_inputs,
    _status_maxlag,
    group_status,
)
from workbench.analyze.lag.aggregates import (
    _fast_lag_aggs,
    _finish_lag_aggs,
    _group_lag,
    _member_lag,
    _partition_lag_prepared,
    _topic_lag,
    _with_drain,
)
from workbench.analyze.lag.timelag import time_lag
from workbench.errors import WorkbenchError


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
    return _analyze_prepared(prepare(offsets), config or BurrowConfig(), log_end_history)


def analyze_lag_pieces(
    pieces: Iterable[pl.DataFrame | pl.LazyFrame],
    config: BurrowConfig | None = None,
    log_end_history: pl.DataFrame | pl.LazyFrame | None = None,
    *,
    keep_partitions: bool = False,
) -> LagAnalysis:
    """:func:`analyze_lag` of a history given in pieces of whole groups (for example
    :func:`workbench.frames.offsets_in_pieces`), for histories too large to analyse at once.

    Each piece is analysed with both cores busy (independent stages in threads) and dropped; the
    per-group, per-member and per-topic frames of all pieces are concatenated (groups that read a
    common topic must be in the same piece for whole topic rows: ``offsets_in_pieces`` keeps
    them together). ``keep_partitions``: also keep the per-partition frames (``partitions``,
    ``partition_status``), the large ones; without it they are empty, with their columns.
    ``log_end_history``: as for :func:`analyze_lag`; each piece gets the rows of its topics.
    """
    config = config or BurrowConfig()
    done: list[LagAnalysis] = []
    for piece in pieces:
        frame = prepare(piece)
        if done and _same_single_group(done[-1], frame):  # a further chunk of one group's partitions
            done[-1] = _merged(done[-1], _analyze_piece(frame, config, log_end_history, keep_partitions))
            continue
        done.append(_analyze_piece(frame, config, log_end_history, keep_partitions))
    if not done:
        raise WorkbenchError("analyze_lag_pieces: no pieces (no offsets in the selected window?)")
    frames = {name: pl.concat([getattr(r, name) for r in done], how="vertical_relaxed") for name in _ORDER}
    if len(done) > 1:  # pieces follow their first group: restore analyze_lag's order
        frames = {
            name: frame.sort(
                [c for c in _ORDER[name] if c in frame.columns], nulls_last=True, maintain_order=True
            )
            for name, frame in frames.items()
        }
    return LagAnalysis(**frames, config=config)


def _same_single_group(done: LagAnalysis, frame: pl.DataFrame) -> bool:
    names = done.group_status["group"].unique()
    return names.len() == 1 and frame["group"].n_unique() == 1 and frame["group"][0] == names[0]


def _merged(a: LagAnalysis, b: LagAnalysis) -> LagAnalysis:
    """Two analyses of one group over disjoint partitions, as one (docs/scale.md)."""
    from workbench.analyze.lag.combine import merge_lag, merge_status

    return replace(
        a,
        partitions=pl.concat([a.partitions, b.partitions], how="vertical_relaxed"),
        partition_status=pl.concat([a.partition_status, b.partition_status], how="vertical_relaxed"),
        members=merge_lag([a.members, b.members], by=("group", "member_id")),
        groups=merge_lag([a.groups, b.groups]),
        topics=merge_lag([a.topics, b.topics], by=("topic",)),
        group_status=merge_status([a.group_status, b.group_status]),
    )


def _analyze_piece(
    frame: pl.DataFrame,
    config: BurrowConfig,
    log_end_history: pl.DataFrame | pl.LazyFrame | None,
    keep_partitions: bool,
) -> LagAnalysis:
    """One prepared piece of :func:`analyze_lag_pieces`."""
    ends = None
    if log_end_history is not None:
        topics = frame.select("topic").unique().lazy()
        ends = log_end_history.lazy().join(topics, on="topic", how="semi").collect()
    result = _analyze_prepared(frame, config, ends, concurrent=True)
    if not keep_partitions:
        result = replace(
            result, partitions=result.partitions.clear(), partition_status=result.partition_status.clear()
        )
    return result


_PARTITION_ORDER = ("cluster", "group", "topic", "partition", "ts")
_ORDER = {  # LagAnalysis frame -> the columns it is sorted by
    "partitions": _PARTITION_ORDER,
    "members": ("cluster", "group", "ts", "member_id"),
    "groups": ("cluster", "group", "ts"),
    "topics": ("cluster", "topic", "ts"),
    "partition_status": _PARTITION_ORDER,
    "group_status": ("cluster", "group", "ts"),
}


Stage = Callable[..., Any]


def _run(name: str, fn: Stage, *args: Any) -> Any:
    return fn(*args)


def _analyze_prepared(
    frame: pl.DataFrame,
    config: BurrowConfig,
    log_end_history: pl.DataFrame | pl.LazyFrame | None = None,
    *,
    concurrent: bool = False,
    timed: Callable[..., Any] = _run,
    members: bool = True,
) -> LagAnalysis:
    """:func:`analyze_lag` of a frame already through :func:`prepare` (sorted, with ``_pid``): the
    sort and the partition ids are shared by the partition-level stages, the group-by keys (dense
    ids, timestamps) by the aggregates, and group lag and group status are one group-by.

    ``concurrent``: run the independent chains (partition status; lag → time lag; then the
    aggregates) in threads, so both cores stay busy where a Polars kernel is single-threaded.
    ``timed(name, fn, *args)``: calls each stage (a hook for profiling). ``members``: False leaves
    the per-member frame empty (a quarter of the work; the lag-trend summary does not read it).
    """
    cache: KeyCache = {}  # shared group-by keys: the stages' frames have the same key columns and rows
    if concurrent:
        with ThreadPoolExecutor(max_workers=3) as pool:
            f_status = pool.submit(timed, "partition_status", _partition_status_prepared, frame, config)
            parts = timed("partition_lag", _partition_lag_prepared, frame)
            parts = timed("time_lag", time_lag, parts, log_end_history)
            f_members = pool.submit(timed, "member_lag", _member_lag, parts, cache) if members else None
            one_to_one = timed("topics_per_group", _group_topic_table, parts, cache)
            f_topics = (
                None
                if one_to_one is not None
                else pool.submit(timed, "topic_lag", _topic_lag, parts, False, cache)
            )
            pstatus = f_status.result()
            groups, gstatus = timed("group_lag_status", _group_lag_and_status, parts, pstatus, cache)
            topics = (
                f_topics.result() if f_topics else timed("topic_lag", _topics_of_groups, groups, one_to_one)
            )
            per_member = f_members.result() if f_members else _no_members(parts)
    else:
        parts = timed("partition_lag", _partition_lag_prepared, frame)
        parts = timed("time_lag", time_lag, parts, log_end_history)
        pstatus = timed("partition_status", _partition_status_prepared, frame, config)
        groups, gstatus = timed("group_lag_status", _group_lag_and_status, parts, pstatus, cache)
        one_to_one = timed("topics_per_group", _group_topic_table, parts, cache)
        topics = (
            timed("topic_lag", _topic_lag, parts, False, cache)
            if one_to_one is None
            else timed("topic_lag", _topics_of_groups, groups, one_to_one)
        )
        per_member = timed("member_lag", _member_lag, parts, cache) if members else _no_members(parts)
    return LagAnalysis(
        partitions=parts,
        members=per_member,
        groups=groups,
        topics=topics,
        partition_status=pstatus,
        group_status=gstatus,
        config=config,
    )


def _no_members(parts: pl.DataFrame) -> pl.DataFrame:
    """An empty per-member frame with :func:`_member_lag`'s columns."""
    return _member_lag(parts.clear())


def _group_lag_and_status(
    parts: pl.DataFrame, pstatus: pl.DataFrame, cache: KeyCache | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(group_lag(parts), group_status(pstatus))`` by one group-by on (group, ts), for frames of
    the same rows in the same order (both from one prepared frame)."""
    gkeys = with_cluster(parts.columns, ("group",))
    inputs = _status_inputs(pstatus)
    grouped = None
    if (
        inputs is not None
        and parts.height == pstatus.height
        and gkeys == [c for c in ("cluster", "group") if c in pstatus.columns]
        and not set(inputs[0].columns) & set(parts.columns)
    ):
        cols, status_aggs = inputs
        frame = pl.concat([parts, cols], how="horizontal")
        grouped = _group_ts(frame, gkeys, [*_fast_lag_aggs(parts), *status_aggs], cache=cache)
    if grouped is None:
        return _group_lag(parts, cache), group_status(pstatus)
    out = grouped[0].collect()
    groups = _with_drain(_finish_lag_aggs(out.lazy(), parts, [*gkeys, "ts"]).collect())
    names = [a.name for a in inputs[1]]  # type: ignore[index]
    gstatus = _finish_group_status(_status_maxlag(out.select(*gkeys, "ts", *names), pstatus), gkeys)
    return groups, gstatus


def _group_topic_table(parts: pl.DataFrame, cache: KeyCache | None = None) -> pl.DataFrame | None:
    """The (group keys, topic) pairs when groups and topics correspond one to one (each group reads
    one topic, read by no other group), else None.

    Only the first row of each run of equal (group keys, topic) is compared: histories are sorted
    by group, topic, partition, so runs are long."""
    if parts.height == 0 or "topic" not in parts.columns or "group" not in parts.columns:
        return None
    gkeys, tkeys = with_cluster(parts.columns, ("group",)), with_cluster(parts.columns, ("topic",))
    keys = [*gkeys, "topic"]
    pairs = parts.select(keys)[run_starts(parts, keys)].unique(keys, keep="first", maintain_order=True)
    if pairs.height != pairs.select(gkeys).n_unique() or pairs.height != pairs.select(tkeys).n_unique():
        return None
    return pairs.sort(gkeys, nulls_last=False)


def _topics_of_groups(groups: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    """``topic_lag`` when groups and topics correspond one to one (:func:`_group_topic_table`): the
    same rows are aggregated, in the same order, so the group aggregates are the topic's."""
    gkeys = [c for c in table.columns if c != "topic"]
    tkeys = with_cluster(groups.columns, ("topic",))
    lag_cols = [c for c in groups.columns if c not in (*gkeys, "ts", "produce_rate", "time_to_drain_s")]
    out = groups.join(table, on=gkeys, how="left", nulls_equal=True)
    return out.select(
        *tkeys, "ts", *lag_cols, pl.lit(1, pl.UInt32).alias("groups"), "produce_rate", "time_to_drain_s"
    ).sort([*tkeys, "ts"])


def group_table(analysis: LagAnalysis) -> pl.DataFrame:
    """One row per (cluster, group, ts): the group's lag aggregates (``groups``) beside its Burrow
    status (``group_status``); the result table an engine writes (docs/fleet.md)."""
    keys = [*with_cluster(analysis.groups.columns, ("group",)), "ts"]
    out = analysis.groups.join(analysis.group_status, on=keys, how="left", nulls_equal=True)
    return out.sort(keys, nulls_last=True, maintain_order=True)


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
