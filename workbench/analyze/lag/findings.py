"""The lag-trend report's headline sentences and the frames its charts and tables show.

Everything here is computed from a :class:`workbench.analyze.LagAnalysis` and its incident
summary (:func:`workbench.analyze.summarize_incidents`); the notebook only displays it. The
sentences are plain text (cluster ids unescaped): :func:`workbench.report.notebook.show_findings`
escapes them for display. :class:`LagLevels` classifies groups by time lag and Burrow status
first; the analysis comes from :func:`workbench.analyze.lag.window.analyze_window`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

import polars as pl

from workbench import units
from workbench.analyze.burrow.rules import STATUS_CODES
from workbench.analyze.lag.analysis import LagAnalysis
from workbench.analyze.lag.levels import STATUS_VERBS, LagLevels, classify
from workbench.analyze.lag.window import NOT_EVALUATED

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

Finding = tuple[str, str]
#: Burrow's partition statuses, least to most severe (the worst of a group is the highest).
PARTITION_SEVERITY = {"OK": 1, "WARN": 2, "REWIND": 3, "STALL": 4, "STOP": 5}

_MAX_NAMES = 5


def unevaluated_finding(analysis: LagAnalysis) -> Finding | None:
    """``"Burrow status is not evaluated before 00:45 (the first 9 snapshots) ..."`` or None."""
    gs = analysis.group_status
    if "evaluated" not in gs.columns or gs["evaluated"].all():
        return None
    pending = gs.filter(~pl.col("evaluated"))["ts"].n_unique()
    first_ok = gs.filter(pl.col("evaluated"))["ts"].min()
    return unevaluated_sentence(gs["ts"].min(), first_ok, pending, analysis.config.intervals)  # type: ignore[arg-type]


def unevaluated_sentence(
    first: dt.datetime, first_ok: dt.datetime | None, pending: int, intervals: int
) -> Finding:
    """The sentence of :func:`unevaluated_finding` from its facts (also for a piecewise summary)."""
    until = f"before {units.instant(first_ok)}" if first_ok is not None else "anywhere in the window"
    return "info", (
        f"Burrow status is not evaluated {until} ({pending} snapshots; light grey in "
        f"the timeline where a time bucket holds only those): the stored history begins at "
        f"{units.instant(first)}, and its rules need {intervals} commits per partition to judge."
    )


# -- classification: time lag and Burrow status first ---------------------------------------------


def classify_groups(incidents: pl.DataFrame, levels: LagLevels, detail: dict[str, str]) -> pl.DataFrame:
    """Per group now: ``level`` (critical, warning, ok) and ``reasons``: every criterion that fired,
    as text. ``detail`` maps groups in ERR to their worst partition status (STOP, STALL, REWIND)."""
    rows = []
    for row in incidents.iter_rows(named=True):
        level, reasons = classify(
            levels, row["status"], row["max_time_lag_s"], row["totallag"], detail.get(row["group"], "ERR")
        )
        rows.append({"group": row["group"], "level": level, "reasons": reasons})
    return pl.DataFrame(rows, schema={"group": pl.String, "level": pl.String, "reasons": pl.List(pl.String)})


# -- headline sentences ------------------------------------------------------------------------------


def drain_findings(incidents: pl.DataFrame, levels: LagLevels, top_n: int = 10) -> list[Finding]:
    """Groups behind (time lag at least the warning) whose time to drain at the current consume
    rate exceeds the critical time lag."""
    limit = levels.crit_time_lag_s
    if limit is None or "time_to_drain_s" not in incidents.columns:
        return []
    behind = pl.col("max_time_lag_s") >= (levels.warn_time_lag_s or 0.0)  # keeping up is not draining
    slow = incidents.filter((pl.col("time_to_drain_s") > limit) & behind).sort(
        "time_to_drain_s", descending=True
    )
    return [
        (
            "warning",
            f"{r['group']} needs {units.duration(r['time_to_drain_s'])} to drain its "
            f"{units.count(r['totallag'])} "
            f"messages of lag at its current consume rate (more than the critical {units.duration(limit)}).",
        )
        for r in slow.head(top_n).to_dicts()
    ]


def flag_findings(analysis: LagAnalysis, incidents: pl.DataFrame) -> list[Finding]:
    """At each group's newest snapshot: committed above the log end (will be reset), and
    partitions never committed. (Below the log start: :func:`retention_losses`.)"""
    return flag_sentences(*flag_rows(analysis, incidents))


def flag_rows(analysis: LagAnalysis, incidents: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """At each group's newest snapshot: the (group, topic, partition) rows committed above the log
    end, and per group the number of partitions never committed (group, len)."""
    parts = analysis.partitions
    empty = pl.DataFrame(schema={"group": pl.String, "topic": pl.String, "partition": pl.Int32})
    never = pl.DataFrame(schema={"group": pl.String, "len": pl.UInt32})
    if "ahead_of_log_end" not in parts.columns or incidents.is_empty():
        return empty, never
    latest = parts.join(
        incidents.select("group", "as_of"), left_on=["group", "ts"], right_on=["group", "as_of"]
    )
    ahead = latest.filter(pl.col("ahead_of_log_end").fill_null(False)).select(empty.columns)
    never = latest.filter(pl.col("committed_offset").is_null()).group_by("group").len()
    return ahead.sort(empty.columns), never.sort("group")


def flag_sentences(ahead: pl.DataFrame, never: pl.DataFrame) -> list[Finding]:
    """The sentences of :func:`flag_findings` from :func:`flag_rows` (of one or many pieces)."""
    out = []
    for (group,), rows in ahead.sort("group", "topic", "partition").group_by(["group"], maintain_order=True):
        where = ", ".join(f"{t} partition {p}" for t, p in rows.select("topic", "partition").head(5).rows())
        out.append(
            (
                "critical",
                f"{group} committed above the log end on {rows.height} partition(s) ({where}): the topic was "
                "recreated or truncated; its consumers will be reset by auto.offset.reset.",
            )
        )
    if never.height:
        names = ", ".join(f"{g} ({n})" for g, n in never.sort("group").rows())
        out.append(("info", f"Partitions never committed (not counted as lag 0), by group: {names}."))
    return out


def source_finding(analysis: LagAnalysis) -> Finding:
    """Where Burrow's status came from: commits read from ``__consumer_offsets``, commits
    estimated from the snapshots, or the snapshots themselves (lag at each snapshot)."""
    return source_sentence(source_counts(analysis))


def source_counts(analysis: LagAnalysis) -> dict[str, int]:
    """Groups per status source (``commits``, ``estimated``, ``snapshots``) and ``total``."""
    gs = analysis.group_status
    groups = gs.select("group", "status_source").unique() if "status_source" in gs.columns else None
    counts: dict[str, int] = {} if groups is None else dict(groups.group_by("status_source").len().rows())
    return counts | {"total": gs["group"].n_unique()}


def source_sentence(counts: dict[str, int]) -> Finding:
    """The sentence of :func:`source_finding` from :func:`source_counts` (of one window or summed
    over pieces)."""
    total = counts.get("total", 0)
    said = {
        "commits": "from their offset commits read from __consumer_offsets, with the lag at each commit "
        "from the log-end history",
        "estimated": "from commits estimated from the offsets snapshots (no commit history in the data "
        "directory: each change of committed offset timed halfway between two snapshots, the lag at it "
        "from the log-end history; a re-commit of an unchanged offset is not seen)",
        "snapshots": "from the offsets snapshots, judging the lag at each snapshot",
    }
    parts = [f"{counts[k]} of {total} groups {said[k]}" for k in said if counts.get(k)]
    if not counts.get("commits") and not counts.get("estimated"):
        parts = [f"all {total} groups {said['snapshots']}"]
    hint = (
        ""
        if counts.get("commits")
        else " `workbench collect commits` reads every commit from __consumer_offsets where it is readable."
    )
    return "info", f"Burrow status: {'; '.join(parts)}.{hint}"


def retention_losses(analysis: LagAnalysis, incidents: pl.DataFrame) -> dict[str, int]:
    """Per group at its newest snapshot: messages retention deleted before the group read them
    (``lost_messages``; only groups with a loss)."""
    parts = analysis.partitions
    if "lost_messages" not in parts.columns:
        return {}
    latest = parts.join(
        incidents.select("group", "as_of"), left_on=["group", "ts"], right_on=["group", "as_of"]
    )
    lost = latest.group_by("group").agg(pl.col("lost_messages").sum()).filter(pl.col("lost_messages") > 0)
    return dict(lost.iter_rows())


def level_finding(incidents: pl.DataFrame, classes: pl.DataFrame, levels: LagLevels) -> Finding:
    """``"2 of 20 groups are critical and 1 warning at ..., judged by time lag (...) and Burrow
    status: a: Burrow ERR (stopped) and 3 d behind (critical from 10 min); ... The other 17 are
    at most 27 s behind."``."""
    flagged = classes.filter(pl.col("level") != "ok")
    crit = classes.filter(pl.col("level") == "critical").height
    warn = flagged.height - crit
    as_of = incidents["as_of"].max()
    names = "; ".join(f"{g}: {' and '.join(r)}" for g, r in flagged.select("group", "reasons").iter_rows())
    text = (
        f"{crit} of {incidents.height} groups are critical and {warn} warning at "
        f"{units.instant(as_of)}, judged by {levels.describe()}"  # type: ignore[arg-type]
    )
    text += f": {names}" if names else ""
    ok = incidents.join(classes.filter(pl.col("level") == "ok"), on="group")
    if ok.height:
        worst = ok["max_time_lag_s"].max()
        behind = f"at most {units.duration(worst)} behind" if worst is not None else "of unknown time lag"  # type: ignore[arg-type]
        text += f". The other {ok.height} {'is' if ok.height == 1 else 'are'} {behind}"
    level = "critical" if crit else "warning" if warn else "ok"
    return level, text + "."


