"""The Parquet store: partitioning, atomic writes, crash-safe compaction, schema versions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from workbench.errors import StoreError
from workbench.schema import conform
from workbench.store import Store

T0 = dt.datetime(2026, 11, 20, 23, 59, tzinfo=dt.UTC)


def _offsets(ts: dt.datetime, cluster: str = "c1", n: int = 3) -> pl.DataFrame:
    return conform(
        pl.DataFrame(
            {
                "ts": [ts] * n,
                "cluster": [cluster] * n,
                "group": ["g"] * n,
                "topic": ["t"] * n,
                "partition": list(range(n)),
                "committed_offset": [10, None, 30][:n],
                "log_end_offset": [15, 20, 30][:n],
            }
        ),
        "offsets",
    )


def test_append_partitions_by_cluster_and_date(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append("offsets", pl.concat([_offsets(T0), _offsets(T0 + dt.timedelta(minutes=2))]))
    store.append("offsets", _offsets(T0, cluster="prod/eu 1"))
    days = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("offsets/*/*"))
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
    window = store.read("offsets", cluster="c1", since=T0 + dt.timedelta(minutes=1))
    assert window.height == 3


def test_schema_is_enforced_on_write(tmp_path: Path) -> None:
    bad = _offsets(T0).with_columns(committed_offset=pl.lit("ten"))
    with pytest.raises(Exception, match=r"(?i)conversion|cast"):
        Store(tmp_path).append("offsets", bad)
    assert not list(tmp_path.rglob("*.parquet"))
    with pytest.raises(StoreError, match="unknown dataset"):
        Store(tmp_path).append("nope", _offsets(T0))


def test_compaction_merges_and_survives_a_crash_before_cleanup(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for i in range(4):
        store.append("offsets", _offsets(T0 - dt.timedelta(minutes=10 * i)))
    before = store.read("offsets").sort("ts", "partition")
    ddir = next(tmp_path.glob("offsets/*/date=*"))
    sources = sorted(ddir.glob("*.parquet"))
    assert len(sources) == 4
    # a crash right after the merged file was renamed into place, before the sources were removed:
    merged = ddir / "20261120T000000000000-compact-crash.parquet"
    table = pq.read_table(sources[0])
    meta = json.loads(table.schema.metadata[b"workbench"])
    meta["replaces"] = [p.name for p in sources]
    frame = pl.read_parquet(sources).sort("ts")
    pq.write_table(
        frame.to_arrow().replace_schema_metadata({b"workbench": json.dumps(meta).encode()}), merged
    )
    assert store.read("offsets").sort("ts", "partition").equals(before)  # nothing counted twice
    store.compact("offsets")
    assert [p.name for p in ddir.glob("*.parquet")] == [merged.name]
    assert store.read("offsets").sort("ts", "partition").equals(before)


def test_compact_keeps_today_unless_asked(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for i in range(2):
        store.append("offsets", _offsets(T0 + dt.timedelta(minutes=i)))  # 23:59 and 00:00 next day
    assert store.compact("offsets", before=dt.date(2026, 11, 21)) == []  # one file per day: nothing to merge
    store.append("offsets", _offsets(T0 - dt.timedelta(minutes=5)))
    assert len(store.compact("offsets", before=dt.date(2026, 11, 21))) == 1


def test_wrong_schema_version_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    (path,) = store.append("offsets", _offsets(T0))
    table = pq.read_table(path)
    pq.write_table(
        table.replace_schema_metadata({b"workbench": b'{"dataset": "offsets", "version": 99}'}), path
    )
    with pytest.raises(StoreError, match="schema version 99"):
        store.read("offsets")


def test_no_temp_files_left_and_empty_frames_write_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.append("offsets", _offsets(T0).head(0)) == []
    store.append("offsets", _offsets(T0))
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]
