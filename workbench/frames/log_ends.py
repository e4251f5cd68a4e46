"""The log-end history the time lag of one snapshot needs (``workbench lag --data-dir``).

The last hour of every partition, and for partitions far behind the readings from the hourly
rollups' guess of where their committed offset was reached (``_cut``). Where the rollups show the
log end never fell after that hour, the hours between are skipped too: the time lag looks only at
the segment since the last fall (docs/lag.md §2.5).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.errors import WorkbenchError
from workbench.frames.offsets import resolve_window, scan_partition_offsets
from workbench.scalars import as_int
from workbench.store import DataDir, Store

_KEYS = ["topic", "partition"]
_COLS = ["ts", "cluster", *_KEYS, "log_end_offset"]
_US = dt.timedelta(microseconds=1)


def load_log_ends_behind(
    data_dir: DataDir, offsets: pl.DataFrame, recent: str = "1h", longest: str = "7d"
) -> pl.DataFrame | None:
    """The log-end history the time lag of one snapshot of ``offsets`` needs: the last ``recent``
    of every partition, and up to ``longest`` back only for partitions where a committed offset
    is older than that (a group far behind). Not the whole week of every partition; unsorted."""
    return load_log_ends_reaching(data_dir, offsets, recent, longest, guided=False)[0]


def load_log_ends_reaching(
    data_dir: DataDir,
    offsets: pl.DataFrame,
    recent: str = "1h",
    longest: str = "7d",
    guided: bool = True,
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """:func:`load_log_ends_behind`, and with ``guided`` the far readings of each partition only
    from the hourly rollup before its committed offset was the log end, less the hours the rollups
    show rising (a guess: the caller checks the cut, ``workbench.analyze.lag.reach``; the skip is
    checked here). Returns (history, per-partition cut: topic, partition, ``_cut``, cluster, ...;
    None when nothing was cut). The far part only for the topics behind, streaming."""
    if offsets.is_empty() or not Store.of(data_dir).clusters("partition_offsets"):
        return None, None
    cluster = str(offsets["cluster"][0])
    near = scan_partition_offsets(data_dir, cluster, recent).select(_COLS).collect()
    if near.is_empty():
        return None, None
    behind = _far_behind(offsets, near)
    if behind.is_empty():
        return near, None
    near_min = near["ts"].min()
    assert isinstance(near_min, dt.datetime)
    cuts = _cuts_from_rollups(data_dir, cluster, behind, longest, near_min) if guided else None
    since = _far_since(data_dir, cluster, longest, behind, cuts)
    read = pl.concat([_far(data_dir, cluster, behind, cuts, since, near_min), near])
    if cuts is not None and "_upto" in cuts.columns and cuts["_upto"].null_count() < cuts.height:
        if not _skip_holds(read, cuts):  # a fall at the seam: read every hour
            unskipped = cuts.with_columns(_upto=None)
            read = pl.concat([_far(data_dir, cluster, behind, unskipped, since, near_min), near])
    return read, cuts


def _far(
    data_dir: DataDir,
    cluster: str,
    behind: pl.DataFrame,
    cuts: pl.DataFrame | None,
    since: dt.datetime | None,
    near_min: dt.datetime,
) -> pl.DataFrame:
    """The readings before the near window of the partitions behind: from each one's start, less
    its skipped hours (``_upto``, ``_skip_end``]; in time order per partition (row-wise lookups,
    no join: ``analyze.lag.rising`` relies on the order). Days no partition needs are not read."""
    topics = pl.col("topic").is_in(behind["topic"].unique().to_list())  # applied while decoding
    starts = _starts(behind, cuts, since)
    row = pl.col("ts") >= _per_partition(starts, "_from")
    scans = [(since, near_min)]
    if "_upto" in starts.columns and starts["_upto"].null_count() == 0 and starts.height:
        upto, resume = starts["_upto"].max(), starts["_skip_end"].min()
        assert isinstance(upto, dt.datetime) and isinstance(resume, dt.datetime)
        if upto < resume:  # every partition skips: two ranges of days
            scans = [(since, upto + _US), (resume + _US, near_min)]
    if "_upto" in starts.columns and starts["_upto"].null_count() < starts.height:
        last, back = _per_partition(starts, "_upto"), _per_partition(starts, "_skip_end")
        row &= (pl.col("ts") <= last) | (pl.col("ts") > back) | last.is_null()
    lazy = [
        scan_partition_offsets(data_dir, cluster, t0, t1).filter((pl.col("ts") < near_min) & topics)
        for t0, t1 in scans
    ]
    return pl.concat(lazy).filter(row).select(_COLS).collect(engine="streaming")


def _skip_holds(read: pl.DataFrame, cuts: pl.DataFrame) -> bool:
    """Whether each skipping partition's first reading after its skipped hours is at or above
    the log end they ended at, and one of its readings after them is above it (the newest log end
    was first reached after them): then the skipped readings are never looked at. A partition
    idle since inside them (a stopped topic) fails the second: every hour is read, as before."""
    skip = cuts.filter(pl.col("_upto").is_not_null()).select(*_KEYS, "_skip_end", "_e_end")
    ts, end = pl.col("ts"), pl.col("log_end_offset")
    after = (
        read.lazy()
        .join(skip.lazy(), on=_KEYS, how="inner")
        .filter(ts > pl.col("_skip_end"))
        .group_by(_KEYS)
        .agg(
            _first=end.filter(ts == ts.min()).max(),
            _top=end.max(),
            _e_end=pl.col("_e_end").first(),
        )
        .collect()
    )
    ok = (pl.col("_first") >= pl.col("_e_end")) & (pl.col("_top") > pl.col("_e_end"))
    return after.height == skip.height and bool(after.select(ok.fill_null(False).all()).item())


def _starts(behind: pl.DataFrame, cuts: pl.DataFrame | None, since: dt.datetime | None) -> pl.DataFrame:
    """Per partition behind: ``_from``, its cut, else the window's start (the epoch: all of it);
    with a cut, also its skipped hours (``_upto``, ``_skip_end``; null: none)."""
    floor = since or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    frame = behind.select(_KEYS)
    if cuts is not None:
        extra = [c for c in ("_upto", "_skip_end") if c in cuts.columns]
        frame = frame.join(cuts.select(*_KEYS, "_cut", *extra), on=_KEYS, how="left")
        return frame.select(*_KEYS, *extra, _from=pl.col("_cut").fill_null(floor))
    return frame.with_columns(_from=pl.lit(floor, pl.Datetime("us", "UTC")))


def _per_partition(table: pl.DataFrame, column: str) -> pl.Expr:
    """``table[column]`` looked up by each row's (topic, partition); null for other partitions."""
    topics = {t: i for i, t in enumerate(table["topic"].unique().sort().to_list())}
    width = (as_int(table["partition"].max()) or 0) + 1
    keys = [topics[t] * width + p for t, p in table.select(_KEYS).iter_rows()]
    key = pl.col("topic").replace_strict(topics, default=None, return_dtype=pl.Int64) * width + pl.col(
        "partition"
    ).cast(pl.Int64)
    key = pl.when(pl.col("partition").is_between(0, width - 1)).then(key)
    return key.replace_strict(keys, table[column].to_list(), default=None, return_dtype=table.schema[column])


