"""`workbench lag` from the stored history (the shipped sample): output, levels, errors."""

from __future__ import annotations

import json
from pathlib import Path

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
    high = _run("--warn", "10000000000", "--crit", "20000000000", "--fail-on", "warning")
    assert high.exit_code == 0 and "20 groups: 20 ok" in high.output


def test_unknown_group_and_bad_thresholds_are_one_line_errors() -> None:
    res = _run("--group", "no-such-group")
    assert res.exit_code == 2
    assert res.output.strip().startswith("error: no consumer group in") and res.output.count("\n") == 1
    bad = _run("--warn", "100", "--crit", "10")
    assert bad.exit_code == 2 and "warn <= crit" in bad.output


def test_levels_are_the_one_lag_rule() -> None:
    """The JSON level and reasons are lag.levels.classify on the total lag, the report's rule."""
    rows = json.loads(_run("--json", "--warn", "500", "--crit", "5000").output)
    levels = lag.LagLevels(None, None, 500, 5000)
    for r in rows:
        assert (r["level"], r["reasons"]) == lag.classify(levels, lag=r["total_lag"]), r["group"]
    assert {r["level"] for r in rows} <= set(lag.LEVELS)

