"""Snapshots the collector flagged (clock stepped back, gap under a tenth of the interval) stay
on disk and are left out of the loaded history, so no rate is computed across them."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from factories import offsets, partition_offsets

from workbench.frames import load_offsets, load_partition_offsets
from workbench.schema import CLOCK_FLAG_PREFIX, conform
from workbench.store import Store

T0 = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def _snapshot(store: Store, ts: dt.datetime, offset: int, note: str | None) -> None:
    where = {"t0": ts, "cluster": "c", "source": "collector"}
    store.append("partition_offsets", partition_offsets([(0, offset)], **where))
    store.append("offsets", offsets([(0, offset, offset)], conformed=True, **where))
    row = {"ts": [ts], "cluster": ["c"], "kind": ["offsets"], "ok": [True], "error": [note]}
    store.append("collections", conform(pl.DataFrame(row), "collections"))


# notes of the three snapshots at 0 s, 30 s, 31 s -> snapshots (seconds) left in the history
CASES = [
    ((None, None, None), [0, 30, 31]),  # nothing flagged
    ((None, None, f"{CLOCK_FLAG_PREFIX}1.000s after the previous snapshot"), [0, 30]),  # a short gap
    ((None, "3 of 40 groups did not answer (x)", None), [0, 30, 31]),  # a partial note is no flag
]


@pytest.mark.parametrize(("notes", "kept"), CASES)
def test_flagged_snapshots_are_left_out(tmp_path, notes, kept):
    store = Store(tmp_path)
    for seconds, note in zip((0, 30, 31), notes, strict=True):
        _snapshot(store, T0 + dt.timedelta(seconds=seconds), 100 + seconds, note)
    want = [T0 + dt.timedelta(seconds=s) for s in kept]
    assert load_offsets(tmp_path, since=None)["ts"].to_list() == want
    assert load_partition_offsets(tmp_path, since=None)["ts"].to_list() == want
    assert store.read("offsets").height == 3  # still on disk
