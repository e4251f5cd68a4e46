"""The offsets frame of one snapshot, built from group columns (pure: no broker)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.collect.groups import GroupColumns
from workbench.collect.offsets import _offsets_frame

TS = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
MARKS = pl.DataFrame(
    {
        "topic": ["t", "t", "t"],
        "partition": [0, 1, 2],
        "log_start_offset": [0, 0, 0],
        "log_end_offset": [9, 8, 7],
    },
    schema={
        "topic": pl.String,
        "partition": pl.Int32,
        "log_start_offset": pl.Int64,
        "log_end_offset": pl.Int64,
    },
)
# (group, state, committed [(partition, offset)], assigned [(partition, member)], described state)
GROUPS = {
    "a-empty": ("Empty", [(1, 5), (0, 4)], [], None),
    "b-stable": ("", [(0, 3)], [(2, "m2"), (0, "m1")], "Stable"),
    "c-claimed-twice": ("", [], [(1, "m1"), (1, "m2")], "PreparingRebalance"),
    "d-nothing": ("Empty", [], [], None),
}
# (group, partition, committed_offset, member_id, group_state, log_end_offset), in stored order
EXPECTED = [
    ("a-empty", 0, 4, None, "Empty", 9),
    ("a-empty", 1, 5, None, "Empty", 8),
    ("b-stable", 0, 3, "m1", "Stable", 9),
    ("b-stable", 2, None, "m2", "Stable", 7),
    ("c-claimed-twice", 1, None, "m1", "PreparingRebalance", 8),
]


def _columns(groups: dict) -> GroupColumns:
    cols = GroupColumns()
    for gid, (state, committed, assigned, described) in groups.items():
        cols.states["group"].append(gid)
        cols.states["group_state"].append(state or None)
        for partition, offset in committed:
            for key, value in zip(cols.committed, (gid, "t", partition, offset), strict=True):
                cols.committed[key].append(value)
        for partition, member in assigned:
            for key, value in zip(cols.assigned, (gid, "t", partition, member, "cl", "/h"), strict=True):
                cols.assigned[key].append(value)
        if described:
            cols.described[gid] = described
    return cols


@pytest.mark.parametrize(
    "names",
    [list(GROUPS), ["a-empty", "d-nothing"], ["b-stable", "c-claimed-twice"], ["c-claimed-twice"]],
    ids=["mixed", "no-assignments", "all-assigned", "assigned-only"],
)
def test_rows_state_and_watermarks(names: list[str]) -> None:
    cols = _columns({g: GROUPS[g] for g in names})
    frame = _offsets_frame(TS, "c1", cols, MARKS)
    got = frame.select("group", "partition", "committed_offset", "member_id", "group_state", "log_end_offset")
    assert got.rows() == [row for row in EXPECTED if row[0] in names]
    assert frame["ts"].unique().to_list() == [TS] and frame["cluster"].unique().to_list() == ["c1"]
    assert frame["client_id"].to_list() == ["cl" if row[3] else None for row in got.rows()]


def test_pop_frames_empties_the_columns() -> None:
    cols = _columns(GROUPS)
    committed, assigned, states = cols.pop_frames()
    assert (committed.height, assigned.height, states.height) == (3, 4, 4)
    assert not any(v for c in (cols.committed, cols.assigned, cols.states) for v in c.values())
