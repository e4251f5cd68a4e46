"""Closed days of offsets clustered by group (workbench/store/bygroup.py) through `Store.compact`."""

from __future__ import annotations

import datetime as dt
import errno
from pathlib import Path

import polars as pl
import pytest

from workbench.errors import StoreFullError
from workbench.schema import conform
from workbench.store import Store, bygroup

DAY = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
GROUPS = ["g-a", "g-b", "g-c", "g-d", "g-e"]


def _snapshot(ts: dt.datetime, groups: list[str] = GROUPS) -> pl.DataFrame:
    rows = [(g, p) for g in groups for p in range(4)]
    return conform(
        pl.DataFrame(
            {
                "ts": [ts] * len(rows),
                "cluster": ["c1"] * len(rows),
                "group": [g for g, _ in rows],
                "topic": ["t"] * len(rows),
                "partition": [p for _, p in rows],
                "committed_offset": [int(ts.timestamp()) + p for _, p in rows],
                "source": ["simulate"] * len(rows),
            }
        ),
        "offsets",
    )


def _history(root: Path, days: int = 2, snapshots: int = 6) -> Store:
    """``days`` days of ``snapshots`` each, then one snapshot on the newest day (never clustered)."""
    store = Store(root)
    for d in range(days):
        for i in range(snapshots):
            store.append("offsets", _snapshot(DAY + dt.timedelta(days=d, hours=3 * i)))
    store.append("offsets", _snapshot(DAY + dt.timedelta(days=days, hours=1)))
    return store


def _key(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort("ts", "group", "partition")


def _day_files(root: Path, day: str) -> list[Path]:
    return sorted((root / "offsets" / "cluster=c1" / f"date={day}").glob("*.parquet"))


@pytest.mark.parametrize(
    ("sizes", "rows_per_file", "want"),
    [
        ([("a", 3), ("b", 3), ("c", 3)], 6, [["a", "b"], ["c"]]),
        ([("a", 10), ("b", 1)], 6, [["a"], ["b"]]),  # a bigger group is a file of its own
        ([("a", 1), (None, 1)], 6, [["a", None]]),  # rows without a group stay
        ([(k, 1) for k in "abcdefgh"], 1, [["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]]),  # 4 passes
    ],
)
def test_ranges_pack_consecutive_groups(sizes, rows_per_file, want, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bygroup, "ROWS_PER_FILE", rows_per_file)
    monkeypatch.setattr(bygroup, "MAX_PASSES", 4)
    assert bygroup.ranges(sizes, sum(n for _, n in sizes)) == want


def test_compact_clusters_closed_days_by_group_and_keeps_every_row(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bygroup, "ROWS_PER_FILE", 48)  # two groups a file: 3 files a day
    store = _history(tmp_path)
    before = _key(store.read("offsets"))
    new = store.compact("offsets", before=dt.date(2026, 11, 5))
    assert len(new) == 6
    after = store.read("offsets")
    assert _key(after).equals(before)
    for day in ("2026-11-02", "2026-11-03"):
        files = [p for p in _day_files(tmp_path, day) if str(p) in set(store.files("offsets"))]
        assert [p.name.endswith(bygroup.MARK) for p in files] == [True] * 3
        spans = sorted(
            pl.read_parquet(p).select(lo=pl.col("group").min(), hi=pl.col("group").max()).row(0)
            for p in files
        )
        assert [g for span in spans for g in span] == ["g-a", "g-b", "g-c", "g-d", "g-e", "g-e"]
        for p in files:  # each file in time order
            assert pl.read_parquet(p)["ts"].is_sorted()
    assert store.compact("offsets", before=dt.date(2026, 11, 5)) == []  # done days stay as they are
    newest = store.files("offsets", since=DAY + dt.timedelta(days=2))
    assert len(newest) == 1 and not newest[0].endswith(bygroup.MARK)  # the newest day: as it was


def test_a_late_append_to_a_clustered_day_is_clustered_with_it(tmp_path: Path) -> None:
    store = _history(tmp_path, days=1)
    store.compact("offsets", before=dt.date(2026, 11, 3))
    late = _snapshot(DAY + dt.timedelta(hours=23), ["g-z", "g-a"])
    store.append("offsets", late)
    new = store.compact("offsets", before=dt.date(2026, 11, 3))
    assert len(new) == 1 and new[0].endswith(bygroup.MARK)
    frame = store.read("offsets")
    assert frame.height == 7 * 20 + late.height
    assert not frame.select("ts", "group", "partition").is_duplicated().any()
    assert len(store.files("offsets")) == 2  # the clustered day and the newest


def test_today_is_bin_packed_not_clustered(tmp_path: Path) -> None:
    store = _history(tmp_path, days=1)
    store.compact("offsets", before=dt.date(2026, 11, 2))  # the day is still open
    files = store.files("offsets")
    assert len(files) == 2 and not any(f.endswith(bygroup.MARK) for f in files)  # bin-packed


def test_a_full_disk_while_clustering_commits_nothing_and_leaves_no_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bygroup, "ROWS_PER_FILE", 48)
    store = _history(tmp_path, days=1)
    before, files = _key(store.read("offsets")), sorted(store.files("offsets"))
    on_disk = _day_files(tmp_path, "2026-11-02")
    real, calls = pl.LazyFrame.sink_parquet, []

    def sink(self, path, **kw):  # type: ignore[no-untyped-def]
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path, **kw)

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", sink)
    with pytest.raises(StoreFullError, match="no space left"):
        store.compact("offsets", before=dt.date(2026, 11, 3))
    assert sorted(store.files("offsets")) == files
    assert _day_files(tmp_path, "2026-11-02") == on_disk  # the first file written was removed
    assert _key(Store(tmp_path).read("offsets")).equals(before)
