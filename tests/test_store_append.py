"""Appends written by Polars and committed as add actions: the statistics delta-rs would write,
readable by delta-rs itself, and no file left behind by a failed write."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from workbench.errors import StoreError
from workbench.schema import conform
from workbench.store import Store
from workbench.store.append import stats_json

T = dt.datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("column", "want_min", "want_max"),
    [
        (
            pl.Series("ts", [T, T + dt.timedelta(seconds=5)]),
            "2026-11-20T10:00:00.123Z",
            "2026-11-20T10:00:05.123Z",
        ),
        (pl.Series("day", [T.date(), T.date()]), "2026-11-20", "2026-11-20"),
        (pl.Series("n", [3, None], dtype=pl.Int32), 3, 3),
        (pl.Series("x", [1.5, float("nan")]), None, None),  # NaN has no JSON form: left out
        (pl.Series("s", ["a", "b"]), "a", "b"),
        (pl.Series("long", ["x" * 33, "y"]), None, None),  # over 32 characters: left out
        (pl.Series("flag", [True, False]), None, None),
        (pl.Series("parts", [[1, 2], [3]]), None, None),  # nested: no min/max
        (pl.Series("empty", [None, None], dtype=pl.String), None, None),
    ],
)
def test_stats_json_writes_what_delta_readers_expect(column: pl.Series, want_min, want_max) -> None:  # type: ignore[no-untyped-def]
    stats = json.loads(stats_json(pl.DataFrame([column])))
    assert stats["numRecords"] == 2
    assert stats["minValues"].get(column.name) == want_min
    assert stats["maxValues"].get(column.name) == want_max
    assert stats["nullCount"][column.name] == column.null_count()


def _offsets(n: int, cluster: str = "c") -> pl.DataFrame:
    return conform(
        pl.DataFrame(
            {
                "ts": [T + dt.timedelta(minutes=i) for i in range(n)],
                "cluster": cluster,
                "group": "g",
                "topic": "t",
                "partition": 0,
                "committed_offset": list(range(n)),
                "log_start_offset": 0,
                "log_end_offset": [i + 5 for i in range(n)],
                "source": "simulate",
            }
        ),
        "offsets",
    )


def test_appends_read_back_through_delta_rs_with_their_statistics(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append("offsets", _offsets(3))
    store.append("offsets", _offsets(1000).with_columns(ts=pl.col("ts") + dt.timedelta(days=1)))
    table = DeltaTable(str(tmp_path / "offsets"))
    assert table.to_pyarrow_table().num_rows == 1003  # delta-rs reads what Polars wrote
    actions = pl.DataFrame(table.get_add_actions(flatten=True))
    assert actions["num_records"].sort().to_list() == [3, 160, 840]  # one file per day
    assert actions["max.ts"].max() == dt.datetime(
        2026, 11, 22, 2, 39, 0, 123000, tzinfo=dt.UTC
    )  # ms, as delta-rs
    assert store.read("offsets").height == 1003


def test_a_failed_write_leaves_no_file_and_no_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path)
    store.append("offsets", _offsets(3))
    before = sorted(p.name for p in (tmp_path / "offsets").rglob("*.parquet"))

    def full_disk(self, path, **kwargs):  # type: ignore[no-untyped-def]
        Path(path).write_bytes(b"PAR1 partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full_disk)
    with pytest.raises(StoreError, match=r"(?i)no space left"):
        store.append("offsets", _offsets(10).with_columns(ts=pl.col("ts") + dt.timedelta(days=2)))
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "offsets").rglob("*.parquet")) == before
    assert store.read("offsets").height == 3
