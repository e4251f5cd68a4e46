"""`workbench lag --data-dir` skips a far-behind partition's hours that the hourly rollups show
rising: the time lags equal those of every reading, also when the log end fell inside the
skipped hours (rollups rebuilt) or at the seam after them (checked on the readings)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.analyze.lag import time_lag
from workbench.analyze.lag.reach import needed_log_ends
from workbench.frames import load_latest_offsets
from workbench.frames.log_ends import load_log_ends_reaching
from workbench.frames.rollups import rebuild_rollups
from workbench.store import Store

CLUSTER = "mid"
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three days of 1-minute snapshots of 30 partitions, rolled up: two partitions days behind."""
    from workbench.simulate import simulate

    root = tmp_path_factory.mktemp("skip")
    simulate(root, cluster=CLUSTER, days=3, interval="1m", scale="sample", partitions=30)
    rebuild_rollups(root, CLUSTER)
    return root


def _time_lags(root: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(time lags from the guided read, from every reading, the guided read, the cuts)."""
    offsets = load_latest_offsets(str(root), CLUSTER)
    history, cuts = load_log_ends_reaching(str(root), offsets)
    whole, _ = load_log_ends_reaching(str(root), offsets, guided=False)
    assert history is not None and whole is not None and cuts is not None
    needed = needed_log_ends(offsets, history, cuts)
    assert needed is not None
    return time_lag(offsets, needed), time_lag(offsets, whole), history, cuts


def _rewrite(root: Path, change: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    """Replace the cluster's raw partition offsets with ``change`` of them."""
    store = Store(root)
    frame = store.read("partition_offsets", cluster=CLUSTER)
    store.delete_cluster("partition_offsets", CLUSTER)
    store.append("partition_offsets", change(frame))


def _lowered(row: dict, since: dt.datetime, until: dt.datetime, to: pl.Expr) -> Callable:
    """A change setting one partition's log end to ``to`` for readings in [since, until)."""
    hit = (
        (pl.col("topic") == row["topic"])
        & (pl.col("partition") == row["partition"])
        & pl.col("ts").is_between(since, until, closed="left")
    )
    return lambda f: f.with_columns(log_end_offset=pl.when(hit).then(to).otherwise("log_end_offset"))


def test_rising_hours_are_skipped_with_the_same_time_lags(history: Path) -> None:
    got, want, read, cuts = _time_lags(history)
    assert cuts["_upto"].null_count() == 0  # both partitions behind skip hours
    offsets = load_latest_offsets(str(history), CLUSTER)
    unskipped = load_log_ends_reaching(str(history), offsets)[0]
    assert unskipped is not None and read.height == unskipped.height
    whole = load_log_ends_reaching(str(history), offsets, guided=False)[0]
    assert whole is not None and read.height < whole.height / 1.5
    assert_frame_equal(got, want)
    assert got.filter(pl.col("time_lag_s") > 86400).height > 0


@pytest.mark.parametrize(
    ("case", "start", "length"),
    [("from one hour to the next", 0, 60), ("inside an hour", 20, 15)],
)
def test_a_fall_in_the_hours_it_would_skip_stops_the_skip(
    history: Path, tmp_path: Path, case: str, start: int, length: int
) -> None:
    """The log end back down to just above where the reach's hour ended (still above every
    committed offset), then up again, inside the skipped hours; rollups rebuilt."""
    root = tmp_path / "data"
    shutil.copytree(history, root)
    row = _time_lags(root)[3].row(0, named=True)
    hour = row["_upto"].replace(minute=0, second=0) + dt.timedelta(hours=3)
    since = hour + start * MINUTE
    at_reach = (
        Store(root)
        .read("partition_offsets", cluster=CLUSTER)
        .filter(topic=row["topic"], partition=row["partition"], ts=row["_upto"])["log_end_offset"]
    )
    _rewrite(root, _lowered(row, since, since + length * MINUTE, pl.lit(at_reach.item() + 1, pl.Int64)))
    rebuild_rollups(root, CLUSTER)
    got, want, _, cuts = _time_lags(root)
    mine = cuts.filter(topic=row["topic"], partition=row["partition"])
    assert mine["_upto"].null_count() == 1, case
    assert_frame_equal(got, want)


def test_a_fall_at_the_seam_after_the_skipped_hours_reads_them(history: Path, tmp_path: Path) -> None:
    """The log end just below where the rollups left it, right after them: only the readings
    can tell; every hour is read again."""
    root = tmp_path / "data"
    shutil.copytree(history, root)
    row = _time_lags(root)[3].row(0, named=True)
    since = row["_skip_end"] + MINUTE
    _rewrite(root, _lowered(row, since, since + 10 * MINUTE, pl.lit(row["_e_end"] - 1, pl.Int64)))
    got, want, read, cuts = _time_lags(root)
    assert cuts.filter(topic=row["topic"], partition=row["partition"])["_upto"].null_count() == 0
    assert_frame_equal(got, want)
    offsets = load_latest_offsets(str(root), CLUSTER)
    mine = (pl.col("topic") == row["topic"]) & (pl.col("partition") == row["partition"])
    between = pl.col("ts").is_between(row["_upto"] + MINUTE, row["_skip_end"])
    assert read.filter(mine & between).height > 0  # the skipped hours were read after all
    assert got.join(offsets.select("group", "topic", "partition"), on=["group", "topic", "partition"]).height
