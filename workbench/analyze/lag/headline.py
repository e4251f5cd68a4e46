"""The lag-trend report's headline sentences, from the facts of a whole window or of its pieces.

:class:`WindowFacts` is what the sentences need beyond the incident summary. It is small (per
group, not per snapshot), and the facts of pieces of whole groups add up to those of the whole
window (:func:`combine_facts`), so :func:`findings_from` writes the same text either way
(``docs/scale.md``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from workbench import units
from workbench.analyze.lag import findings as lf
from workbench.analyze.lag.analysis import LagAnalysis
from workbench.analyze.lag.levels import LagLevels, classify
from workbench.analyze.lag.recurring import (
    lag_spells,
    peak_time_lag,
    recurring_from,
    snapshot_levels,
    spell_days,
)
from workbench.analyze.lag.transactions import hanging_findings, held_findings
from workbench.analyze.lag.window import evaluated_start

Finding = lf.Finding


@dataclass(frozen=True)
class WindowFacts:
    """Per group: ERR detail now, retention losses, ERR stretches, lag spells and days, peak time
    lags, offset flags; plus where Burrow's verdicts start and where the status came from."""

    detail: dict[str, str]
    lost: dict[str, int]
    runs: pl.DataFrame
    spells: pl.DataFrame
    of_days: pl.DataFrame
    peaks: pl.DataFrame
    ahead: pl.DataFrame
    never: pl.DataFrame
    first: dt.datetime | None
    first_evaluated: dt.datetime | None
    pending: frozenset[dt.datetime]
    intervals: int
    sources: dict[str, int]


def window_facts(analysis: LagAnalysis, incidents: pl.DataFrame, levels: LagLevels) -> WindowFacts:
    """The :class:`WindowFacts` of an analysis (a whole window, or one piece of whole groups)."""

    def level_of(status: str | None, time_lag_s: float | None, lag: float | None) -> str:
        return classify(levels, status, time_lag_s, lag)[0]

    gs = analysis.group_status
    snaps = snapshot_levels(analysis.groups, gs, level_of)
    pending = gs.filter(~pl.col("evaluated")) if "evaluated" in gs.columns else gs.clear()
    ahead, never = lf.flag_rows(analysis, incidents)
    return WindowFacts(
        detail=lf.current_partition_status(analysis, incidents),
        lost=lf.retention_losses(analysis, incidents),
        runs=lf.error_runs(gs),
        spells=lag_spells(snaps),
        of_days=spell_days(snaps),
        peaks=_by_peak(peak_time_lag(snaps.filter(pl.col("level") != "ok"))),
        ahead=ahead,
        never=never,
        first=gs["ts"].min(),  # type: ignore[arg-type]
        first_evaluated=evaluated_start(analysis),
        pending=frozenset(pending["ts"].unique().to_list()),
        intervals=analysis.config.intervals,
        sources=lf.source_counts(analysis),
    )


def _by_peak(peaks: pl.DataFrame) -> pl.DataFrame:
    return peaks.sort(["peak_time_lag_s", "group"], descending=[True, False])


def combine_facts(parts: Sequence[WindowFacts]) -> WindowFacts:
    """The facts of pieces of whole groups (no group in two pieces) as one window's facts."""

    def cat(name: str) -> pl.DataFrame:
        frames: list[pl.DataFrame] = [getattr(p, name) for p in parts]
        return pl.concat(frames, how="vertical_relaxed")

    firsts = [p.first for p in parts if p.first is not None]
    oks = [p.first_evaluated for p in parts if p.first_evaluated is not None]
    return WindowFacts(
        detail={k: v for p in parts for k, v in p.detail.items()},
        lost={k: v for p in parts for k, v in p.lost.items()},
        runs=cat("runs").sort(["seconds", "group"], descending=[True, False]),
        spells=cat("spells").sort("group", "start"),
        of_days=cat("of_days").sort("group"),
        peaks=_by_peak(cat("peaks")),
        ahead=cat("ahead"),
        never=cat("never"),
        first=min(firsts, default=None),
        first_evaluated=min(oks, default=None),
        pending=frozenset().union(*(p.pending for p in parts)),
        intervals=parts[0].intervals if parts else 0,
        sources={k: sum(p.sources.get(k, 0) for p in parts) for p in parts for k in p.sources},
    )


