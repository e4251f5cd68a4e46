"""Rollups: what a bucket holds, compact writing them for closed days, rebuild from raw snapshots."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.errors import ConfigError
from workbench.frames.rollups import pick_resolution, rollup
from workbench.schema import conform
from workbench.store import Store

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
T0 = dt.datetime(2026, 11, 19, 10, 0, tzinfo=dt.UTC)


def offsets_rows(rows: list[tuple[int, int | None, int, str]]) -> pl.DataFrame:
    """(minute, committed, log end, group state) of one partition of group g on topic t."""
    return conform(
        pl.DataFrame(
            {
                "ts": [T0 + dt.timedelta(minutes=m) for m, *_ in rows],
                "cluster": "c",
                "group": "g",
                "topic": "t",
                "partition": 0,
                "committed_offset": [c for _, c, _, _ in rows],
                "log_start_offset": 0,
                "log_end_offset": [e for _, _, e, _ in rows],
                "group_state": [s for *_, s in rows],
            }
        ),
        "offsets",
    )


@pytest.mark.parametrize(
    ("rows", "want"),
    [
        # scenario: five snapshots in one bucket -> the last one's offsets, lag first/min/max, deltas
        (
            [
                (0, 10, 20, "Stable"),
                (1, 12, 30, "Stable"),
                (2, 30, 31, "Stable"),
                (3, 31, 45, "Empty"),
                (4, 40, 50, "Stable"),
            ],
            {
                "ts": 4,
                "committed_offset": 40,
                "snapshots": 5,
                "lag_first": 10,
                "lag_min": 1,
                "lag_max": 18,
                "committed_delta": 30,
                "log_end_delta": 30,
                "empty_snapshots": 1,
            },
        ),
        # one snapshot: no deltas, lag of that snapshot
        ([(2, 5, 9, "Stable")], {"ts": 2, "snapshots": 1, "lag_min": 4, "lag_max": 4, "committed_delta": 0}),
        # never committed: lag unknown (null), the log end still moves
        (
            [(0, None, 5, "Stable"), (1, None, 8, "Stable")],
            {"lag_max": None, "log_end_delta": 3, "committed_delta": None},
        ),
    ],
)
def test_a_rollup_row_is_the_buckets_last_snapshot_and_what_happened_inside(rows, want) -> None:  # type: ignore[no-untyped-def]
    out = rollup(offsets_rows(rows), "offsets", "5m")
    assert out.height == 1
    row = out.row(0, named=True)
    for key, value in want.items():
        expect = T0 + dt.timedelta(minutes=value) if key == "ts" else value
        assert row[key] == expect, key


@pytest.mark.slow
def test_compact_rolls_up_closed_days_and_rebuild_recomputes_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    store = Store(data)
    assert "sample" not in store.clusters("offsets_5m")
    result = CliRunner().invoke(main, ["compact", "--data-dir", str(data), "--all-days"])
    assert result.exit_code == 0, result.output
    assert "rolled up 7 day(s)" in result.output
    before = store.read("offsets_1h").sort("ts", "group", "topic", "partition")
    raw = store.scan("offsets").select(pl.len()).collect().item()
    assert 0 < before.height < raw
    again = CliRunner().invoke(main, ["compact", "--data-dir", str(data), "--all-days"])
    assert "rolled up" not in again.output  # nothing left to roll up
    rebuilt = CliRunner().invoke(main, ["rollup", "rebuild", "--data-dir", str(data), "--cluster", "sample"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert store.read("offsets_1h").sort("ts", "group", "topic", "partition").equals(before)
    for path in (data / "offsets_5m").glob("cluster=*/date=*/*.parquet"):  # by key: pieces skip the rest
        day = pl.read_parquet(path)
        assert day.equals(day.sort("group", "topic", "partition", "ts")), path
    assert pick_resolution(data, "sample", "7d", None).name == "5m"
    assert pick_resolution(data, "sample", "2d", None).name == "raw"
    with pytest.raises(ConfigError, match="resolution"):
        pick_resolution(data, "sample", "7d", None, "10m")


def test_rollup_files_have_row_groups_of_disjoint_groups(tmp_path: Path) -> None:
    """A day of rollups bigger than ROLLUP_ROW_GROUP is written in several row groups whose group
    ranges do not overlap, so a read of a few groups skips the others by their statistics."""
    import pyarrow.parquet as pq

    from workbench.store.delta import ROLLUP_ROW_GROUP

    groups, partitions, buckets = 5, ROLLUP_ROW_GROUP // (5 * 288) + 10, 288  # one day of 5 minutes
    raw = pl.DataFrame(
        {
            "ts": [T0.replace(hour=0) + dt.timedelta(minutes=5 * (i % buckets)) for i in range(buckets)]
            * (groups * partitions),
            "group": [f"g{i // (buckets * partitions)}" for i in range(buckets * partitions * groups)],
            "partition": [(i // buckets) % partitions for i in range(buckets * partitions * groups)],
        }
    ).with_columns(
        cluster=pl.lit("c"),
        topic=pl.lit("t"),
        committed_offset=pl.lit(5),
        log_start_offset=pl.lit(0),
        log_end_offset=pl.lit(9),
        group_state=pl.lit("Stable"),
    )
    frame = rollup(conform(raw.sample(fraction=1.0, shuffle=True, seed=1), "offsets"), "offsets", "5m")
    assert frame.height > ROLLUP_ROW_GROUP
    Store(tmp_path).append("offsets_5m", frame)
    [path] = tmp_path.glob("offsets_5m/cluster=*/date=*/*.parquet")
    meta = pq.ParquetFile(path).metadata
    col = meta.schema.names.index("group")
    stats = [meta.row_group(i).column(col).statistics for i in range(meta.num_row_groups)]
    ranges = [(st.min, st.max) for st in stats]
    assert len(ranges) > 1
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(ranges)), ranges


@pytest.mark.parametrize(
    ("ends", "falls", "delta"),
    [
        ([10, 20, 30], 0, 20),  # rising
        ([10, 20, 5, 30, 25], 2, 15),  # two falls, net rise
        ([10, None, 5], 1, -5),  # a reading without a log end is skipped, as time_lag does
        ([40, 40, 40], 0, 0),  # idle
        ([7], 0, 0),
    ],
)
def test_a_partition_rollup_counts_the_log_ends_falls(
    ends: list[int | None], falls: int, delta: int | None
) -> None:
    raw = conform(
        pl.DataFrame(
            {
                "ts": [T0 + dt.timedelta(minutes=m) for m in range(len(ends))],
                "cluster": "c",
                "topic": "t",
                "partition": 0,
                "log_start_offset": 0,
                "log_end_offset": ends,
            }
        ),
        "partition_offsets",
    )
    row = rollup(raw.reverse(), "partition_offsets", "1h").row(0, named=True)  # time order, not file order
    assert (row["log_end_falls"], row["log_end_delta"]) == (falls, delta)


@pytest.mark.slow
def test_rollups_of_an_older_workbench_are_refused_then_rolled_up_again(tmp_path: Path) -> None:
    """A rollup table of schema version 1 (no log_end_falls): reads name the fix in one line;
    `workbench compact` empties it at version 2 and rolls every closed day up again."""
    from deltalake import DeltaTable

    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    runner = CliRunner()
    assert runner.invoke(main, ["compact", "--data-dir", str(data), "--all-days"]).exit_code == 0
    want = Store(data).read("partition_offsets_1h").sort("topic", "partition", "ts")
    for name in ("partition_offsets_5m", "partition_offsets_1h"):
        old = f"workbench dataset {name} schema version 1"
        DeltaTable(str(data / name)).alter.set_table_description(old)
    result = runner.invoke(
        main,
        ["report", "lag-trend", "--data-dir", str(data), "-p", "resolution", "1h", "--out", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "rollups of an older workbench" in result.output and "workbench rollup rebuild" in result.output
    lag = runner.invoke(main, ["lag", "--data-dir", str(data), "--json"])  # only the guess is lost
    assert lag.exit_code == 0, lag.output
    again = runner.invoke(main, ["compact", "--data-dir", str(data), "--all-days"])
    assert again.exit_code == 0, again.output
    assert "partition_offsets_1h: rollups of an older workbench emptied" in again.output
    assert "partition_offsets_5m: rollups of an older workbench emptied" in again.output
    assert "rolled up 7 day(s)" in again.output
    got = Store(data).read("partition_offsets_1h").sort("topic", "partition", "ts")
    assert got.equals(want)
    assert "offsets_1h" not in again.output.split("rolled up")[0]  # the raw tables were not touched


@pytest.mark.slow
def test_two_compactions_reset_an_outdated_rollup_table_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both see the old version; the second, once it holds the lock, finds it reset and keeps
    what the first wrote since."""
    from deltalake import DeltaTable

    from workbench.store.versions import outdated_rollups, reset_outdated_rollups

    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    assert CliRunner().invoke(main, ["compact", "--data-dir", str(data), "--all-days"]).exit_code == 0
    DeltaTable(str(data / "partition_offsets_1h")).alter.set_table_description(
        "workbench dataset partition_offsets_1h schema version 1"
    )
    first, second = Store(data), Store(data)
    assert outdated_rollups(second) == ["partition_offsets_1h"]  # seen before the first resets
    assert reset_outdated_rollups(first) == ["partition_offsets_1h"]
    rows = Store(data).read("partition_offsets", since=dt.datetime(2026, 11, 19, tzinfo=dt.UTC))
    first.append("partition_offsets_1h", rollup(rows, "partition_offsets", "1h"))
    written = Store(data).read("partition_offsets_1h").height
    assert written > 0
    import workbench.store.versions as versions

    monkeypatch.setattr(
        versions, "outdated_rollups", lambda store: ["partition_offsets_1h"]
    )  # its stale list
    assert reset_outdated_rollups(second) == []
    assert Store(data).read("partition_offsets_1h").height == written


