"""Appends to an existing local table: Parquet files written by Polars, committed as add actions.

delta-rs' ``write_deltalake`` holds several copies of a frame while it writes (a 1 M-row collector
snapshot: +570 MB resident); Polars writes the same files with +18 MB. Each (cluster, date)
partition of the frame becomes one file; its add action carries the statistics delta-rs writes
(row count, min/max, null counts; timestamps in milliseconds, as delta-rs). The table's first
append, object stores and unusual cluster names go through ``write_deltalake``. See docs/store.md.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import polars as pl
from deltalake.transaction import AddAction

#: Cluster names written as a path segment unchanged (others take delta-rs' own path).
_PLAIN = re.compile(r"[A-Za-z0-9._-]+")
#: String statistics longer than this are left out (delta-rs truncates; readers then skip nothing).
_STRING_STATS_MAX = 32


def plain_name(cluster: str) -> bool:
    """True when the cluster name is a plain path segment."""
    return _PLAIN.fullmatch(cluster) is not None


def plain_clusters(frame: pl.DataFrame) -> bool:
    """True when every cluster name of ``frame`` is a plain path segment."""
    return all(plain_name(str(c)) for c in frame["cluster"].unique().to_list())


def write_files(
    table_dir: str, frame: pl.DataFrame, file_columns: list[str], row_group: int | None
) -> list[AddAction]:
    """Write ``frame`` (with ``cluster`` and ``date``) as one file per partition under ``table_dir``;
    the add actions to commit. Files already written are removed when a later one fails."""
    actions: list[AddAction] = []
    written: list[str] = []
    try:
        for (cluster, day), part in _partitions(frame):
            rel = f"cluster={cluster}/date={day.isoformat()}/part-00000-{uuid.uuid4()}-c000.zstd.parquet"
            path = os.path.join(table_dir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = part.select(file_columns)
            written.append(path)
            data.write_parquet(path, compression="zstd", row_group_size=row_group, statistics=True)
            values = {"cluster": str(cluster), "date": day.isoformat()}
            now = int(time.time() * 1000)
            actions.append(AddAction(rel, os.path.getsize(path), values, now, True, stats_json(data)))
    except BaseException:
        for path in written:
            try:
                os.unlink(path)
            except OSError:
                pass
        raise
    return actions


def _partitions(frame: pl.DataFrame) -> Iterator[tuple[tuple[Any, Any], pl.DataFrame]]:
    """((cluster, date), rows) of each partition; one partition (a collector snapshot) is the frame
    itself: ``group_by`` would gather a copy and hash every row (+360 MB at 1 M rows)."""
    keys = frame.select("cluster", "date").unique(maintain_order=True)
    if keys.height == 1:
        yield keys.row(0), frame
        return
    yield from frame.group_by("cluster", "date", maintain_order=True)


def stats_json(frame: pl.DataFrame | pl.LazyFrame) -> str:
    """The Delta statistics of a file's rows: ``numRecords``, ``minValues``, ``maxValues``, ``nullCount``
    (one query; a lazy frame, such as a written file's scan, is read streaming)."""
    lf = frame.lazy()
    schema = lf.collect_schema()
    flat = [c for c, t in schema.items() if not t.is_nested()]  # no min/max of lists, structs
    floats = [c for c, t in schema.items() if t.is_float()]
    exprs = [
        pl.len().alias("len"),
        *(pl.col(c).null_count().alias(f"null:{c}") for c in schema.names()),
        *(pl.col(c).is_nan().any().alias(f"nan:{c}") for c in floats),
        *(pl.col(c).min().alias(f"min:{c}") for c in flat),
        *(pl.col(c).max().alias(f"max:{c}") for c in flat),
    ]
    ends = lf.select(exprs).collect(engine="streaming").row(0, named=True)
    flat = [c for c in flat if not ends.get(f"nan:{c}")]  # Delta readers order NaN above all: no bound
    lows: dict[str, Any] = {}
    highs: dict[str, Any] = {}
    for name in flat:
        low, high = _stat(ends[f"min:{name}"]), _stat(ends[f"max:{name}"])
        if low is not None and high is not None:
            lows[name], highs[name] = low, high
    nulls = {c: int(ends[f"null:{c}"]) for c in schema.names()}
    stats = {"numRecords": int(ends["len"]), "minValues": lows, "maxValues": highs, "nullCount": nulls}
    return json.dumps(stats)


def _stat(value: Any) -> Any:
    """A min or max as Delta writes it (None: left out)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value if len(value) <= _STRING_STATS_MAX else None
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    return None
