"""The config-health report and the simulated config history in ``data/sample``.

The report renders through ``workbench report config-health`` on the shipped sample (about ten
seconds); the sample's deliberate problems are what ``workbench validate`` finds in it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_validate_finds_the_sample_clusters_deliberate_problems() -> None:
    result = CliRunner().invoke(main, ["validate", "--data-dir", str(SAMPLE), "--json"])
    assert result.exit_code == 1, result.output
    found = {(f["rule_id"], f["entity"]): f["severity"] for f in json.loads(result.output)["findings"]}
    assert found[("topic.replication-factor", "exchange-rates")] == "critical"
    assert found[("topic.unclean-leader-election", "metrics-raw")] == "critical"
    assert found[("drift.broker-config", "num.replica.fetchers")] == "warning"
    assert found[("disk.broker-skew", "1")] == "warning"
    assert not any(rule.startswith("replication.") for rule, _ in found)


def test_validate_at_the_outage_finds_under_replicated_partitions() -> None:
    args = ["validate", "--data-dir", str(SAMPLE), "--at", "2026-11-18T03:00Z", "--json"]
    result = CliRunner().invoke(main, args)
    rules = {f["rule_id"] for f in json.loads(result.output)["findings"]}
    assert {"replication.under-replicated", "replication.offline", "cluster.broker-count"} <= rules


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_report_renders_on_the_sample(tmp_path: Path) -> None:
    args = ["report", "config-health", "--data-dir", str(SAMPLE), "--out", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    html = Path(result.output.strip().splitlines()[-1]).read_text(encoding="utf-8")
    for text in (
        "Config health",
        "Findings by severity",
        "num.replica.fetchers",
        "exchange-rates",
        "Disk per broker",
    ):
        assert text in html, text
    assert "wb-scorecard" in html
    assert html.count('<div id="altair-viz-') >= 5
