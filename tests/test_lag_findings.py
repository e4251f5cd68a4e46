"""The lag-trend report's logic: warm-up and trimming (report/lag_window.py), classification by
time lag and Burrow status, and the headline sentences (report/lag_findings.py).

The sample-based checks read the 7-day sample history (``sample_dir`` in conftest: the shipped
data/sample, which test_simulate proves equal to a fresh simulation; data/README.md documents its
incidents): 2026-11-13T00:00Z .. 2026-11-19T23:55Z, 5-minute snapshots.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from workbench import units
from workbench.analyze import BurrowConfig, analyze_lag, lag
from workbench.analyze.lag import NOT_EVALUATED, LagWindow, summarize_window
from workbench.errors import ConfigError
from workbench.frames import load_offsets, warmup_start
from workbench.frames.lag import load_lag_window

UTC = dt.UTC
CONFIG = BurrowConfig()


@pytest.fixture(scope="module")
def whole(sample_dir: Path) -> LagWindow:
    """The whole stored history: no warm-up possible."""
    return analyze_window(sample_dir, None, None, None, None, None)


@pytest.fixture(scope="module")
def last2d(sample_dir: Path) -> LagWindow:
    return analyze_window(sample_dir, None, "2d", None, None, None)


# -- warm-up and trimming -----------------------------------------------------------------------
def test_warmup_starts_intervals_snapshots_before_the_window(sample_dir: Path) -> None:
    load_from, shown_from = warmup_start(sample_dir, None, "2d", 10)
    assert shown_from == dt.datetime(2026, 11, 17, 23, 55, tzinfo=UTC)
    assert load_from == shown_from - dt.timedelta(minutes=50)
    # the history starts 5 snapshots before this window: the warm-up takes what there is
    early = dt.datetime(2026, 11, 13, 0, 25, tzinfo=UTC)
    assert warmup_start(sample_dir, None, early, 10) == (dt.datetime(2026, 11, 13, tzinfo=UTC), early)
    assert warmup_start(sample_dir, None, None, 10) == (None, None)


def test_window_shows_only_the_window_but_judges_it_with_warmup(last2d: LagWindow) -> None:
    start = last2d.shown_from
    analysis = last2d.analysis
    for name in ("partitions", "groups", "topics", "partition_status", "group_status"):
        assert getattr(analysis, name)["ts"].min() == start, name
    assert last2d.offsets["ts"].min() == start
    assert analysis.group_status["evaluated"].all()
    first = lag.status_frame(analysis).filter(pl.col("ts") == start)
    # a bare window would say STALL (one commit) for every group with lag at its first snapshot
    assert set(first.filter(pl.col("status") != "OK")["group"]) == {
        "legacy-billing-export",
        "notifications-sender",
    }


def test_warmup_gives_the_verdicts_of_the_whole_history(whole: LagWindow, last2d: LagWindow) -> None:
    keys = ["group", "ts"]
    full = whole.analysis.group_status.filter(pl.col("ts") >= last2d.shown_from).select(*keys, "status")
    part = last2d.analysis.group_status.select(*keys, "status")
    assert part.sort(keys).equals(full.sort(keys))


def test_start_of_history_is_not_evaluated(whole: LagWindow) -> None:
    frame = lag.status_frame(whole.analysis)
    pending = frame.filter(pl.col("status") == NOT_EVALUATED)
    assert pending["ts"].max() == dt.datetime(2026, 11, 13, 0, 40, tzinfo=UTC)  # 9 snapshots, every group
    assert pending.height == 9 * frame["group"].n_unique()
    assert frame.filter(pl.col("ts") > pending["ts"].max())["status"].is_in([NOT_EVALUATED]).sum() == 0
    runs = lag.error_runs(whole.analysis.group_status)
    assert runs["start"].min() >= dt.datetime(2026, 11, 13, 0, 45, tzinfo=UTC)
    level, text = lag.unevaluated_finding(whole.analysis)  # type: ignore[misc]
    assert level == "info" and "not evaluated before Nov 13 00:45 UTC (9 snapshots" in text
    assert "needs" not in text and "need 10 commits" in text


def test_trimmed_window_has_no_unevaluated_finding(last2d: LagWindow) -> None:
    assert lag.unevaluated_finding(last2d.analysis) is None


def test_status_frame_without_evaluated_column_is_unchanged(sample_dir: Path) -> None:
    offsets = load_offsets(sample_dir, since="6h")
    frame = lag.status_frame(analyze_lag(offsets))
    assert NOT_EVALUATED not in frame["status"].to_list()


# -- classification -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"warn_time_lag_s": -1}, "warn_time_lag_s must be >= 0"),
        ({"warn_time_lag_s": 700}, r"warn_time_lag_s \(700\) must not exceed crit_time_lag_s \(600\)"),
        ({"warn_lag": 20, "crit_lag": 10}, r"warn_lag \(20\) must not exceed crit_lag"),
        ({"crit_lag": "lots"}, "crit_lag must be a number or None"),
    ],
)
def test_levels_reject_bad_thresholds(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        lag.LagLevels(**kwargs)


def test_levels_accept_text_and_none() -> None:
    levels = lag.LagLevels("30", None, None, "5000")
    assert (levels.warn_time_lag_s, levels.crit_time_lag_s, levels.crit_lag) == (30.0, None, 5000.0)
    assert levels.describe() == (
        "time lag (warning at 30 s behind), Burrow status and offset lag (critical at 5,000 messages)"
    )
    assert (
        lag.LagLevels().describe()
        == "time lag (warning at 1 min, critical at 10 min behind) and Burrow status"
    )


def _row(group: str, status: str, behind: float | None, lag: int | None) -> dict:
    return {"group": group, "status": status, "max_time_lag_s": behind, "totallag": lag}


BY_COUNT = {"warn_lag": 1000, "crit_lag": 10_000}
CRIT10 = "(critical from 10 min)"
NOT_DECREASING = "Burrow WARN (lag not decreasing)"

# One scenario per row: Burrow status, seconds behind, messages of lag -> level and every reason.
CLASSIFY = [
    # healthy: seconds behind, many messages: offset lag is not a criterion by default
    (_row("busy", "OK", 12.0, 400_000), {}, "ok", []),
    # Burrow ERR alone is critical, with the partition rule that fired
    (_row("stopped", "ERR", 30.0, 10), {}, "critical", ["Burrow ERR (stopped)"]),
    # Burrow WARN alone is a warning
    (_row("slow", "WARN", 20.0, 10), {}, "warning", [NOT_DECREASING]),
    # time lag at the warning threshold
    (_row("behind", "OK", 60.0, 10), {}, "warning", ["1 min behind (warning from 1 min)"]),
    # past the critical time lag: critical reasons first; the warning threshold is not repeated
    (_row("far", "WARN", 4e3, 1), {}, "critical", [f"1 h 6 min behind {CRIT10}", NOT_DECREASING]),
    # unknown time lag (never committed): no time criterion
    (_row("unknown", "OK", None, None), {}, "ok", []),
    # offset lag counts once thresholds are set
    (_row("busy", "OK", 12.0, 4e5), BY_COUNT, "critical", ["400.0k messages of lag (critical from 10,000)"]),
    (_row("some", "OK", 12.0, 5_000), BY_COUNT, "warning", ["5.0k messages of lag (warning from 1,000)"]),
    # time criteria switched off: only Burrow status decides
    (_row("far", "OK", 4000.0, 10), {"warn_time_lag_s": None, "crit_time_lag_s": None}, "ok", []),
]  # fmt: skip


@pytest.mark.parametrize(("row", "kwargs", "level", "reasons"), CLASSIFY)
def test_classify_groups(row: dict, kwargs: dict, level: str, reasons: list[str]) -> None:
    out = lag.classify_groups(pl.DataFrame([row]), lag.LagLevels(**kwargs), {"stopped": "STOP"})
    assert out.row(0, named=True) == {"group": row["group"], "level": level, "reasons": reasons}


# -- headline on the sample ---------------------------------------------------------------------
def test_headline_judges_by_time_lag_and_burrow(whole: LagWindow) -> None:
    incidents = summarize_window(whole.analysis)
    findings = lag.headline_findings(whole.analysis, incidents, lag.LagLevels())
    level, text = findings[0]
    assert level == "critical"
    assert text.startswith(
        "2 of 20 groups are critical and 0 warning at Nov 19 23:55 UTC, judged by time lag"
    )
    assert "notifications-sender: Burrow ERR (stopped) and 3 d behind (critical from 10 min);" in text
    ok = incidents.filter(~pl.col("group").is_in(["notifications-sender", "legacy-billing-export"]))
    assert text.endswith(f"The other 18 are at most {units.duration(ok['max_time_lag_s'].max())} behind.")  # type: ignore[arg-type]
    assert ok["max_time_lag_s"].max() < 60  # type: ignore[operator]
    sentences = " ".join(t for _, t in findings)
    assert "fraud-case-manager was in ERR from Nov 14 16:40 UTC" in sentences
    assert "search-indexer was in ERR from Nov 17 13:55 UTC" in sentences


def test_headline_at_a_capacity_peak_names_the_criterion(sample_dir: Path) -> None:
    window = analyze_window(sample_dir, None, "1d", "2026-11-19T16:00Z", None, None)
    incidents = summarize_window(window.analysis)
    findings = lag.headline_findings(window.analysis, incidents, lag.LagLevels())
    etl = [t for _, t in findings if t.startswith("analytics-etl is critical: ")]
    assert len(etl) == 1 and "(critical from 10 min) and Burrow WARN (lag not decreasing)" in etl[0]
    behind = incidents.filter(pl.col("group") == "analytics-etl")["max_time_lag_s"].item()
    assert f"analytics-etl: {units.duration(behind)} behind (critical from 10 min)" in findings[0][1]


def test_offset_thresholds_flag_busy_groups_only_when_asked(whole: LagWindow) -> None:
    incidents = summarize_window(whole.analysis)
    by_messages = lag.LagLevels(warn_lag=1000, crit_lag=10_000)
    text = lag.headline_findings(whole.analysis, incidents, by_messages)[0][1]
    assert (
        "messages of lag (critical from 10,000)" in text and "offset lag (warning at 1,000 messages" in text
    )
    crit = lag.classify_groups(incidents, by_messages, {}).filter(pl.col("level") == "critical")
    assert crit.height > 2  # busy healthy groups cross 10,000 messages while seconds behind


def test_status_since_starts_at_the_first_verdict(whole: LagWindow) -> None:
    incidents = summarize_window(whole.analysis)
    first = dt.datetime(2026, 11, 13, 0, 45, tzinfo=UTC)
    assert incidents["since"].min() == first
    healthy = incidents.filter(pl.col("group") == "orders-svc").row(0, named=True)
    assert healthy["status"] == "OK" and healthy["since"] == first
    text = " ".join(t for _, t in lag.headline_findings(whole.analysis, incidents, lag.LagLevels()))
    assert "legacy-billing-export has been stopped since at least Nov 13 00:45 UTC, its first verdict" in text
    lost = lag.retention_losses(whole.analysis, incidents)
    assert set(lost) == {"legacy-billing-export", "notifications-sender"}
    assert (
        f"Retention has already deleted {units.count(lost['notifications-sender'])} messages it never read"
        in text
    )


def test_drain_table_says_healthy_groups_keep_up(whole: LagWindow) -> None:
    incidents = summarize_window(whole.analysis)
    table = lag.drain_table(incidents, lag.LagLevels())
    drain = dict(table.select("group", "time to drain").iter_rows())
    assert drain["orders-svc"] == "keeping up" and drain["notifications-sender"] == "not draining"
    assert "-0.0" not in [f"{v:.1f}" for v in table["lag trend (msg/s)"].to_list()]
    assert lag.drain_table(incidents)["time to drain"].to_list().count("keeping up") == 0


def analyze_window(data_dir: Path, cluster, since, until, groups, topics) -> LagWindow:
    """The lag report's window: loaded with its warm-up, analyzed, trimmed."""
    loaded = load_lag_window(data_dir, cluster, since, until, groups, topics, CONFIG.intervals)
    return lag.analyze_window(*loaded, CONFIG)


def test_sample_window_findings_name_the_recurring_afternoon_spells(whole: LagWindow) -> None:
    """Issue 12: analytics-etl falls behind every afternoon on the sample (its README: it needs
    1.4x its capacity at peak); the findings over the window say so, with its peak time lag."""
    analysis = whole.analysis
    texts = [t for _, t in lag.window_findings(analysis, lag.summarize_window(analysis), lag.LagLevels())]
    recurring = [t for t in texts if t.startswith("analytics-etl fell behind on")]
    assert recurring and "of 7 afternoons" in recurring[0] and "behind at" in recurring[0], texts
    peak = next(t for t in texts if t.startswith("Peak time lag in the window"))
    assert "analytics-etl" in peak
