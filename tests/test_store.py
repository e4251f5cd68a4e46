"""The Delta store: partitioning, commits, compaction, schema versions, completion marker, bad files."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import polars as pl
import pytest
from deltalake import write_deltalake
from factories import offsets

from workbench.errors import StoreError, StoreLayoutError
from workbench.schema import conform
from workbench.store import Store
from workbench.store.check import check, quarantine

T0 = dt.datetime(2026, 11, 20, 23, 59, tzinfo=dt.UTC)


def _offsets(ts: dt.datetime, cluster: str = "c1", n: int = 3, source: str = "simulate") -> pl.DataFrame:
    snaps = [(0, 10, 15, 0), (0, None, 20, 1), (0, 30, 30, 2)][:n]
    return offsets(snaps, t0=ts, conformed=True, cluster=cluster, source=source)


def _marker(ts: dt.datetime, cluster: str = "c1", ok: bool = True) -> pl.DataFrame:
    return conform(pl.DataFrame([{"ts": ts, "cluster": cluster, "kind": "offsets", "ok": ok}]), "collections")


def test_append_partitions_by_cluster_and_date(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append("offsets", pl.concat([_offsets(T0), _offsets(T0 + dt.timedelta(minutes=2))]))
    store.append("offsets", _offsets(T0, cluster="prod/eu 1"))
    assert (tmp_path / "offsets" / "_delta_log").is_dir()
    days = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("offsets/cluster=*/*"))
    assert days == [
        "offsets/cluster=c1/date=2026-11-20",
        "offsets/cluster=c1/date=2026-11-21",
        "offsets/cluster=prod%2Feu%201/date=2026-11-20",
    ]
    assert store.clusters("offsets") == ["c1", "prod/eu 1"]
    back = store.read("offsets", cluster="c1")
    assert back.height == 6 and back.schema == _offsets(T0).schema
    assert back["committed_offset"].null_count() == 2  # nulls stay nulls
    assert store.latest_ts("offsets", "c1") == T0 + dt.timedelta(minutes=2)
    assert store.read("offsets", cluster="c1", since=T0 + dt.timedelta(minutes=1)).height == 3
    assert len(store.files("offsets", cluster="c1", since=T0 + dt.timedelta(minutes=1))) == 1


def test_schema_is_enforced_on_write(tmp_path: Path) -> None:
    bad = _offsets(T0).with_columns(committed_offset=pl.lit("ten"))
    with pytest.raises(Exception, match=r"(?i)conversion|cast"):
        Store(tmp_path).append("offsets", bad)
    assert not list(tmp_path.rglob("*.parquet"))
    with pytest.raises(StoreError, match="unknown dataset"):
        Store(tmp_path).append("nope", _offsets(T0))


def test_compaction_merges_days_and_keeps_every_row(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for i in range(4):
        store.append("offsets", _offsets(T0 - dt.timedelta(minutes=10 * i)))
    before = store.read("offsets").sort("ts", "partition")
    assert len(store.files("offsets")) == 4
    merged = store.compact("offsets")
    assert len(merged) == 1 and store.files("offsets") == merged
    assert store.read("offsets").sort("ts", "partition").equals(before)
    assert list((tmp_path / "offsets" / "_delta_log").glob("*.checkpoint.parquet"))
    assert store.compact("offsets") == []  # nothing left to merge


def test_compact_keeps_today_unless_asked(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for i in range(2):
        store.append("offsets", _offsets(T0 + dt.timedelta(minutes=i)))  # 23:59 and 00:00 next day
    closed = store.compact("offsets", before=dt.date(2026, 11, 21))  # the closed day: clustered by group
    assert [Path(f).parent.name for f in closed] == ["date=2026-11-20"]
    assert store.compact("offsets", before=dt.date(2026, 11, 21)) == []  # nothing left to do
    store.append("offsets", _offsets(T0 - dt.timedelta(minutes=5)))
    assert len(store.compact("offsets", before=dt.date(2026, 11, 21))) == 1
    assert len(store.files("offsets")) == 2  # one file a day: today's untouched


def test_another_schema_version_is_refused_in_one_line(tmp_path: Path) -> None:
    data = _offsets(T0).drop("cluster").to_arrow()
    write_deltalake(tmp_path / "offsets", data, description="workbench dataset offsets schema version 99")
    with pytest.raises(StoreLayoutError, match=r"schema version 99 .* reads version 1") as err:
        Store(tmp_path).read("offsets")
    assert "\n" not in str(err.value)


def test_old_layout_asks_for_migration(tmp_path: Path) -> None:
    day = tmp_path / "offsets" / "cluster=c1" / "date=2026-11-20"
    day.mkdir(parents=True)
    _offsets(T0).write_parquet(day / "20261120T235900000000-0123456789abcdef.parquet")
    with pytest.raises(StoreLayoutError, match=r"old Parquet layout: run `workbench store migrate"):
        Store(tmp_path).clusters("offsets")


def test_microsecond_windows_find_their_rows(tmp_path: Path) -> None:
    """The log's timestamp statistics are milliseconds: a window of one microsecond still hits."""
    store = Store(tmp_path)
    ts = T0 + dt.timedelta(microseconds=123_456)
    store.append("offsets", _offsets(ts, source="collector"))
    store.append("collections", _marker(ts))
    assert store.latest_ts("offsets", "c1") == ts
    assert store.read("offsets", cluster="c1", since=ts, until=ts + dt.timedelta(microseconds=1)).height == 3


