"""The latency-percentile report renders on the shipped sample; bad parameters fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.analyze import latency
from workbench.errors import WorkbenchError
from workbench.frames.bench import load_runs
from workbench.report import render

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def test_sample_has_the_sweep_and_the_rerun() -> None:
    runs, intervals = load_runs(SAMPLE)
    summary = latency.run_summary(runs, intervals, "send_to_ack")
    assert runs.height == 8 and intervals["histogram"].null_count() == 0
    assert summary["p50_ms"].is_not_null().all()
    assert (summary["p50_ms"] <= summary["p99_ms"]).all() and (summary["p99_ms"] <= summary["max_ms"]).all()
    levels = [level for level, _ in latency.headline(runs, intervals, summary, "send_to_ack", None, 10.0)]
    sentences = [s for _, s in latency.headline(runs, intervals, summary, "send_to_ack", None, 10.0)]
    assert "warning" in levels and any(s.startswith("Regression:") for s in sentences)  # the rerun
    assert any("fell behind its schedule" in s for s in sentences)  # linger.ms=0 acks=all


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"latency": "p99"}, "parameter latency"),
        ({"run_ids": "nope"}, "parameter run_ids"),
        ({"baseline_run": "nope"}, "parameter baseline_run"),
    ],
)
def test_bad_parameters(params: dict, message: str) -> None:
    runs, intervals = load_runs(SAMPLE) if "baseline_run" in params else (None, None)
    with pytest.raises(WorkbenchError, match=message):
        if runs is not None:
            latency.comparison(
                latency.run_summary(runs, intervals, "send_to_ack"), params["baseline_run"], 10.0
            )
        else:
            load_runs(SAMPLE, run_ids=params.get("run_ids"), latency=params.get("latency", "send_to_ack"))


def test_report_renders_on_sample(tmp_path: Path) -> None:
    rendered = render("latency-percentiles", {"data_dir": str(SAMPLE)}, out_dir=str(tmp_path))
    page = rendered.html.read_text()
    assert "Latency percentiles" in page and "linger.ms=5 acks=all" in page
    assert "Regression" in page and "Traceback" not in page
