"""The lag analysis on Spark equals the analysis in process (docs/fleet.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.analyze.lag import analyze_lag, group_table
from workbench.fleet.spark import analyze_piece, result_schema
from workbench.frames.lag import load_log_ends
from workbench.frames.offsets import load_offsets
from workbench.schema import DATASETS
from workbench.simulate.run import simulate
from workbench.store import Store
from workbench.store.results import read_result

CLUSTERS = {"east": 1, "west": 2}  # name -> seed


def _history(root: Path) -> Path:
    for name, seed in CLUSTERS.items():
        simulate(root, cluster=name, days=1, interval="1h", scale="sample", seed=seed)
    return root


def assert_result_equals_in_process(root: Path | str) -> None:
    """The stored ``analysis/lag_groups`` equals :func:`in_process` for every cluster."""
    got = read_result(root, "lag_groups")
    assert got is not None
    for cluster in CLUSTERS:
        want = in_process(root, cluster)
        mine = got.filter(pl.col("cluster") == cluster).sort("group", "ts")
        assert mine.height == want.height > 0
        assert_frame_equal(mine.select(want.columns), want, check_dtypes=False)


def in_process(root: Path | str, cluster: str) -> pl.DataFrame:
    """The in-process result the Spark job must equal: one cluster's whole history at once."""
    offsets = load_offsets(root, cluster, since=None)
    return group_table(analyze_lag(offsets, load_log_ends(root, cluster, None)))


@pytest.mark.slow  # two simulated clusters: ~6 s
def test_pieces_of_whole_groups_equal_the_whole_history(tmp_path: Path) -> None:
    """What each Spark task computes (one group with its topics' log ends) adds up to the whole."""
    root = _history(tmp_path / "data")
    store = Store(root)
    offsets, ends = store.read("offsets"), store.read("partition_offsets")
    pieces = []
    for _key, piece in offsets.group_by("cluster", "group"):
        topics = piece.select("cluster", "topic").unique()
        mine = ends.join(topics, on=["cluster", "topic"], how="semi")
        pieces.append(pl.from_arrow(analyze_piece(piece.to_arrow(), mine.to_arrow())))
    got = pl.concat(pieces).sort("cluster", "group", "ts")
    want = pl.concat([in_process(root, c) for c in sorted(CLUSTERS)])
    assert got.height == want.height > 0
    assert_frame_equal(got, want.select(got.columns), check_dtypes=False)
    assert dict(got.schema) == dict(result_schema())


def test_an_empty_piece_gives_no_rows_with_the_result_columns() -> None:
    empty = {ds: pl.DataFrame(schema=DATASETS[ds][0]).to_arrow() for ds in ("offsets", "partition_offsets")}
    out = pl.from_arrow(analyze_piece(empty["offsets"], empty["partition_offsets"]))
    assert out.height == 0
    assert list(out.columns) == list(result_schema())


@pytest.mark.slow
@pytest.mark.timeout(1200)  # master, worker, driver and executor JVMs on a shared 2-core box
def test_spark_analyze_on_a_standalone_cluster_equals_in_process(spark_standalone, tmp_path: Path) -> None:
    root = _history(tmp_path / "data")
    cmd = [sys.executable, "-m", "workbench", "spark", "analyze", "--master", spark_standalone.master_url]
    done = subprocess.run([*cmd, "--data-dir", str(root)], capture_output=True, text=True, timeout=1100)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "analysis/lag_groups: version 0" in done.stdout
    assert_result_equals_in_process(root)