def behind_findings(incidents: pl.DataFrame, classes: pl.DataFrame, limit: int) -> list[Finding]:
    """Groups flagged by time lag, offset lag or Burrow WARN (not ERR: :func:`error_finding` covers
    those): how far behind, which criterion fired, the trend and the time to drain."""
    flagged = incidents.join(classes, on="group").filter(
        (pl.col("level") != "ok") & (pl.col("status") != "ERR")
    )
    out = []
    for row in flagged.head(limit).iter_rows(named=True):
        text = (
            f"{row['group']} is {row['level']}: {' and '.join(row['reasons'])}, with "
            f"{units.count(row['totallag'])} messages of lag; {_growth(row['lag_growth_rate_since'])} and "
            f"{_drain(row['time_to_drain_s'])}."
        )
        out.append((row["level"], text))
    return out


def current_partition_status(analysis: LagAnalysis, incidents: pl.DataFrame) -> dict[str, str]:
    """For each group in ERR: its most severe partition status (STOP, STALL or REWIND) right now."""
    err = incidents.filter(pl.col("status") == "ERR").select("group", "as_of")
    if err.is_empty():
        return {}
    ps = analysis.partition_status.join(err, left_on=["group", "ts"], right_on=["group", "as_of"])
    sev = pl.col("status").replace_strict(PARTITION_SEVERITY, default=0, return_dtype=pl.Int8)
    worst = ps.group_by("group").agg(pl.col("status").sort_by(sev).last())
    return dict(worst.iter_rows())


