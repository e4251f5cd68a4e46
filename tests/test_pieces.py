"""A long history in pieces of whole groups (frames.offsets_in_pieces) analysed piece by piece
(analyze.analyze_lag_pieces) gives what analyze_lag gives on the whole history."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.analyze import analyze_lag, analyze_lag_pieces
from workbench.errors import ConfigError, WorkbenchError
from workbench.frames import load_offsets, load_partition_offsets, offsets_in_pieces
from workbench.frames.pieces import pack, reading_sets

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def sizes(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["group", "topic", "len"], orient="row")


@pytest.mark.parametrize(
    ("edges", "want"),
    [
        # scenario: each group reads its own topic -> one set per group, by name
        ([("b", "t2", 5), ("a", "t1", 3)], [(["a"], 3), (["b"], 5)]),
        # two groups share a topic -> one set, rows summed
        ([("a", "t1", 3), ("b", "t1", 4), ("c", "t3", 1)], [(["a", "b"], 7), (["c"], 1)]),
        # a chain: a-t1-b-t2-c -> all three together
        (
            [("a", "t1", 1), ("b", "t1", 1), ("b", "t2", 1), ("c", "t2", 1), ("d", "t9", 1)],
            [(["a", "b", "c"], 4), (["d"], 1)],
        ),
        # a group reading two topics nobody else reads -> one set
        ([("a", "t1", 2), ("a", "t2", 2)], [(["a"], 4)]),
    ],
)
def test_groups_sharing_topics_form_one_reading_set(edges, want) -> None:  # type: ignore[no-untyped-def]
    assert reading_sets(sizes(edges)) == want


@pytest.mark.parametrize(
    ("sets", "limit", "want"),
    [
        ([(["a"], 3), (["b"], 3), (["c"], 3)], 6, [["a", "b"], ["c"]]),  # fill up to the limit
        ([(["a"], 10), (["b"], 1)], 5, [["a"], ["b"]]),  # a bigger set is a piece of its own
        ([(["a", "b"], 2), (["c"], 2)], 100, [["a", "b", "c"]]),  # everything fits
        ([], 5, []),
    ],
)
def test_pack_reading_sets_into_pieces(sets, limit, want) -> None:  # type: ignore[no-untyped-def]
    assert pack(sets, limit) == want


needs_sample = pytest.mark.skipif(not (SAMPLE / "offsets").is_dir(), reason="needs the shipped data/sample")


@needs_sample
def test_pieces_cover_the_history_once_and_keep_topic_readers_together() -> None:
    whole = load_offsets(SAMPLE, since=None)
    pieces = list(offsets_in_pieces(SAMPLE, since=None, rows_per_piece=40_000))
    assert len(pieces) > 3
    assert sum(p.height for p in pieces) == whole.height
    keys = ["group", "topic", "partition", "ts"]
    assert_frame_equal(pl.concat(pieces).sort(keys), whole.sort(keys))
    topic_piece = pl.concat(
        [p.select("topic").unique().with_columns(piece=pl.lit(i)) for i, p in enumerate(pieces)]
    )
    assert topic_piece.group_by("topic").agg(pl.col("piece").n_unique()).get_column("piece").max() == 1
    assert all(p.equals(p.sort(keys)) for p in pieces)  # the analysis's order


@pytest.mark.slow
@needs_sample
def test_a_group_bigger_than_a_piece_comes_as_consecutive_pieces_of_its_partitions() -> None:
    whole = load_offsets(SAMPLE, since=None)
    pieces = list(
        offsets_in_pieces(SAMPLE, since=None, rows_per_piece=8_000, split_sets=True, split_groups=True)
    )
    keys = ["group", "topic", "partition", "ts"]
    assert_frame_equal(pl.concat(pieces).sort(keys), whole.sort(keys))
    owner = pl.concat(  # every partition of a group in exactly one piece, a group's pieces consecutive
        [
            p.select("group", "topic", "partition").unique().with_columns(piece=pl.lit(i))
            for i, p in enumerate(pieces)
        ]
    )
    assert owner.group_by("group", "topic", "partition").len()["len"].max() == 1
    spans = owner.group_by("group").agg(
        lo=pl.col("piece").min(), hi=pl.col("piece").max(), n=pl.col("piece").n_unique()
    )
    assert (spans["hi"] - spans["lo"] + 1 == spans["n"]).all()
    assert spans["n"].max() > 1  # some group was split
    assert all(p.equals(p.sort(keys)) for p in pieces)


@pytest.mark.slow  # 12 s of CPU
@needs_sample
def test_analysis_in_pieces_equals_the_whole_analysis() -> None:
    whole = analyze_lag(load_offsets(SAMPLE, since=None))
    pieces = analyze_lag_pieces(
        offsets_in_pieces(SAMPLE, since=None, rows_per_piece=40_000), keep_partitions=True
    )
    for name in ("groups", "members", "topics", "group_status", "partition_status", "partitions"):
        # sums over fewer groups add in another order; a drain time divides by a difference of
        # such sums, which magnifies their last-bit differences
        assert_frame_equal(getattr(pieces, name), getattr(whole, name), check_exact=False, rel_tol=1e-9)
    # with the denser log-end history (what the report passes), piece by piece
    # (a broker that reached each log end a minute earlier than the snapshots saw: longer time lags)
    ends = load_partition_offsets(SAMPLE, since=None).with_columns(pl.col("ts") - pl.duration(minutes=1))
    whole_ends = analyze_lag(load_offsets(SAMPLE, since=None), ends)
    pieces_ends = analyze_lag_pieces(offsets_in_pieces(SAMPLE, since=None, rows_per_piece=60_000), None, ends)
    for name in ("groups", "members", "topics", "group_status"):
        assert_frame_equal(
            getattr(pieces_ends, name), getattr(whole_ends, name), check_exact=False, rel_tol=1e-9
        )
    assert (pieces_ends.groups["max_time_lag_s"] > pieces.groups["max_time_lag_s"]).any()  # it was used
    split = offsets_in_pieces(SAMPLE, since=None, rows_per_piece=8_000, split_sets=True, split_groups=True)
    chunks = analyze_lag_pieces(split, None, ends, keep_partitions=True)  # groups in chunks of partitions
    # (not topics: with split_sets, a topic read by groups in several pieces has a row per piece)
    for name in ("groups", "members", "group_status", "partition_status", "partitions"):
        assert_frame_equal(getattr(chunks, name), getattr(whole_ends, name), check_exact=False, rel_tol=1e-9)
    slim = analyze_lag_pieces(offsets_in_pieces(SAMPLE, since="1d", rows_per_piece=40_000))
    assert slim.partitions.is_empty() and slim.partitions.columns == whole.partitions.columns
    assert slim.groups.height > 0


@needs_sample
def test_bad_piece_arguments_name_the_problem() -> None:
    with pytest.raises(ConfigError, match="rows_per_piece"):
        next(offsets_in_pieces(SAMPLE, rows_per_piece=0))
    with pytest.raises(WorkbenchError, match="no pieces"):
        analyze_lag_pieces(offsets_in_pieces(SAMPLE, groups="no-such-group"))
