"""The lag-trend report's window: Burrow's rules evaluated with warm-up history, then trimmed.

Burrow judges the last ``intervals`` commits of each partition. At the first snapshot of a bare
window the rules see a single commit (and say STALL), so the window is loaded with ``intervals``
snapshots before it (:func:`workbench.frames.lag.load_lag_window`); :func:`analyze_window`
evaluates and trims them away again. Where the
stored history begins too late for that, :func:`trim_to_window` marks the snapshots with too
little history as not evaluated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import polars as pl

from workbench.analyze.burrow.commits import commits_from_snapshots, with_commit_status
from workbench.analyze.burrow.rules import BurrowConfig
from workbench.analyze.lag.analysis import LagAnalysis, analyze_lag, summarize_incidents

#: The timeline's label for snapshots whose Burrow window was not yet full (history too short).
NOT_EVALUATED = "not evaluated"
#: The timeline's statuses, least to most severe (a time bucket shows its worst).
TIMELINE_ORDER: tuple[str, ...] = (NOT_EVALUATED, "NOTFOUND", "OK", "WARN", "REWIND", "STALL", "STOP", "ERR")

#: Without a commit history, commits are estimated from the snapshots up to this many partition
#: evaluations (Burrow's ring on commits is a Python loop: 260,928 take 34 s); beyond, the
#: vectorized snapshot path judges the lag at each snapshot (docs/burrow-status.md).
ESTIMATE_LIMIT = 20_000


@dataclass(frozen=True)
class LagWindow:
    """An analysis of the window shown, evaluated with warm-up history before it."""

    offsets: pl.DataFrame
    """The offsets of the window shown (no warm-up rows)."""
    analysis: LagAnalysis
    """Every frame trimmed to the window shown; ``group_status`` has a boolean ``evaluated``."""
    shown_from: dt.datetime | None
    """The window's first instant (None: the whole stored history)."""


def analyze_window(
    offsets: pl.DataFrame,
    log_ends: pl.DataFrame | None,
    shown_from: dt.datetime | None,
    config: BurrowConfig,
    commits: pl.DataFrame | None = None,
    estimate_limit: int = ESTIMATE_LIMIT,
) -> LagWindow:
    """Analyze the window plus its warm-up (from :func:`workbench.frames.lag.load_lag_window`),
    then trim to the window shown.

    Burrow's rules judge the last ``intervals`` commits: at the first snapshot of a bare window they
    see a single commit and say STALL. With the warm-up every snapshot shown is judged on a full
    window; where the stored history begins later than that, :func:`trim_to_window` marks the
    snapshots with too little history as not evaluated. With ``commits`` (and log ends), groups
    that have commits take Burrow's status from them (``group_status.status_source``); without,
    commits estimated from the snapshots (lag at each from the log-end history) up to
    ``estimate_limit`` partition evaluations (``status_source`` ``estimated``).
    """
    analysis = analyze_lag(offsets, log_ends, config)
    source = "commits"
    if log_ends is None:
        commits = None
    elif commits is None and 0 < analysis.partition_status.height <= estimate_limit:
        commits, source = commits_from_snapshots(offsets), "estimated"
    ps, gs = with_commit_status(
        analysis.partition_status,
        analysis.group_status,
        commits if commits is not None else pl.DataFrame(schema={"group": pl.String}),
        log_ends if log_ends is not None else pl.DataFrame(),
        config,
        source=source,
    )
    analysis = dataclasses.replace(analysis, partition_status=ps, group_status=gs)
    shown = offsets if shown_from is None else offsets.filter(pl.col("ts") >= shown_from)
    return LagWindow(shown, trim_to_window(analysis, shown_from), shown_from)


def trim_to_window(analysis: LagAnalysis, shown_from: dt.datetime | None) -> LagAnalysis:
    """``analysis`` without the snapshots before ``shown_from``, and with ``group_status.evaluated``:
    False where the group had fewer than ``intervals`` snapshots of history (its window not full)."""
    gkeys = [c for c in ("cluster", "group") if c in analysis.group_status.columns]
    rank = pl.int_range(pl.len()).over(gkeys)
    gs = analysis.group_status.sort([*gkeys, "ts"]).with_columns(
        evaluated=rank >= analysis.config.intervals - 1
    )
    analysis = dataclasses.replace(analysis, group_status=gs)
    if shown_from is None:
        return analysis
    keep = pl.col("ts") >= shown_from
    frames = ("partitions", "members", "groups", "topics", "partition_status", "group_status")
    return dataclasses.replace(analysis, **{f: getattr(analysis, f).filter(keep) for f in frames})


def summarize_window(analysis: LagAnalysis) -> pl.DataFrame:
    """:func:`workbench.analyze.summarize_incidents` over the evaluated snapshots, so a status's
    ``since`` never starts inside the unevaluated stretch (a group with no evaluated snapshot keeps
    all of them)."""
    gs = analysis.group_status
    if "evaluated" in gs.columns:
        gkeys = [c for c in ("cluster", "group") if c in gs.columns]
        gs = gs.filter(pl.col("evaluated") | ~pl.col("evaluated").any().over(gkeys))
    return summarize_incidents(dataclasses.replace(analysis, group_status=gs))


def evaluated_start(analysis: LagAnalysis) -> dt.datetime | None:
    """The first snapshot with an evaluated Burrow status (the window's start after a warm-up)."""
    gs = analysis.group_status
    if "evaluated" in gs.columns and gs["evaluated"].any():
        gs = gs.filter(pl.col("evaluated"))
    return gs["ts"].min()  # type: ignore[return-value]