def test_collector_snapshot_is_visible_once_its_marker_is(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append("offsets", _offsets(T0, source="collector"))
    store.append("collections", _marker(T0))
    t1 = T0 + dt.timedelta(seconds=30)
    store.append("offsets", _offsets(t1, source="collector"))  # crashed before its marker
    store.append("collections", _marker(t1 + dt.timedelta(seconds=30), ok=False))
    store.append("offsets", _offsets(t1, cluster="c2", source="consumer-groups"))  # importers: exempt
    assert store.read("offsets", cluster="c1")["ts"].unique().to_list() == [T0]
    assert store.latest_ts("offsets", "c1") == T0
    assert store.read("offsets").height == 6  # all clusters: c1's complete snapshot and c2's import
    assert store.scan("offsets", complete_only=False).collect().height == 9
    store.append("collections", _marker(t1))
    assert store.latest_ts("offsets", "c1") == t1


def test_a_pinned_store_reads_one_version_of_each_table(tmp_path: Path) -> None:
    """A read-only command's store: every read sees the versions loaded first, none later."""
    Store(tmp_path).append("offsets", _offsets(T0, source="collector"))
    Store(tmp_path).append("collections", _marker(T0))
    pinned = Store(tmp_path, pinned=True)
    assert pinned.clusters("stable_offsets") == []  # absent, and stays so for this store
    assert pinned.latest_ts("offsets", "c1") == T0
    t1 = T0 + dt.timedelta(minutes=1)
    Store(tmp_path).append("offsets", _offsets(t1, source="collector"))
    Store(tmp_path).append("collections", _marker(t1))
    Store(tmp_path).append("stable_offsets", _stable(t1))
    assert pinned.latest_ts("offsets", "c1") == T0
    assert pinned.read("offsets", cluster="c1")["ts"].unique().to_list() == [T0]
    assert pinned.clusters("stable_offsets") == []
    assert Store(tmp_path).latest_ts("offsets", "c1") == t1  # a new store sees the newer versions
    with pytest.raises(StoreError, match="read-only"):
        pinned.append("offsets", _offsets(t1))


def _stable(ts: dt.datetime) -> pl.DataFrame:
    return pl.DataFrame(
        {"ts": [ts], "cluster": ["c1"], "topic": ["t"], "partition": [0], "last_stable_offset": [5]}
    )


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _random(p: Path) -> None:
    p.write_bytes(os.urandom(p.stat().st_size))


def _bitflip(p: Path) -> None:
    raw = bytearray(p.read_bytes())
    raw[len(raw) - 6] ^= 0x10  # the footer length
    p.write_bytes(bytes(raw))


def _foreign(p: Path) -> None:
    pl.DataFrame({"x": ["not ours"] * 200}).write_parquet(p)


@pytest.mark.parametrize("damage", [_truncate, _empty, _random, _bitflip, _foreign])
def test_a_bad_file_is_skipped_with_one_warning_then_quarantined(
    tmp_path: Path, damage, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path)
    store.append("offsets", _offsets(T0))
    store.append("offsets", _offsets(T0 + dt.timedelta(minutes=1)))
    victim = Path(store.files("offsets")[0])
    damage(victim)
    with caplog.at_level(logging.WARNING, logger="workbench.store"):
        assert store.read("offsets").height == 3
        store.latest_ts("offsets", "c1")
    (bad,) = check(store)
    assert bad.uri == str(victim)
    lines = [r.getMessage() for r in caplog.records]
    assert all("\n" not in line for line in lines)
    assert len(lines) == 1 and str(victim) in lines[0] and "workbench check --quarantine" in lines[0]
    aside = Path(quarantine(store, [bad]))
    assert not victim.exists() and [p.name for p in aside.rglob("*.parquet")] == [victim.name]  # kept
    assert check(store) == [] and store.read("offsets").height == 3


def test_a_file_missing_from_disk_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = Store(tmp_path)
    store.append("offsets", _offsets(T0))
    store.append("offsets", _offsets(T0 + dt.timedelta(minutes=1)))
    Path(store.files("offsets")[-1]).unlink()
    with caplog.at_level(logging.WARNING, logger="workbench.store"):
        assert store.read("offsets").height == 3
    assert "missing" in caplog.records[0].getMessage()


def _corrupt_a_page(victim: Path) -> None:
    """Flip one bit after the footer checks pass but where Polars fails to decode the file."""
    import pyarrow.parquet as pq

    from workbench.store.settings import file_schema

    raw = victim.read_bytes()
    for pos in range(4, len(raw) // 2):
        flipped = bytearray(raw)
        flipped[pos] ^= 0x10
        victim.write_bytes(bytes(flipped))
        try:
            pq.read_metadata(victim)
        except Exception:
            continue  # a footer flip: covered above
        try:
            pl.read_parquet(victim, schema=file_schema("offsets"))
        except BaseException:
            return
    raise AssertionError("no page corruption that Polars notices")


def test_a_data_page_that_fails_to_decode_is_found_on_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path)
    store.append("offsets", pl.concat([_offsets(T0 - dt.timedelta(seconds=i)) for i in range(1, 300)]))
    store.append("offsets", _offsets(T0 + dt.timedelta(minutes=10)))
    victim = Path(store.files("offsets")[0])
    _corrupt_a_page(victim)
    with caplog.at_level(logging.WARNING, logger="workbench.store"):
        assert store.read("offsets").height == 3
    assert [r.getMessage() for r in caplog.records if str(victim) in r.getMessage()]
    assert [b.uri for b in check(store)] == [str(victim)]
