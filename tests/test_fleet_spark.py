"""The lag analysis on Spark equals the analysis in process (docs/fleet.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.analyze.lag import analyze_lag, group_table
from workbench.errors import ConfigError
from workbench.fleet.chunks import CHUNK, chunk_ids, lag_groups_in_process, merge_chunks
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


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated clusters, made once for this module (~6 s): the tests read it, the Spark
    job adds its result table beside it."""
    return _history(tmp_path_factory.mktemp("fleet-spark") / "data")


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
def test_pieces_of_whole_groups_equal_the_whole_history(history: Path) -> None:
    """What each Spark task computes (one group with its topics' log ends) adds up to the whole."""
    root = history
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


@pytest.mark.slow  # two simulated clusters: ~6 s
@pytest.mark.parametrize("rows", [100, 10**6])  # ~4 partitions a chunk; whole groups
def test_chunks_of_partitions_merged_equal_the_whole_history(history: Path, rows: int) -> None:
    """Each Spark task's chunk (whole partitions of a group, their log ends only), merged per
    group in chunk order, and the bounded in-process run both equal the whole history's rows."""
    root = history
    store = Store(root)
    offsets, ends = store.read("offsets"), store.read("partition_offsets")
    keys = ["cluster", "group", "topic", "partition"]
    ids = chunk_ids(offsets.group_by(keys).len(), rows).drop("len")
    assert (ids[CHUNK].max() > 0) == (rows < 10**6)
    done = []
    for (_c, _g, chunk), part in offsets.join(ids, on=keys).group_by("cluster", "group", CHUNK):
        mine = ends.join(part.select("cluster", "topic", "partition").unique(), on=keys[::2][:1] + keys[2:])
        got = pl.from_arrow(analyze_piece(part.to_arrow(), mine.to_arrow()))
        done.append(got.with_columns(pl.lit(chunk, pl.Int32).alias(CHUNK)))
    merged = [merge_chunks(g) for _, g in pl.concat(done).group_by("cluster", "group")]
    spark_like = pl.concat(merged).sort("cluster", "group", "ts")
    want = pl.concat([in_process(root, c) for c in sorted(CLUSTERS)])
    assert_frame_equal(spark_like, want.select(spark_like.columns), check_dtypes=False)
    for cluster in CLUSTERS:
        bounded = pl.concat(list(lag_groups_in_process(root, cluster, rows))).sort("group", "ts")
        assert_frame_equal(bounded, in_process(root, cluster), check_dtypes=False)


def test_a_chunk_size_below_one_is_refused() -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        chunk_ids(
            pl.DataFrame({"cluster": ["c"], "group": ["g"], "topic": ["t"], "partition": [0], "len": [3]}), 0
        )


def test_chunks_cut_a_group_at_whole_partitions_in_order() -> None:
    counts = pl.DataFrame(
        {
            "cluster": "c",
            "group": ["g", "g", "g", "g", "h"],
            "topic": ["b", "a", "a", "a", "a"],
            "partition": [0, 2, 0, 1, 0],
            "len": [5, 4, 4, 4, 9],
        }
    )
    got = chunk_ids(counts, 8)
    assert got.select("group", "topic", "partition", CHUNK).rows() == [
        ("g", "a", 0, 0),
        ("g", "a", 1, 0),
        ("g", "a", 2, 1),
        ("g", "b", 0, 1),
        ("h", "a", 0, 0),
    ]


def test_an_empty_piece_gives_no_rows_with_the_result_columns() -> None:
    empty = {ds: pl.DataFrame(schema=DATASETS[ds][0]).to_arrow() for ds in ("offsets", "partition_offsets")}
    out = pl.from_arrow(analyze_piece(empty["offsets"], empty["partition_offsets"]))
    assert out.height == 0
    assert list(out.columns) == list(result_schema())


@pytest.mark.slow
@pytest.mark.timeout(1200)  # master, worker, driver and executor JVMs on a shared 2-core box
def test_spark_analyze_on_a_standalone_cluster_equals_in_process(spark_standalone, history: Path) -> None:
    root = history
    cmd = [sys.executable, "-m", "workbench", "spark", "analyze", "--master", spark_standalone.master_url]
    cmd += ["--rows-per-chunk", "50"]  # groups split into chunks of a few partitions, then merged
    done = subprocess.run([*cmd, "--data-dir", str(root)], capture_output=True, text=True, timeout=1100)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "analysis/lag_groups: version 0" in done.stdout
    assert_result_equals_in_process(root)
