"""The lag report's window findings: where Burrow's status came from, drain times, offset flags,
hanging transactions; and the report's commit-status path end to end on a small history."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.analyze import burrow, lag
from workbench.frames import add_lag_columns
from workbench.schema import conform

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
S = dt.timedelta(seconds=10)


def _history(n: int = 30) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Groups 'stuck' (re-commits offset 500 every 10 s, no member) and 'fine' on topic t/0; the
    log grows 100 per 10 s. Returns (offsets snapshots, log ends, commits of 'stuck')."""
    rows, ends, commits = [], [], []
    for k in range(1, n + 1):
        ts = T0 + k * S
        ends.append(
            {
                "ts": ts,
                "cluster": "c",
                "topic": "t",
                "partition": 0,
                "log_start_offset": 0,
                "log_end_offset": 100 * k,
            }
        )
        for group, committed in (("stuck", min(500, 100 * k)), ("fine", 100 * k)):
            rows.append(
                {
                    "ts": ts,
                    "cluster": "c",
                    "group": group,
                    "group_state": "Empty",
                    "topic": "t",
                    "partition": 0,
                    "committed_offset": committed,
                    "log_start_offset": 0,
                    "log_end_offset": 100 * k,
                }
            )
        if k >= 5:
            commits.append(
                {
                    "ts": ts + dt.timedelta(seconds=5),
                    "group": "stuck",
                    "topic": "t",
                    "partition": 0,
                    "committed_offset": 500,
                }
            )
    return (
        add_lag_columns(conform(pl.DataFrame(rows), "offsets")),
        conform(pl.DataFrame(ends), "partition_offsets"),
        pl.DataFrame(commits).with_columns(pl.col("partition").cast(pl.Int32)),
    )


# (case, commits given, estimate limit) -> status_source per group, the source sentence's start
SOURCES = [
    (
        "snapshots only (over the estimate limit)",
        False,
        0,
        {"stuck": "snapshots", "fine": "snapshots"},
        "Burrow status: all 2 groups from the offsets snapshots, judging the lag at each snapshot.",
    ),
    (
        "estimated from the snapshots",
        False,
        20_000,
        {"stuck": "estimated", "fine": "estimated"},
        "Burrow status: 2 of 2 groups from commits estimated from the offsets snapshots",
    ),
    (
        "commits for one group",
        True,
        20_000,
        {"stuck": "commits", "fine": "snapshots"},
        "Burrow status: 1 of 2 groups from their offset commits read from __consumer_offsets",
    ),
]


@pytest.mark.parametrize(("case", "given", "limit", "sources", "said"), SOURCES, ids=[c[0] for c in SOURCES])
def test_commit_status_and_its_source_in_the_report(case, given, limit, sources, said) -> None:
    offsets, ends, commits = _history()
    window = lag.analyze_window(offsets, ends, None, burrow.BurrowConfig(), commits if given else None, limit)
    last = window.analysis.group_status.filter(pl.col("ts") == pl.col("ts").max())
    assert dict(last.select("group", "status_source").rows()) == sources
    assert lag.source_finding(window.analysis)[1].startswith(said)
    if given or limit:  # on commits (read or estimated) the stuck group is in error
        assert dict(last.select("group", "status").rows()) == {"stuck": "ERR", "fine": "OK"}


def test_estimated_commits_see_a_consumer_keeping_up_as_burrow_does() -> None:
    """Issue 12 case 1: the producer adds 100 per 10 s, the consumer commits log end - 23 at
    every snapshot and owns the partition. At each snapshot the lag is 23 and never decreases
    (the snapshot path says WARN); at each estimated commit the lag is 0 (Burrow: OK)."""
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ts = [t0 + dt.timedelta(seconds=10 * k) for k in range(20)]
    base = {"cluster": "c", "topic": "t", "partition": 0, "log_start_offset": 0}
    ends = conform(
        pl.DataFrame([base | {"ts": t, "log_end_offset": 100 * (k + 1)} for k, t in enumerate(ts)]),
        "partition_offsets",
    )
    member = {"group": "keeps-up", "group_state": "Stable", "member_id": "m", "client_id": "c", "host": "h"}
    rows = [
        base | member | {"ts": t, "committed_offset": 100 * (k + 1) - 23, "log_end_offset": 100 * (k + 1)}
        for k, t in enumerate(ts)
    ]
    offsets = add_lag_columns(conform(pl.DataFrame(rows), "offsets"))
    config = burrow.BurrowConfig(intervals=10, min_distance_s=1.0, minimum_complete=1.0)
    status = {}
    for limit in (0, 20_000):
        gs = lag.analyze_window(offsets, ends, None, config, None, limit).analysis.group_status
        status[limit] = gs.filter(pl.col("ts") == pl.col("ts").max())["status"].item()
    assert status == {0: "WARN", 20_000: "OK"}


def test_drain_findings_only_for_groups_behind() -> None:
    incidents = pl.DataFrame(
        {
            "group": ["slow", "steady", "quick"],
            "time_to_drain_s": [7200.0, 3000.0, 60.0],
            "max_time_lag_s": [900.0, 5.0, 120.0],
            "totallag": [1_000_000, 400, 50],
        }
    )
    out = lag.drain_findings(incidents, lag.LagLevels(60, 600))
    assert [text.split(" ")[0] for _, text in out] == ["slow"]  # steady keeps up; quick drains fast
    assert "needs 2 h to drain" in out[0][1]


def test_flag_finding_names_groups_committed_above_the_log_end() -> None:
    offsets, ends, _ = _history(12)
    ahead = (
        pl.when(pl.col("group") == "fine").then(pl.col("log_end_offset") * 2).otherwise("committed_offset")
    )
    offsets = add_lag_columns(offsets.with_columns(committed_offset=ahead))
    window = lag.analyze_window(offsets, ends, None, burrow.BurrowConfig())
    incidents = lag.summarize_window(window.analysis)
    out = lag.flag_findings(window.analysis, incidents)
    assert len(out) == 1 and out[0][0] == "critical"  # every partition committed: no never-committed line
    assert out[0][1].startswith("fine committed above the log end on 1 partition(s) (t partition 0)")


def test_hanging_transaction_finding() -> None:
    ts = [T0 + i * dt.timedelta(minutes=1) for i in range(4)]
    base = {"ts": ts, "cluster": "c", "topic": "orders", "partition": 3}
    ends = pl.DataFrame(base | {"log_end_offset": [263, 283, 303, 323]})
    stable = pl.DataFrame(base | {"last_stable_offset": [253] * 4})
    out = lag.hanging_findings(lag.hanging_over(ends, stable, 120.0))
    assert out[0][0] == "critical"
    assert "orders partition 3: a transaction has held the last stable offset at 253" in out[0][1]
    assert "70 newer messages wait" in out[0][1] and "--topic orders --partition 3" in out[0][1]
    assert lag.hanging_over(ends, None, 120.0) is None and lag.hanging_over(ends, stable, None) is None


def test_flag_finding_names_partitions_never_committed() -> None:
    offsets, ends, _ = _history(12)
    never = pl.when(pl.col("group") == "fine").then(None).otherwise("committed_offset")
    offsets = add_lag_columns(offsets.with_columns(committed_offset=never))
    window = lag.analyze_window(offsets, ends, None, burrow.BurrowConfig())
    out = lag.flag_findings(window.analysis, lag.summarize_window(window.analysis))
    assert out == [("info", "Partitions never committed (not counted as lag 0), by group: fine (1).")]
