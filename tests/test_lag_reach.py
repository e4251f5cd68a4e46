"""`needed_log_ends`: the few log-end readings the time lag of one snapshot looks at give the same
time lags as the whole history (table of log-end shapes; the sample; a simulated multi-day
history with groups days behind), and `workbench lag` stays within its memory ceiling."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.analyze.lag import time_lag
from workbench.analyze.lag.reach import _partition_codes, _parts, needed_log_ends
from workbench.analyze.lag.rising import thin_rising
from workbench.frames import load_latest_offsets
from workbench.frames.lag import load_log_ends, load_log_ends_behind, load_log_ends_reaching

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "data" / "sample")
T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
NOW = 100  # minutes after T0: the snapshot's time
CEILING_MB = 300  # issue 11's ceiling for `workbench lag` on a week at full scale

# (case, log ends per minute from T0 for partition 0 (None: no reading), committed offsets of
# the groups at NOW, log start at NOW). The offsets row's own log end is the last value.
SHAPES = [
    ("steady growth, committed mid-way", list(range(0, 1010, 10)), [505, 900], 0),
    ("committed at a reading", list(range(0, 1010, 10)), [500], 0),
    (
        "idle for most of the window: newest end first reached long ago",
        [*range(0, 300, 10), *[300] * 71],
        [150],
        0,
    ),
    (
        "flat, then one step: the point before is the flat's first reading",
        [*[50] * 60, *range(60, 101)],
        [55],
        0,
    ),
    ("committed below the first reading: extrapolated", list(range(500, 1510, 10)), [100], 0),
    (
        "below the first reading and idle since: extrapolated to the end's first reach",
        [*range(500, 1200, 10), *[1200] * 31],
        [100],
        0,
    ),
    ("committed below the log start: raised to it", list(range(0, 1010, 10)), [20], 400),
    ("log end fell (topic recreated) before the commit", [*range(0, 500, 10), *range(5, 515, 10)], [200], 0),
    ("log end fell after the commit's reach", [*range(0, 600, 10), *range(3, 413, 10)], [300], 0),
    ("a dip of one reading", [*range(0, 500, 10), 480, *range(500, 1000, 10)], [490, 700], 0),
    (
        "gaps (no reading) and a null committed offset",
        [*range(0, 400, 10), *[None] * 20, *range(600, 1010, 10)],
        [None, 450],
        0,
    ),
    ("caught up: committed at the log end", list(range(0, 1010, 10)), [1000], 0),
    ("committed above the log end", list(range(0, 1010, 10)), [1200], 0),
]


def _history(ends: list[int | None]) -> pl.DataFrame:
    rows = [(T0 + dt.timedelta(minutes=i), e) for i, e in enumerate(ends) if e is not None]
    ts, end = zip(*rows, strict=True)
    base = pl.DataFrame(
        {"ts": ts, "log_end_offset": end}, schema={"ts": pl.Datetime("us", "UTC"), "log_end_offset": pl.Int64}
    )
    other = base.with_columns(pl.col("log_end_offset") * 3)  # partition 1: in the history only
    return pl.concat(
        [
            base.with_columns(cluster=pl.lit("c"), topic=pl.lit("t"), partition=pl.lit(0, pl.Int32)),
            other.with_columns(cluster=pl.lit("c"), topic=pl.lit("t"), partition=pl.lit(1, pl.Int32)),
        ]
    ).select("ts", "cluster", "topic", "partition", "log_end_offset")


def _offsets(ends: list[int | None], committed: list[int | None], log_start: int) -> pl.DataFrame:
    last = next(e for e in reversed(ends) if e is not None)
    n = len(committed)
    return pl.DataFrame(
        {
            "ts": [T0 + dt.timedelta(minutes=NOW)] * n,
            "cluster": ["c"] * n,
            "group": [f"g{i}" for i in range(n)],
            "topic": ["t"] * n,
            "partition": [0] * n,
            "committed_offset": committed,
            "log_start_offset": [log_start] * n,
            "log_end_offset": [last] * n,
        },
        schema_overrides={"partition": pl.Int32, "ts": pl.Datetime("us", "UTC")},
    )


@pytest.mark.parametrize(("case", "ends", "committed", "log_start"), SHAPES, ids=[s[0] for s in SHAPES])
def test_the_needed_readings_give_the_same_time_lag(
    case: str, ends: list[int | None], committed: list[int | None], log_start: int
) -> None:
    history = _history(ends[:-1])  # the snapshot's own reading comes with the offsets row
    offsets = _offsets(ends, committed, log_start)
    needed = needed_log_ends(offsets, history)
    assert needed is not None
    assert needed.height <= 8 < history.height, case  # a few readings per partition, not all
    assert_frame_equal(time_lag(offsets, needed), time_lag(offsets, history))


def _thin(offsets: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    o_code, h_code = _partition_codes(offsets.select("cluster", "topic", "partition"))  # type: ignore[misc]
    c = offsets.select(c=pl.max_horizontal("committed_offset", "log_start_offset"))["c"]
    committed = (o_code[c.is_not_null().to_numpy()], c.drop_nulls().to_numpy())
    return thin_rising(history, h_code, _parts(offsets, o_code), committed)


#: (case, how the history's rows are reordered or changed, whether the rising pass may thin it)
ORDERS = [
    ("as read: in time order", lambda h: h, True),
    ("newest first: out of time order", lambda h: h.reverse(), False),
    (
        "a reading twice",
        lambda h: pl.concat([h, h.head(1)]).sort("partition", "ts", maintain_order=True),
        False,
    ),
]


@pytest.mark.parametrize(("order", "reorder", "thins"), ORDERS, ids=[o[0] for o in ORDERS])
@pytest.mark.parametrize(("case", "ends", "committed", "log_start"), SHAPES, ids=[s[0] for s in SHAPES])
def test_the_rising_pass_keeps_every_time_lag(
    case: str, ends: list[int | None], committed: list[int | None], log_start: int, order: str, reorder, thins
) -> None:
    """Thinned only where the readings come in time order and never fall; the same time lags."""
    history = reorder(_history(ends[:-1]))
    offsets = _offsets(ends, committed, log_start)
    thinned = _thin(offsets, history)
    assert_frame_equal(time_lag(offsets, thinned), time_lag(offsets, history))
    rising = thins and "fell" not in case and "dip" not in case
    mine = pl.col("partition") == 0
    assert (thinned.filter(mine).height < history.filter(mine).height) == rising, (case, order)
    assert thinned.filter(~mine).height == history.filter(~mine).height  # no offsets rows: whole
    needed = needed_log_ends(offsets, history)
    assert needed is not None
    assert_frame_equal(time_lag(offsets, needed), time_lag(offsets, history))


def test_offsets_of_several_times_keep_the_rising_partition_whole() -> None:
    ends = list(range(0, 1010, 10))
    history = _history(ends[:-1])
    offsets = _offsets(ends, [505, 900], 0)
    offsets = offsets.with_columns(ts=pl.Series([T0 + dt.timedelta(minutes=m) for m in (NOW, NOW - 30)]))
    assert _thin(offsets, history).height == history.height


CUT = 40  # minutes after T0: a history read only from there


@pytest.mark.parametrize(("case", "ends", "committed", "log_start"), SHAPES, ids=[s[0] for s in SHAPES])
def test_a_history_read_from_a_cut_is_pruned_only_when_it_suffices(
    case: str, ends: list[int | None], committed: list[int | None], log_start: int
) -> None:
    """Either None (older readings are needed: read the whole window) or the same time lags."""
    history = _history(ends[:-1])
    offsets = _offsets(ends, committed, log_start)
    cut_at = T0 + dt.timedelta(minutes=CUT)
    cuts = pl.DataFrame({"cluster": ["c"], "topic": ["t"], "partition": [0], "_cut": [cut_at]})
    needed = needed_log_ends(
        offsets, history.filter(pl.col("ts") >= cut_at), cuts.cast({"partition": pl.Int32})
    )
    if needed is not None:
        assert_frame_equal(time_lag(offsets, needed), time_lag(offsets, history))
    # the reach (or the point before it) is the first reading from the cut, and no fall since
    short = ("idle for", "flat, then", "below the first", "below the log start", "gaps")
    assert (needed is None) == any(s in case for s in short), case


def test_a_partition_cut_to_no_reading_needs_the_whole_window() -> None:
    ends = list(range(0, 1010, 10))
    offsets = _offsets(ends, [500], 0).with_columns(log_end_offset=pl.lit(None, pl.Int64))
    cuts = pl.DataFrame(
        {"cluster": ["c"], "topic": ["t"], "partition": [0], "_cut": [T0 + dt.timedelta(days=1)]}
    )
    history = _history(ends[:-1])
    assert needed_log_ends(offsets, history.head(0), cuts.cast({"partition": pl.Int32})) is None
    assert_frame_equal(time_lag(offsets, needed_log_ends(offsets, history)), time_lag(offsets, history))


def test_duplicate_times_keep_the_highest_reading() -> None:
    history = _history(list(range(0, 1000, 10)))
    dupes = history.filter(pl.col("partition") == 0).with_columns(pl.col("log_end_offset") - 5)
    history = pl.concat([dupes, history]).sample(fraction=1.0, shuffle=True, seed=1)  # out of order too
    offsets = _offsets(list(range(0, 1010, 10)), [333, 777], 0)
    assert_frame_equal(time_lag(offsets, needed_log_ends(offsets, history)), time_lag(offsets, history))


def test_offsets_of_several_times_keep_their_partitions_whole() -> None:
    ends = list(range(0, 1010, 10))
    history = _history(ends[:-1])
    offsets = pl.concat(
        [
            _offsets(ends, [400], 0),
            _offsets(ends, [200], 0).with_columns(ts=pl.lit(T0 + dt.timedelta(minutes=60))),
        ]
    )
    needed = needed_log_ends(offsets, history)
    assert needed is not None and needed.filter(pl.col("partition") == 0).height == len(ends) - 1
    assert_frame_equal(time_lag(offsets, needed), time_lag(offsets, history))


@pytest.mark.parametrize(
    "history",
    [None, pl.DataFrame({"ts": [T0], "topic": ["t"], "partition": [0], "log_end_offset": [1]})],
    ids=["no history", "no cluster column"],
)
def test_history_it_cannot_prune_comes_back_unchanged(history: pl.DataFrame | None) -> None:
    offsets = _offsets([0, 10], [5], 0)
    assert needed_log_ends(offsets, history) is history


def _same_as_before(data_dir: str, cluster: str | None) -> pl.DataFrame:
    """The new path (needed readings) against the old one (every reading of the hour and of the
    week for partitions far behind) and against the whole week: equal frames."""
    offsets = load_latest_offsets(data_dir, cluster)
    behind = load_log_ends_behind(data_dir, offsets)
    new = time_lag(offsets, needed_log_ends(offsets, behind))
    assert_frame_equal(new, time_lag(offsets, behind))
    assert_frame_equal(new, time_lag(offsets, load_log_ends(data_dir, offsets["cluster"][0], "7d")))
    return new


def test_the_sample_keeps_its_time_lags() -> None:
    got = _same_as_before(SAMPLE, None)
    assert got.filter(pl.col("time_lag_s") > 86400).height > 0  # groups days behind are in it


@pytest.fixture(scope="module")
def days_behind(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Three days of 1-minute snapshots of a small cluster: two groups end days behind."""
    from workbench.frames.rollups import rebuild_rollups
    from workbench.simulate import simulate

    root = tmp_path_factory.mktemp("days-behind")
    simulate(root, cluster="mid", days=3, interval="1m", scale="sample", partitions=30)
    rebuild_rollups(root, "mid")  # the hourly rollups guide where the far readings start
    return str(root)


