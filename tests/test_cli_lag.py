"""`workbench lag` from the stored history (the shipped sample): output, levels, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.analyze import lag
from workbench.cli import main

SAMPLE = str(Path(__file__).resolve().parents[1] / "data" / "sample")


def _run(*args: str):
    return CliRunner().invoke(main, ["lag", "--data-dir", SAMPLE, *args])


def test_json_lists_every_group_with_levels() -> None:
    res = _run("--json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    by_group = {r["group"]: r for r in rows}
    assert len(rows) == 20
    stopped = by_group["notifications-sender"]
    assert stopped["state"] == "Empty" and stopped["members"] == 0 and stopped["level"] == "critical"
    assert stopped["retention_gap"] is True
    # the partition assigned but never committed is not counted as lag 0
    audit = by_group["audit-archiver"]
    assert audit["committed_partitions"] == audit["partitions"] - 1 and audit["coverage"] < 1
    assert [r["level"] for r in rows] == sorted(
        (r["level"] for r in rows), key=["critical", "warning", "ok"].index
    )


def test_fail_on_and_thresholds() -> None:
    assert _run("--fail-on", "critical").exit_code == 1
    high = _run("--warn-time", "7d", "--crit-time", "8d", "--fail-on", "warning")
    assert high.exit_code == 0 and "20 groups: 20 ok" in high.output
    by_messages = _run("--warn-time", "7d", "--crit-time", "8d", "--warn", "100", "--crit", "200000000")
    assert by_messages.exit_code == 0 and "20 groups: 2 ok, 18 warning" in by_messages.output


def test_unknown_group_and_bad_thresholds_are_one_line_errors() -> None:
    res = _run("--group", "no-such-group")
    assert res.exit_code == 2
    assert res.output.strip().startswith("error: no consumer group in") and res.output.count("\n") == 1
    bad = _run("--warn", "100", "--crit", "10")
    assert bad.exit_code == 2 and "warn <= crit" in bad.output


# (CLI options, the LagLevels they mean): the report's defaults, message thresholds as options
LEVEL_CASES = [
    ((), lag.LagLevels()),
    (("--warn", "500", "--crit", "5000"), lag.LagLevels(60, 600, 500, 5000)),
    (("--warn-time", "10s", "--crit-time", "20s"), lag.LagLevels(10, 20)),
]


@pytest.mark.parametrize(("args", "levels"), LEVEL_CASES)
def test_levels_are_the_one_lag_rule(args: tuple[str, ...], levels: lag.LagLevels) -> None:
    """The JSON level and reasons are lag.levels.classify on the time lag and total lag: the
    report's rule with the report's defaults (its Burrow status needs a window, not one snapshot)."""
    rows = json.loads(_run("--json", *args).output)
    for r in rows:
        expected = lag.classify(levels, time_lag_s=r["time_lag_s"], lag=r["total_lag"])
        assert (r["level"], r["reasons"]) == expected, r["group"]
    assert {r["level"] for r in rows} <= set(lag.LEVELS) and "critical" in {r["level"] for r in rows}


def test_offset_flags_in_json_and_text(tmp_path: Path) -> None:
    """Committed above the log end (topic recreated: will be reset), below the log start, never
    committed: each named in the JSON and the table."""
    import datetime as dt

    import polars as pl

    from workbench.schema import conform
    from workbench.store import Store

    ts = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    rows = [  # group, partition, committed, log start, log end
        ("recreated", 0, 2000, 0, 1000),
        ("recreated", 1, 10, 0, 1000),
        ("retention", 0, 5, 40, 100),
        ("fresh", 0, None, 0, 100),
        ("fine", 0, 100, 0, 100),
    ]
    frame = pl.DataFrame(
        [
            {
                "ts": ts,
                "cluster": "c",
                "group": g,
                "group_state": "Stable",
                "topic": "t",
                "partition": p,
                "committed_offset": c,
                "log_start_offset": s,
                "log_end_offset": e,
            }
            for g, p, c, s, e in rows
        ]
    )
    Store(tmp_path).append("offsets", conform(frame, "offsets"))
    res = CliRunner().invoke(main, ["lag", "--data-dir", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    flags = {r["group"]: r["flags"] for r in json.loads(res.output)}
    assert flags == {
        "recreated": ["committed above the log end on 1 partition (will be reset)"],
        "retention": ["committed below the log start on 1 partition (retention deleted unread data)"],
        "fresh": ["never committed on 1 partition"],
        "fine": [],
    }
    text = CliRunner().invoke(main, ["lag", "--data-dir", str(tmp_path)], env={"COLUMNS": "300"}).output
    assert "will be reset" in text and "never committed on 1 partition" in text


SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_lag_piped_is_plain_and_never_cut() -> None:
    """Piped (cron, logs): no box characters, no colour codes, no '…' however long a name is."""
    res = CliRunner().invoke(main, ["lag", "--data-dir", str(SAMPLE_DIR)], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert "…" not in res.output and "│" not in res.output and "\x1b[" not in res.output
    assert "committed below the log start on 6 partitions (retention deleted unread data)" in res.output


@pytest.mark.parametrize(
    ("args", "header"),
    [
        ([], "group\tas_of\tstate\tpartitions"),
        (["--partitions"], "group\ttopic\tpartition\tcommitted_offset\tlog_end_offset\tlag"),
        (["--members"], "group\tmember_id\tclient_id\thost\tpartitions\tlag"),
    ],
)
def test_lag_tsv_views(args: list[str], header: str) -> None:
    res = CliRunner().invoke(main, ["lag", "--data-dir", str(SAMPLE_DIR), "--format", "tsv", *args])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith(header)
    width = len(lines[0].split("\t"))
    assert len(lines) > 2 and all(len(line.split("\t")) == width for line in lines)


def test_lag_views_in_json_carry_the_same_fields() -> None:
    tsv_out = CliRunner().invoke(main, ["lag", "--data-dir", str(SAMPLE_DIR), "--format", "tsv", "--members"])
    js = CliRunner().invoke(main, ["lag", "--data-dir", str(SAMPLE_DIR), "--json", "--members"])
    rows = json.loads(js.output)
    assert list(rows[0]) == tsv_out.output.splitlines()[0].split("\t")
    assert len(rows) == len(tsv_out.output.splitlines()) - 1
    totals = {r["group"]: 0 for r in rows}
    for r in rows:
        totals[r["group"]] += r["lag"] or 0
    summary = {
        r["group"]: r["total_lag"]
        for r in json.loads(CliRunner().invoke(main, ["lag", "--data-dir", str(SAMPLE_DIR), "--json"]).output)
    }
    assert all(totals[g] <= summary[g] for g in totals)  # members own a subset of the partitions


def test_stored_time_lag_reads_only_the_log_ends_it_needs() -> None:
    """`workbench lag --data-dir` times each committed offset from the last hour of log ends plus
    older readings of the partitions far behind only: the same time lags as from the whole week."""
    import polars as pl

    from workbench.frames import load_latest_offsets
    from workbench.frames.lag import load_log_ends, load_log_ends_behind

    offsets = load_latest_offsets(SAMPLE)
    needed = load_log_ends_behind(SAMPLE, offsets)
    week = load_log_ends(SAMPLE, offsets["cluster"][0], "7d")
    assert needed is not None and week is not None and needed.height < week.height
    cols = ["group", "topic", "partition", "time_lag_s", "time_lag_method"]
    got = lag.time_lag(offsets, needed).select(cols).sort(cols[:3])
    want = lag.time_lag(offsets, week).select(cols).sort(cols[:3])
    assert got.equals(want)
    assert got.filter(pl.col("time_lag_s") > 3600).height > 0  # a group far behind is in the test
