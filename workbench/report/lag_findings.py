"""The lag-trend report's headline sentences and the frames its charts and tables show.

Everything here is computed from a :class:`workbench.analyze.LagAnalysis` and its incident
summary (:func:`workbench.analyze.summarize_incidents`); the notebook only displays it. The
sentences are plain text (cluster ids unescaped): :func:`workbench.report.notebook.show_findings`
escapes them for display.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from workbench.analyze import LagAnalysis
from workbench.analyze.snapshot import LagThresholds
from workbench.report import humanize as hz

Finding = tuple[str, str]
_PARTITION_SEVERITY = {"OK": 1, "WARN": 2, "REWIND": 3, "STALL": 4, "STOP": 5}
_VERB = {"STOP": "stopped", "STALL": "stalled", "REWIND": "rewinding", "ERR": "in error"}
_MAX_NAMES = 5


def headline_findings(
    analysis: LagAnalysis, incidents: pl.DataFrame, thresholds: LagThresholds, top_n: int = 10
) -> list[Finding]:
    """(level, sentence) pairs, most important first: the threshold count, every group in ERR,
    the WARN groups, and groups that were in ERR during the window and recovered."""
    if incidents.is_empty():
        return [("info", "No consumer-group offsets in the window: nothing to report.")]
    findings = [threshold_finding(incidents, thresholds)]
    detail = current_partition_status(analysis, incidents)
    errors = incidents.filter(pl.col("status") == "ERR")
    start = analysis.group_status["ts"].min()
    for row in errors.head(top_n).iter_rows(named=True):
        findings.append(error_finding(row, detail.get(row["group"], "ERR"), start))
    if errors.height > top_n:
        findings.append(
            ("critical", f"{errors.height - top_n} more groups are in error (see the tables below).")
        )
    warn = warn_finding(incidents)
    if warn:
        findings.append(warn)
    findings += recovered_findings(analysis, incidents, top_n)
    return findings


def threshold_finding(incidents: pl.DataFrame, thresholds: LagThresholds) -> Finding:
    """``"3 of 21 groups are critical (≥ 10,000 messages of lag), 2 warning (≥ 1,000) ..."``."""
    lag = pl.col("totallag").fill_null(0)
    crit = incidents.filter(lag >= thresholds.crit).height
    warn = incidents.filter((lag >= thresholds.warn) & (lag < thresholds.crit)).height
    total = incidents.height
    as_of = incidents["as_of"].max()
    level = "critical" if crit else "warning" if warn else "ok"
    return level, (
        f"{crit} of {total} groups are critical (at least {thresholds.crit:,} messages of lag) and {warn} "
        f"warning (at least {thresholds.warn:,}) at {hz.instant(as_of)}; "  # type: ignore[arg-type]
        f"{_are(_count_status(incidents, 'ERR'))} in Burrow status ERR "
        f"and {_count_status(incidents, 'WARN')} in WARN."
    )


def _are(n: int) -> str:
    return f"{n} is" if n == 1 else f"{n} are"


def _count_status(incidents: pl.DataFrame, status: str) -> int:
    return incidents.filter(pl.col("status") == status).height


def current_partition_status(analysis: LagAnalysis, incidents: pl.DataFrame) -> dict[str, str]:
    """For each group in ERR: its most severe partition status (STOP, STALL or REWIND) right now."""
    err = incidents.filter(pl.col("status") == "ERR").select("group", "as_of")
    if err.is_empty():
        return {}
    ps = analysis.partition_status.join(err, left_on=["group", "ts"], right_on=["group", "as_of"])
    sev = pl.col("status").replace_strict(_PARTITION_SEVERITY, default=0, return_dtype=pl.Int8)
    worst = ps.group_by("group").agg(pl.col("status").sort_by(sev).last())
    return dict(worst.iter_rows())


def error_finding(row: dict, partition_status: str, window_start: dt.datetime | None = None) -> Finding:
    """``"orders-svc has been stalled since 14:05 on 4 partitions; its lag grows by 120 msg/s ..."``."""
    verb = _VERB.get(partition_status, "in error")
    parts = row["error_partitions"] or 0
    since = f"{hz.instant(row['since'], row['as_of'])} ({hz.duration(row['status_duration_s'])})"
    if window_start is not None and row["since"] <= window_start:
        start = hz.instant(row["since"])
        since = f"at least {start}, the start of the window ({hz.duration(row['status_duration_s'])})"
    text = (
        f"{row['group']} has been {verb} since {since} on {parts} partition{'s' if parts != 1 else ''}; "
        f"{_growth(row['lag_growth_rate_since'])}, it is {hz.duration(row['max_time_lag_s'])} behind with "
        f"{hz.count(row['totallag'])} messages of lag (most on {row['maxlag_topic']} partition "
        f"{row['maxlag_partition']}), and {_drain(row['time_to_drain_s'])}."
    )
    return "critical", text


def _growth(rate: float | None) -> str:
    if rate is None:
        return "its lag trend is unknown"
    if rate >= 0.05:
        return f"its lag grows by {hz.rate(rate)}"
    if rate <= -0.05:
        return f"its lag shrinks by {hz.rate(-rate)}"
    return "its lag is flat"


def _drain(seconds: float | None) -> str:
    if seconds is None:
        return "at the current rates it will not catch up"
    if seconds == 0:
        return "it has nothing left to read"
    return f"at the current rates it catches up in {hz.duration(seconds)}"


def warn_finding(incidents: pl.DataFrame) -> Finding | None:
    """``"4 groups are WARN (lag not decreasing over the window): a, b, c, d."``."""
    warn = incidents.filter(pl.col("status") == "WARN")["group"].to_list()
    if not warn:
        return None
    names = ", ".join(warn[:_MAX_NAMES]) + (
        f" and {len(warn) - _MAX_NAMES} more" if len(warn) > _MAX_NAMES else ""
    )
    noun = "group is" if len(warn) == 1 else "groups are"
    return "warning", f"{len(warn)} {noun} in WARN (lag not decreasing over Burrow's window): {names}."


def recovered_findings(
    analysis: LagAnalysis, incidents: pl.DataFrame, limit: int, min_seconds: float = 300
) -> list[Finding]:
    """Groups not in ERR now that were in ERR during the window for at least ``min_seconds``."""
    now_err = incidents.filter(pl.col("status") == "ERR")["group"].to_list()
    runs = error_runs(analysis.group_status).filter(
        ~pl.col("group").is_in(now_err) & (pl.col("seconds") >= min_seconds)
    )
    return [("info", _recovered_sentence(row)) for row in runs.head(limit).iter_rows(named=True)]


def _recovered_sentence(row: dict) -> str:
    return (
        f"{row['group']} was in ERR from {hz.instant(row['start'])} to {hz.instant(row['end'])} "
        f"({hz.duration(row['seconds'])}, peak lag {hz.count(row['peak_lag'])} messages) and has recovered."
    )


def error_runs(group_status: pl.DataFrame) -> pl.DataFrame:
    """Each continuous stretch of ERR per group: start, end, seconds, peak lag; longest first."""
    runs = group_status.sort("group", "ts").with_columns(_run=pl.col("status").rle_id().over("group"))
    return (
        runs.filter(pl.col("status") == "ERR")
        .group_by("group", "_run")
        .agg(start=pl.col("ts").min(), end=pl.col("ts").max(), peak_lag=pl.col("totallag").max())
        .with_columns(seconds=(pl.col("end") - pl.col("start")).dt.total_seconds())
        .sort(["seconds", "group"], descending=[True, False])
        .drop("_run")
    )


# -- frames for the charts and tables ------------------------------------------------------------


def status_frame(analysis: LagAnalysis) -> pl.DataFrame:
    """Per (ts, group): the Burrow group status, with ERR refined to the worst partition status
    (STOP, STALL, REWIND) so the timeline tells a stop from a stall."""
    sev = pl.col("status").replace_strict(_PARTITION_SEVERITY, default=0, return_dtype=pl.Int8)
    worst = analysis.partition_status.group_by("group", "ts").agg(detail=pl.col("status").sort_by(sev).last())
    gs = analysis.group_status.select("group", "ts", "status").join(worst, on=["group", "ts"], how="left")
    refined = pl.when((pl.col("status") == "ERR") & pl.col("detail").is_in(["STOP", "STALL", "REWIND"]))
    return gs.with_columns(status=refined.then(pl.col("detail")).otherwise(pl.col("status"))).drop("detail")


def current_lag(incidents: pl.DataFrame) -> pl.DataFrame:
    """Per group now: ``group``, ``status``, ``lag`` (messages), ``time_lag_min`` (minutes), and
    the same two as words (``lag_text``, ``time_lag_text``) for bar labels."""
    frame = incidents.select(
        "group", "status", lag=pl.col("totallag"), time_lag_min=pl.col("max_time_lag_s") / 60.0
    )
    return frame.with_columns(
        lag_text=pl.Series([hz.count(v) for v in frame["lag"].to_list()], dtype=pl.String),
        time_lag_text=pl.Series(
            [hz.duration(v) for v in incidents["max_time_lag_s"].to_list()], dtype=pl.String
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


def drain_table(incidents: pl.DataFrame) -> pl.DataFrame:
    """Groups with lag now: status, lag, trend, time behind and time to drain, in words."""
    rows = incidents.filter(pl.col("totallag").fill_null(0) > 0)
    return pl.DataFrame(
        {
            "group": rows["group"],
            "status": rows["status"],
            "lag (messages)": rows["totallag"],
            "lag trend (msg/s)": rows["lag_growth_rate_since"].round(1) + 0.0,
            "behind by": [hz.duration(v) for v in rows["max_time_lag_s"].to_list()],
            "time to drain": [_drain_cell(v) for v in rows["time_to_drain_s"].to_list()],
            "status since": [hz.instant(v) for v in rows["since"].to_list()],
        },
        schema_overrides={"lag (messages)": pl.Int64, "lag trend (msg/s)": pl.Float64},
    )


def _drain_cell(seconds: float | None) -> str:
    return "not draining" if seconds is None else hz.duration(seconds)


def consume_by_topic(analysis: LagAnalysis) -> pl.DataFrame:
    """Per (ts, topic, group): the group's consume rate on the topic (msg/s, Σ over partitions)."""
    return analysis.partitions.group_by("ts", "topic", "group").agg(pl.col("consume_rate").sum())


def partition_skew_frame(analysis: LagAnalysis, incidents: pl.DataFrame) -> pl.DataFrame:
    """Per (topic, partition): mean produce rate over the window and current lag over all groups."""
    parts = analysis.partitions
    produce = parts.group_by("topic", "partition").agg(produce_rate=pl.col("produce_rate").mean())
    latest = parts.join(
        incidents.select("group", "as_of"), left_on=["group", "ts"], right_on=["group", "as_of"]
    )
    lag = latest.group_by("topic", "partition").agg(lag=pl.col("lag").sum())
    return produce.join(lag, on=["topic", "partition"], how="left").sort("topic", "partition")