def headline_findings(
    analysis: LagAnalysis,
    incidents: pl.DataFrame,
    levels: LagLevels,
    top_n: int = 10,
    hanging: pl.DataFrame | None = None,
    held: pl.DataFrame | None = None,
) -> list[Finding]:
    """:func:`findings_from` the facts of a whole-window analysis."""
    return findings_from(window_facts(analysis, incidents, levels), incidents, levels, top_n, hanging, held)


def findings_from(
    facts: WindowFacts,
    incidents: pl.DataFrame,
    levels: LagLevels,
    top_n: int = 10,
    hanging: pl.DataFrame | None = None,
    held: pl.DataFrame | None = None,
) -> list[Finding]:
    """(level, sentence) pairs, most important first: the classification (which criterion fired
    for which group), every group in ERR, the other groups behind or in WARN, trouble over the
    window, groups that were in ERR and recovered, snapshots not evaluated, the status source."""
    if incidents.is_empty():
        return [("info", "No consumer-group offsets in the window: nothing to report.")]
    classes = lf.classify_groups(incidents, levels, facts.detail)
    findings = [lf.level_finding(incidents, classes, levels)]
    errors = incidents.filter(pl.col("status") == "ERR")
    start = facts.first_evaluated
    label = "the start of the window" if start == facts.first else "its first verdict"
    for row in errors.head(top_n).iter_rows(named=True):
        level, text = lf.error_finding(row, facts.detail.get(row["group"], "ERR"), start, label)
        if facts.lost.get(row["group"]):
            text += (
                f" Retention has already deleted {units.count(facts.lost[row['group']])} messages it "
                "never read (not counted in its lag)."
            )
        findings.append((level, text))
    if errors.height > top_n:
        findings.append(
            ("critical", f"{errors.height - top_n} more groups are in error (see the tables below).")
        )
    findings += lf.behind_findings(incidents, classes, top_n)
    findings += window_findings_from(facts, incidents, levels, top_n, hanging, held)
    findings += lf.recovered_from(facts.runs, incidents, top_n)
    if facts.pending and facts.first is not None:
        ok = facts.first_evaluated if facts.first_evaluated != facts.first else None
        findings.append(lf.unevaluated_sentence(facts.first, ok, len(facts.pending), facts.intervals))
    return [*findings, lf.source_sentence(facts.sources)]


def window_findings(
    analysis: LagAnalysis,
    incidents: pl.DataFrame,
    levels: LagLevels,
    top_n: int = 10,
    hanging: pl.DataFrame | None = None,
    held: pl.DataFrame | None = None,
) -> list[Finding]:
    """Over the whole window, not only its last snapshot: recurring lag spells, the peak time lag
    of the groups behind, drain times over the critical time lag, offset flags, hanging
    transactions and the groups waiting behind them (``held``: :func:`.transactions.held_groups`)."""
    facts = window_facts(analysis, incidents, levels)
    return window_findings_from(facts, incidents, levels, top_n, hanging, held)


def window_findings_from(
    facts: WindowFacts,
    incidents: pl.DataFrame,
    levels: LagLevels,
    top_n: int = 10,
    hanging: pl.DataFrame | None = None,
    held: pl.DataFrame | None = None,
) -> list[Finding]:
    """:func:`window_findings` from :class:`WindowFacts`."""
    out = recurring_from(facts.spells, facts.of_days, top_n)
    peaks = facts.peaks.head(top_n)
    if peaks.height:
        names = ", ".join(
            f"{r['group']} {units.duration(r['peak_time_lag_s'])} ({units.instant(r['peak_at'])})"
            for r in peaks.to_dicts()
        )
        out.append(("info", f"Peak time lag in the window of the groups that fell behind: {names}."))
    out += lf.drain_findings(incidents, levels, top_n)
    out += lf.flag_sentences(facts.ahead, facts.never)
    out += hanging_findings(hanging, top_n)
    out += held_findings(held, top_n)
    return out