def error_finding(
    row: dict[str, Any],
    partition_status: str,
    window_start: dt.datetime | None = None,
    start_label: str = "the start of the window",
) -> Finding:
    """``"orders-svc has been stalled since 14:05 on 4 partitions; its lag grows by 120 msg/s ..."``."""
    verb = STATUS_VERBS.get(partition_status, "in error")
    parts = row["error_partitions"] or 0
    since = f"{units.instant(row['since'], row['as_of'])} ({units.duration(row['status_duration_s'])})"
    if window_start is not None and row["since"] <= window_start:
        start = units.instant(row["since"])
        since = f"at least {start}, {start_label} ({units.duration(row['status_duration_s'])})"
    text = (
        f"{row['group']} has been {verb} since {since} on {parts} partition{'s' if parts != 1 else ''}; "
        f"{_growth(row['lag_growth_rate_since'])}, it is {units.duration(row['max_time_lag_s'])} behind with "
        f"{units.count(row['totallag'])} messages of lag (most on {row['maxlag_topic']} partition "
        f"{row['maxlag_partition']}), and {_drain(row['time_to_drain_s'])}."
    )
    return "critical", text


def _growth(rate: float | None) -> str:
    if rate is None:
        return "its lag trend is unknown"
    if rate >= 0.05:
        return f"its lag grows by {units.rate(rate)}"
    if rate <= -0.05:
        return f"its lag shrinks by {units.rate(-rate)}"
    return "its lag is flat"


def _drain(seconds: float | None) -> str:
    if seconds is None:
        return "at the current rates it will not catch up"
    if seconds == 0:
        return "it has nothing left to read"
    return f"at the current rates it catches up in {units.duration(seconds)}"


def recovered_findings(
    analysis: LagAnalysis, incidents: pl.DataFrame, limit: int, min_seconds: float = 300
) -> list[Finding]:
    """Groups not in ERR now that were in ERR during the window for at least ``min_seconds``."""
    return recovered_from(error_runs(analysis.group_status), incidents, limit, min_seconds)