def test_a_simulated_history_days_behind_keeps_its_time_lags(days_behind: str) -> None:
    got = _same_as_before(days_behind, "mid")
    assert got.filter(pl.col("time_lag_s") > 86400).height > 0


def test_the_rollups_guess_where_to_start_reading(days_behind: str) -> None:
    offsets = load_latest_offsets(days_behind, "mid")
    history, cuts = load_log_ends_reaching(days_behind, offsets)
    whole, _ = load_log_ends_reaching(days_behind, offsets, guided=False)
    assert cuts is not None and not cuts.is_empty() and history is not None and whole is not None
    assert history.height < whole.height
    needed = needed_log_ends(offsets, history, cuts)
    assert needed is not None  # the guess sufficed
    assert_frame_equal(time_lag(offsets, needed), time_lag(offsets, whole))


def test_a_guess_too_late_falls_back_to_the_whole_window(
    days_behind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stale rollups (here: a guess of the last far hour) must not change a time lag."""
    import workbench.frames.log_ends as log_ends
    from workbench.cli.offsets import _stored_offsets

    offsets = load_latest_offsets(days_behind, "mid")
    want = time_lag(offsets, load_log_ends_behind(days_behind, offsets))
    late = offsets["ts"].max() - dt.timedelta(hours=2)  # type: ignore[operator]

    def too_late(
        data_dir: str, cluster: str, behind: pl.DataFrame, longest: str, near_min: dt.datetime
    ) -> pl.DataFrame:
        return behind.select("topic", "partition").with_columns(_cut=pl.lit(late), cluster=pl.lit(cluster))

    monkeypatch.setattr(log_ends, "_cuts_from_rollups", too_late)
    history, cuts = load_log_ends_reaching(days_behind, offsets)
    assert needed_log_ends(offsets, history, cuts) is None
    assert_frame_equal(_stored_offsets(days_behind, "mid", ()), want)


def test_an_unreadable_rollup_table_only_costs_the_guess(days_behind: str, tmp_path: Path) -> None:
    import shutil

    from workbench.cli.offsets import _stored_offsets

    copy = tmp_path / "data"
    shutil.copytree(days_behind, copy)
    for entry in (copy / "partition_offsets_1h" / "_delta_log").glob("*.json"):
        entry.write_text("not json\n")
    offsets = load_latest_offsets(str(copy), "mid")
    assert load_log_ends_reaching(str(copy), offsets)[1] is None
    want = time_lag(offsets, load_log_ends_behind(days_behind, offsets))
    assert_frame_equal(_stored_offsets(str(copy), "mid", ()), want)


@pytest.mark.slow
def test_workbench_lag_stays_within_its_memory_ceiling(tmp_path: Path) -> None:
    """`workbench lag --data-dir` on four days of 1-minute snapshots of 200 partitions (a group
    days behind) peaks under :data:`CEILING_MB`."""
    from workbench.simulate import simulate

    simulate(tmp_path, cluster="mid", days=4, interval="1m", scale="sample", partitions=200)
    peak = tmp_path / "peak_kb"
    # the child's own high-water mark, written as it exits (a forked child's ru_maxrss starts at
    # the parent's, this test process holding the simulated history)
    probe = (
        "import atexit, runpy, sys\n"
        "def peak():\n"
        "    line = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0]\n"
        f"    open({str(peak)!r}, 'w').write(line.split()[1])\n"
        "atexit.register(peak)\n"
        f"sys.argv = ['workbench', 'lag', '--data-dir', {str(tmp_path)!r}, '--json']\n"
        "runpy.run_module('workbench', run_name='__main__')\n"
    )
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)
    peak_mb = int(peak.read_text()) / 1024
    assert peak_mb < CEILING_MB, f"workbench lag peaked at {peak_mb:.0f} MB"
