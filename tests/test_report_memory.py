"""A memory ceiling on the user's path: ``workbench report lag-trend`` on a history of a few
million rows, with the resident memory of every process of the run (the kernel included) sampled;
the run is stopped and the test fails when the sum passes the ceiling."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from workbench.simulate import simulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from proctree import run_tree

ROOT = Path(__file__).resolve().parents[1]
#: The old path (the whole window in one frame) took about 3.5 GB on this history.
CEILING_MB = 1500


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_lag_trend_report_on_millions_of_rows_stays_under_the_memory_ceiling(tmp_path: Path) -> None:
    data = tmp_path / "data"
    summary = simulate(data, cluster="big", days=1, scale="full")  # about 4.6 M offsets rows
    assert summary.rows["offsets"] > 3_000_000
    cmd = [sys.executable, "-m", "workbench", "report", "lag-trend", "--data-dir", str(data)]
    cmd += ["--out", str(tmp_path / "reports"), "-p", "cluster", "big", "-p", "since", "1d"]
    run = run_tree(cmd, cap_mb=CEILING_MB, timeout_s=1200, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert not run.capped, f"the report's processes passed {CEILING_MB} MB (peak {run.peak_mb:.0f} MB)"
    assert run.returncode == 0, run.stderr[-2000:]
    assert list((tmp_path / "reports").rglob("*.html"))