@pytest.mark.slow
@pytest.mark.parametrize(
    ("first", "second"),
    [
        (["compact", "--all-days"], ["compact", "--all-days"]),
        (["compact", "--all-days"], ["rollup", "rebuild"]),
        (["rollup", "rebuild"], ["rollup", "rebuild"]),
    ],
)
def test_two_rollup_writers_at_once_write_every_row_once(
    tmp_path: Path, first: list[str], second: list[str]
) -> None:
    """Two processes rolling up at once end with the rollups one compaction writes: each day
    written once, never twice."""
    import subprocess
    import sys

    from workbench.simulate import simulate

    data = tmp_path / "data"
    simulate(data, cluster="mid", days=2, interval="1m", scale="sample", partitions=30)
    alone = tmp_path / "alone"
    shutil.copytree(data, alone)
    assert CliRunner().invoke(main, ["compact", "--data-dir", str(alone), "--all-days"]).exit_code == 0

    def run(args: list[str]) -> subprocess.Popen[str]:
        cmd = [sys.executable, "-m", "workbench", *args, "--data-dir", str(data)]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    both = [run(first), run(second)]
    for proc in both:
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out
    names = ("offsets_5m", "offsets_1h", "partition_offsets_5m", "partition_offsets_1h")
    for name in names:
        keys = (
            ["ts", "group", "topic", "partition"]
            if name.startswith("offsets")
            else ["ts", "topic", "partition"]
        )
        got, want = Store(data).read(name).sort(keys), Store(alone).read(name).sort(keys)
        assert got.height == want.height, name
        assert got.equals(want), name