def recovered_from(
    runs: pl.DataFrame, incidents: pl.DataFrame, limit: int, min_seconds: float = 300
) -> list[Finding]:
    """:func:`recovered_findings` from the ERR stretches (:func:`error_runs`) of one or many pieces."""
    now_err = incidents.filter(pl.col("status") == "ERR")["group"].to_list()
    runs = runs.filter(~pl.col("group").is_in(now_err) & (pl.col("seconds") >= min_seconds))
    return [("info", _recovered_sentence(row)) for row in runs.head(limit).iter_rows(named=True)]


def _recovered_sentence(row: dict[str, Any]) -> str:
    return (
        f"{row['group']} was in ERR from {units.instant(row['start'])} to {units.instant(row['end'])} "
        f"({units.duration(row['seconds'])}, peak lag {units.count(row['peak_lag'])} messages) "
        "and has recovered."
    )


def error_runs(group_status: pl.DataFrame) -> pl.DataFrame:
    """Each continuous stretch of ERR per group: start, end, seconds, peak lag; longest first."""
    status = pl.col("status")
    if "evaluated" in group_status.columns:  # a window not yet full is no verdict
        status = pl.when("evaluated").then(status).otherwise(pl.lit(NOT_EVALUATED))
    runs = group_status.sort("group", "ts").with_columns(status, _run=status.rle_id().over("group"))
    return (
        runs.filter(pl.col("status") == "ERR")
        .group_by("group", "_run")
        .agg(start=pl.col("ts").min(), end=pl.col("ts").max(), peak_lag=pl.col("totallag").max())
        .with_columns(seconds=(pl.col("end") - pl.col("start")).dt.total_seconds())
        .sort(["seconds", "group"], descending=[True, False])
        .drop("_run")
    )


# -- frames for the charts and tables ------------------------------------------------------------


def worst_partition_status(partition_status: FrameT, by: Sequence[str] = ("group", "ts")) -> FrameT:
    """Per (group, ts), sorted: the most severe partition status (``detail``); of several frames'
    results concatenated, it gives the worst again. ``by``: the keys (without a key column that
    holds one value, grouping is cheaper)."""
    names = partition_status.collect_schema().names()
    if "detail" not in names and "status_code" in names:  # by the numeric code: no string compared
        key = pl.col("status_code").replace_strict(_SEVERITY_KEY, default=0, return_dtype=pl.Int8)
        worst = pl.col("_key").replace_strict(_KEY_STATUS, default=None, return_dtype=pl.String)
        return partition_status.group_by(by).agg(_key=key.max()).select(*by, detail=worst).sort(by)
    col = "detail" if "detail" in names else "status"
    sev = pl.col(col).replace_strict(PARTITION_SEVERITY, default=0, return_dtype=pl.Int8)
    worst = pl.col("_sev").replace_strict(_SEVERITY_STATUS, default=None, return_dtype=pl.String)
    return (
        partition_status.group_by(by)
        .agg(_sev=sev.max(), _other=pl.col(col).last())  # _other: no known status at that snapshot
        .select(*by, detail=pl.when(pl.col("_sev") > 0).then(worst).otherwise("_other"))
        .sort(by)
    )


_SEVERITY_STATUS = {v: k for k, v in PARTITION_SEVERITY.items()}
#: Burrow's status code -> a key ordered by severity, then code (the code stays in its low bits).
_SEVERITY_KEY = {code: PARTITION_SEVERITY.get(name, 0) * 8 + code for name, code in STATUS_CODES.items()}
_KEY_STATUS = {_SEVERITY_KEY[code]: name for name, code in STATUS_CODES.items()}