def _far_behind(offsets: pl.DataFrame, near: pl.DataFrame) -> pl.DataFrame:
    """Partitions committed at or below their first recent reading (and not caught up), with the
    lowest committed offset raised to the log start (``_c``): their reach is older."""
    first = near.group_by(_KEYS).agg(pl.col("log_end_offset").min().alias("_first"))
    return (
        offsets.filter(
            pl.col("committed_offset").is_not_null()
            & (pl.col("committed_offset") < pl.col("log_end_offset")).fill_null(True)
        )
        .group_by(_KEYS)
        .agg(
            pl.col("committed_offset").min(),
            _c=pl.max_horizontal("committed_offset", "log_start_offset").min(),
        )
        .join(first, on=_KEYS, how="left")
        .filter(pl.col("_first").is_null() | (pl.col("committed_offset") <= pl.col("_first")))
    )


def _cuts_from_rollups(
    data_dir: DataDir, cluster: str, behind: pl.DataFrame, longest: str, near_min: dt.datetime
) -> pl.DataFrame | None:
    """Per partition behind (from the hourly rollups; None without them):

    - ``_cut``: the first time of the last hour that starts below the end of the last hour wholly
      below its committed offset (that hour holds a reading before the offset's reach and one
      below it);
    - ``_upto``: the last reading of the hour after that one (the reach's hour), when every later
      hour before the near window (up to ``_skip_end``, log end ``_e_end`` there) shows no fall
      of the log end, inside it (``log_end_falls``) or from the hour before; else null.
    """
    try:  # only a guess: a missing or unreadable rollup table means reading the whole window
        if cluster not in Store.of(data_dir).clusters("partition_offsets_1h"):
            return None
        _, since, _ = resolve_window(Store.of(data_dir), "partition_offsets", cluster, longest, None)
        hours = scan_partition_offsets(data_dir, cluster, since, dataset="partition_offsets_1h").filter(
            pl.col("topic").is_in(behind["topic"].unique().to_list())  # applied while decoding
        )
        return (
            hours.join(behind.select(*_KEYS, "_c").lazy(), on=_KEYS, how="inner")
            .sort(*_KEYS, "ts")
            .group_by(_KEYS, maintain_order=True)
            .agg(_guide(near_min))
            .unnest("_g")
            .filter(pl.col("_cut").is_not_null())
            .with_columns(cluster=pl.lit(cluster))
            .collect()
        )
    except (WorkbenchError, pl.exceptions.PolarsError):
        return None


def _guide(near_min: dt.datetime) -> pl.Expr:
    """The per-partition aggregation of :func:`_cuts_from_rollups` (hours sorted by time)."""
    ts, end = pl.col("ts"), pl.col("log_end_offset")
    start = end - pl.col("log_end_delta")
    below = ts.filter(end < pl.col("_c")).max()
    target = end.filter(ts == below).first()
    cut = pl.col("first_ts").filter((ts <= below) & (start < target)).max()
    reach = ts.filter(ts > below).min()
    skip_end = ts.filter(ts < near_min).max()
    rose = (pl.col("log_end_falls") == 0) & (start >= end.shift(1))  # no fall in or before the hour
    clean = rose.fill_null(False).filter((ts > reach) & (ts <= skip_end)).all()
    upto = pl.when(clean & (reach < skip_end)).then(reach)
    return pl.struct(
        _cut=cut, _upto=upto, _skip_end=skip_end, _e_end=end.filter(ts == skip_end).first()
    ).alias("_g")


def _far_since(
    data_dir: DataDir,
    cluster: str,
    longest: str,
    behind: pl.DataFrame,
    cuts: pl.DataFrame | None,
) -> dt.datetime | None:
    """Where the far scan starts: the window's start, or the earliest cut when every partition
    behind has one and it is later (older row groups are then skipped by their statistics)."""
    _, start, _ = resolve_window(Store.of(data_dir), "partition_offsets", cluster, longest, None)
    if cuts is None or cuts.height < behind.height or cuts["_cut"].null_count():
        return start
    earliest = cuts["_cut"].min()
    assert isinstance(earliest, dt.datetime)
    return earliest if start is None or earliest > start else start
