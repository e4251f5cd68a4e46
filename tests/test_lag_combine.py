"""Chunks of one group merged row by row (analyze.lag.combine.paired) give the group-by's frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.analyze.burrow.rules import STATUS_CODES
from workbench.analyze.lag import analyze_lag
from workbench.analyze.lag.combine import merge_lag, merge_status, paired
from workbench.analyze.lag.findings import worst_partition_status
from workbench.frames import load_offsets

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def chunks() -> tuple[object, object]:
    """The analyses of two halves of the partitions of the sample's biggest group."""
    offsets = load_offsets(SAMPLE, since=None)
    group = offsets.group_by("group").len().sort("len", "group").row(-1)[0]
    rows = offsets.filter(pl.col("group") == group)
    keys = rows.select("topic", "partition").unique().sort("topic", "partition")
    half = keys.height // 2
    return tuple(analyze_lag(rows.join(k, on=["topic", "partition"])) for k in (keys[:half], keys[half:]))


def grouped(
    merge: Callable[[Sequence[pl.DataFrame]], pl.DataFrame], a: pl.DataFrame, b: pl.DataFrame
) -> pl.DataFrame:
    """The group-by path: a third, empty frame makes the pair no pair."""
    return merge([a, b, a.clear()])


def with_nulls(frame: pl.DataFrame, every: int, offset: int) -> pl.DataFrame:
    """Every ``every``-th row's non-key numbers nulled (both, one or no side null at a key)."""
    hit = (pl.int_range(pl.len()) % every) == offset
    numbers = [c for c, t in frame.schema.items() if t.is_numeric() and c not in ("partition",)]
    return frame.with_columns(pl.when(~hit).then(pl.col(c)).alias(c) for c in numbers)


MERGES = [("groups", merge_lag), ("group_status", merge_status)]


@pytest.mark.parametrize(("name", "merge"), MERGES, ids=[m[0] for m in MERGES])
@pytest.mark.parametrize(("every_a", "every_b"), [(0, 0), (3, 5), (2, 2)])
def test_a_pair_merges_row_by_row_as_the_group_by_does(chunks, name, merge, every_a, every_b) -> None:  # type: ignore[no-untyped-def]
    a, b = (getattr(c, name) for c in chunks)
    if every_a:
        a, b = with_nulls(a, every_a, 0), with_nulls(b, every_b, 1)
    assert paired([a, b], ["group", "ts"]) is not None  # the fast path is taken
    assert_frame_equal(merge([a, b]), grouped(merge, a, b), check_exact=False, rel_tol=1e-12)


def test_topic_frames_merge_row_by_row_as_the_group_by_does(chunks) -> None:  # type: ignore[no-untyped-def]
    a, b = (c.topics for c in chunks)
    common = a.join(b.select("topic").unique(), on="topic", how="semi")
    other = b.join(common.select("topic").unique(), on="topic", how="semi")
    assert common.height and other.height

    def merge(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
        return merge_lag(frames, by=("topic",))

    assert_frame_equal(
        merge([common, other]), grouped(merge, common, other), check_exact=False, rel_tol=1e-12
    )


def test_frames_of_different_snapshots_are_no_pair(chunks) -> None:  # type: ignore[no-untyped-def]
    a, b = (c.groups for c in chunks)
    assert paired([a, b.slice(1)], ["group", "ts"]) is None  # a snapshot missing
    assert paired([a, b.reverse()], ["group", "ts"]) is None  # another order
    assert paired([a.clear(), b.clear()], ["group", "ts"]) is None
    assert_frame_equal(merge_lag([a, b.slice(1)]), grouped(merge_lag, a, b.slice(1)))


@pytest.mark.parametrize(
    ("statuses", "want"),
    [
        (["OK", "WARN"], "WARN"),
        (["STALL", "STOP", "REWIND"], "STOP"),
        (["REWIND", "OK", "STALL"], "STALL"),
        (["OK", "REWIND"], "REWIND"),
        (["NOTFOUND", "OK"], "OK"),
        (["NOTFOUND"], "NOTFOUND"),
    ],
)
def test_worst_partition_status_by_code_equals_by_name(statuses: list[str], want: str) -> None:
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    frame = pl.DataFrame({"group": "g", "ts": at, "status": statuses}).with_columns(
        status_code=pl.col("status").replace_strict(STATUS_CODES, return_dtype=pl.Int8),
    )
    by_code = worst_partition_status(frame)
    by_name = worst_partition_status(frame.drop("status_code"))
    assert by_code["detail"].to_list() == [want] == by_name["detail"].to_list()
