"""`workbench import prometheus` over a long history: 10 days at 1 minute (14,400 points per
series, over Prometheus' 11,000-point limit), backfilled with promtool into a real Prometheus.

kafka-lag-exporter series with known values: log end 10 * i, committed 10 * i - (i % 100) at
minute i, so every imported row is checked, including those at the chunk boundary.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from parts import PartError, part_path, start_prometheus

from workbench.cli import main
from workbench.store import Store

pytestmark = [pytest.mark.slow, pytest.mark.parts]

DAYS, STEP_S = 10, 60
LABELS = 'cluster_name="prod",topic="t",partition="0"'


def _openmetrics(last: int) -> str:
    """Samples at minute instants ending at ``last`` (epoch seconds)."""
    n = DAYS * 86400 // STEP_S
    first = last - (n - 1) * STEP_S
    lines = ["# TYPE kafka_partition_latest_offset gauge"]
    lines += [f"kafka_partition_latest_offset{{{LABELS}}} {10 * i} {first + i * STEP_S}" for i in range(n)]
    lines += ["# TYPE kafka_consumergroup_group_offset gauge"]
    lines += [
        f'kafka_consumergroup_group_offset{{group="g",{LABELS}}} {10 * i - i % 100} {first + i * STEP_S}'
        for i in range(n)
    ]
    return "\n".join([*lines, "# EOF"]) + "\n"


@pytest.fixture(scope="module")
def history_prometheus(tmp_path_factory):
    """A Prometheus whose storage holds the backfilled 10 days (ending at the last whole minute)."""
    directory = tmp_path_factory.mktemp("prometheus-history")
    last = int(dt.datetime.now(dt.UTC).timestamp()) // STEP_S * STEP_S
    source = directory / "history.om"
    source.write_text(_openmetrics(last))
    promtool = Path(part_path("prometheus")).with_name("promtool")
    done = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", source, directory / "data"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        raise PartError(f"promtool backfill failed: {done.stderr[-2000:]}")
    server = start_prometheus(directory)
    yield server, last
    server.stop()


def test_long_history_is_read_in_chunks_under_the_point_limit(history_prometheus, tmp_path) -> None:
    server, last = history_prometheus
    start = last - (DAYS * 86400 - STEP_S)
    with pytest.raises(PartError, match="exceeded maximum resolution of 11,000 points"):
        server.query_range("kafka_partition_latest_offset", start, last, f"{STEP_S}s")  # one query: refused
    args = ["import", "prometheus", "--url", server.url, "--cluster", "prod", "--data-dir", str(tmp_path)]
    res = CliRunner().invoke(main, [*args, "--since", f"{DAYS}d", "--step", "1m"])
    assert res.exit_code == 0, res.output
    assert "2 windows" in res.output and "kafka-lag-exporter" in res.output
    offsets = Store(tmp_path).scan("offsets").collect().sort("ts")
    minute = ((pl.col("ts").dt.epoch("s") - start) // STEP_S).clip(upper_bound=(last - start) // STEP_S)
    got = offsets.with_columns(i=minute).filter(pl.col("ts").dt.epoch("s") >= start)
    assert got.height >= DAYS * 1440 - 1  # every minute of the backfill, once
    assert got["ts"].is_duplicated().sum() == 0
    assert (got["log_end_offset"] == 10 * got["i"]).all()
    assert (got["committed_offset"] == 10 * got["i"] - got["i"] % 100).all()
    parts = Store(tmp_path).scan("partition_offsets").collect()
    assert parts.height == offsets.height and set(parts["source"]) == {"prometheus:kafka-lag-exporter"}


def test_progress_bar_on_a_terminal_and_one_line_when_piped(history_prometheus, tmp_path) -> None:
    import os
    import pty
    import sys

    server, _ = history_prometheus
    args = [
        sys.executable,
        "-m",
        "workbench",
        "import",
        "prometheus",
        "--url",
        server.url,
        "--cluster",
        "tty",
    ]
    args += ["--since", "3d", "--step", "15s", "--data-dir", str(tmp_path)]  # 17,281 points: 2 chunks
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "COLUMNS": "100"}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    terminal = b""
    while True:  # read the terminal until the command closes it
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        terminal += chunk
    out = proc.communicate(timeout=300)[0].decode()
    os.close(leader)
    assert proc.returncode == 0, terminal.decode(errors="replace")
    assert "prometheus → tty" in terminal.decode(errors="replace")  # the bar's label on stderr
    assert "4/4" in terminal.decode(errors="replace")  # 2 chunks x 2 queries, counted
    assert len(out.strip().splitlines()) == 1 and "2 windows" in out  # piped stdout: one summary line
