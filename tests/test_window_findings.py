"""The lag report's window findings: where Burrow's status came from, drain times, offset flags,
hanging transactions; and the report's commit-status path end to end on a small history."""

from __future__ import annotations

import datetime as dt

import polars as pl

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


def test_commit_status_and_its_source_in_the_report() -> None:
    offsets, ends, commits = _history()
    config = burrow.BurrowConfig()
    snap = lag.analyze_window(offsets, ends, None, config)
    with_commits = lag.analyze_window(offsets, ends, None, config, commits)
    last = with_commits.analysis.group_status.filter(pl.col("ts") == pl.col("ts").max())
    assert dict(last.select("group", "status").rows()) == {"stuck": "ERR", "fine": "OK"}
    assert dict(last.select("group", "status_source").rows()) == {"stuck": "commits", "fine": "snapshots"}
    assert "from the offsets snapshots (no commit history" in lag.source_finding(snap.analysis)[1]
    text = lag.source_finding(with_commits.analysis)[1]
    assert text.startswith("Burrow status of 1 of 2 groups is computed from their offset commits")


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