def status_frame(analysis: LagAnalysis, worst: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per (ts, group): the Burrow group status, with ERR refined to the worst partition status
    (STOP, STALL, REWIND) so the timeline tells a stop from a stall, and :data:`NOT_EVALUATED`
    where the group's window was not yet full (``group_status.evaluated``, see :func:`trim_to_window`).
    ``worst``: :func:`worst_partition_status` already computed (else from ``partition_status``)."""
    if worst is None:
        worst = worst_partition_status(analysis.partition_status)
    gs = analysis.group_status
    evaluated = pl.col("evaluated") if "evaluated" in gs.columns else pl.lit(True)
    gs = gs.select("group", "ts", "status", _evaluated=evaluated).join(worst, on=["group", "ts"], how="left")
    refined = pl.when((pl.col("status") == "ERR") & pl.col("detail").is_in(["STOP", "STALL", "REWIND"]))
    status = refined.then(pl.col("detail")).otherwise(pl.col("status"))
    status = pl.when("_evaluated").then(status).otherwise(pl.lit(NOT_EVALUATED))
    return gs.with_columns(status=status).drop("detail", "_evaluated")


def current_lag(incidents: pl.DataFrame) -> pl.DataFrame:
    """Per group now: ``group``, ``status``, ``lag`` (messages), ``time_lag_min`` (minutes),
    ``time_lag_s``, and
    the same two as words (``lag_text``, ``time_lag_text``) for bar labels."""
    frame = incidents.select(
        "group",
        "status",
        lag=pl.col("totallag"),
        time_lag_min=pl.col("max_time_lag_s") / 60.0,
        time_lag_s=pl.col("max_time_lag_s"),
    )
    return frame.with_columns(
        lag_text=pl.Series([units.count(v) for v in frame["lag"].to_list()], dtype=pl.String),
        time_lag_text=pl.Series(
            [units.duration(v) for v in incidents["max_time_lag_s"].to_list()], dtype=pl.String
        ),
    )


def groups_to_plot(incidents: pl.DataFrame, top_n: int) -> list[str]:
    """The ``top_n`` groups by current lag plus every group not OK now (worst first)."""
    by_lag = incidents.sort("totallag", descending=True, nulls_last=True)["group"].head(top_n).to_list()
    not_ok = incidents.filter(pl.col("status") == "ERR")["group"].to_list()
    return list(dict.fromkeys([*not_ok, *by_lag]))


def group_lag_series(analysis: LagAnalysis, groups: Sequence[str]) -> pl.DataFrame:
    """Per (ts, group) for ``groups``: ``lag`` (total) and ``time_lag_min``."""
    return analysis.groups.filter(pl.col("group").is_in(list(groups))).select(
        "ts", "group", lag=pl.col("total_lag"), time_lag_min=pl.col("max_time_lag_s") / 60.0
    )


def drain_table(incidents: pl.DataFrame, levels: LagLevels | None = None) -> pl.DataFrame:
    """Groups with lag now: status, lag, trend, time behind and time to drain, in words. With
    ``levels``, a group in Burrow OK that is less than ``warn_time_lag_s`` behind is "keeping up"
    (its lag goes up and down between commits; no drain time applies)."""
    rows = incidents.filter(pl.col("totallag").fill_null(0) > 0)
    trend = pl.col("lag_growth_rate_since")
    rows = rows.with_columns(_trend=pl.when(trend.abs() < 0.05).then(0.0).otherwise(trend.round(1)))
    keeping_up = [False] * rows.height
    if levels is not None and levels.warn_time_lag_s is not None:
        fine = (pl.col("status") == "OK") & (pl.col("max_time_lag_s") < levels.warn_time_lag_s)
        keeping_up = rows.select(fine.fill_null(False)).to_series().to_list()
    drain = [
        "keeping up" if up else _drain_cell(v)
        for up, v in zip(keeping_up, rows["time_to_drain_s"].to_list(), strict=True)
    ]
    return pl.DataFrame(
        {
            "group": rows["group"],
            "status": rows["status"],
            "lag (messages)": rows["totallag"],
            "lag trend (msg/s)": rows["_trend"],
            "behind by": [units.duration(v) for v in rows["max_time_lag_s"].to_list()],
            "time to drain": drain,
            "status since": [units.instant(v) for v in rows["since"].to_list()],
        },
        schema_overrides={"lag (messages)": pl.Int64, "lag trend (msg/s)": pl.Float64},
    )


def _drain_cell(seconds: float | None) -> str:
    return "not draining" if seconds is None else units.duration(seconds)


def consume_by_topic(analysis: LagAnalysis) -> pl.DataFrame:
    """Per (ts, topic, group): the group's consume rate on the topic (msg/s, Σ over partitions)."""
    return consume_sums(analysis.partitions)


def consume_sums(partitions: FrameT, by: Sequence[str] = ("ts", "topic", "group")) -> FrameT:
    """:func:`consume_by_topic` of partition rows (eager or lazy), sorted by topic, group, ts.
    ``by``: the keys (without a key column that holds one value, grouping is cheaper)."""
    order = [c for c in ("topic", "group", "ts") if c in by]
    return partitions.group_by(by).agg(pl.col("consume_rate").sum()).sort(order)


def partition_skew_frame(analysis: LagAnalysis, incidents: pl.DataFrame) -> pl.DataFrame:
    """Per (topic, partition): mean produce rate over the window and current lag over all groups."""
    parts = analysis.partitions
    produce = parts.group_by("topic", "partition").agg(produce_rate=pl.col("produce_rate").mean())
    latest = parts.join(
        incidents.select("group", "as_of"), left_on=["group", "ts"], right_on=["group", "as_of"]
    )
    lag = latest.group_by("topic", "partition").agg(lag=pl.col("lag").sum())
    return produce.join(lag, on=["topic", "partition"], how="left").sort("topic", "partition")
