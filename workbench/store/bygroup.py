"""Closed days of consumer-group offsets rewritten as files of whole groups, each in time order.

A read of some groups (a lag-trend piece, ``workbench lag --group``) then skips the other groups'
files and row groups by their statistics; a read of a time slice still skips by ``ts``. Part of
``workbench compact`` (:meth:`workbench.store.Store.compact`); design in docs/store.md.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from itertools import groupby

import polars as pl
from deltalake.transaction import AddAction, RemoveAction

from workbench.errors import StoreError
from workbench.packing import pack_runs
from workbench.store.append import plain_name, stats_json
from workbench.store.files import DataFile, cheap_problem
from workbench.store.settings import ROLLUP_ROW_GROUP, remove_files

_log = logging.getLogger("workbench.store")

#: dataset -> the column its closed days are clustered by.
CLUSTERED = {"offsets": "group"}
#: The name ending of a clustered file: a day whose files all end so is done.
MARK = "-bygroup.zstd.parquet"
#: Rows a file aims at (consecutive groups by name; a bigger group is a file of its own).
ROWS_PER_FILE = 1_000_000
#: A day's files are read once per file written: at most this many times (bigger files then).
MAX_PASSES = 32


def days_to_cluster(
    files: list[DataFile], cluster: str | None, before: dt.date | None
) -> Iterator[list[DataFile]]:
    """The live files of each (cluster, day) before ``before`` that holds a file not yet clustered,
    oldest first within the day. A cluster's newest day stays as it is (``workbench lag`` reads
    its newest snapshot from a few time-ordered files; late appends may still come). Days of
    clusters whose names are not plain path segments and days with a damaged file (left to
    ``workbench check``) are skipped."""
    last = newest_days(files)
    mine = [
        f
        for f in files
        if (cluster is None or f.cluster == cluster)
        and (before is None or f.day < before)
        and f.day < last[f.cluster]
    ]
    key = lambda f: (f.cluster, f.day)  # noqa: E731
    for (name, day), group in groupby(sorted(mine, key=key), key=key):
        day_files = sorted(group, key=lambda f: (f.ts_min is None, f.ts_min, f.relpath))
        if all(f.relpath.endswith(MARK) for f in day_files):
            continue
        if not plain_name(name):
            continue
        bad = [(f.relpath, why) for f in day_files if (why := cheap_problem(f))]
        if bad:
            _log.warning("not clustering %s of %s: %s is %s", day, name, bad[0][0], bad[0][1])
            continue
        yield day_files


def newest_days(files: list[DataFile]) -> dict[str, dt.date]:
    """Each cluster's newest day partition."""
    newest: dict[str, dt.date] = {}
    for f in files:
        newest[f.cluster] = max(f.day, newest.get(f.cluster, f.day))
    return newest


def ranges(sizes: list[tuple[str | None, int]], total: int) -> list[list[str | None]]:
    """Consecutive keys (in ``sizes``' order) packed into files of about :data:`ROWS_PER_FILE`
    rows, fewer and bigger ones when the day would need more than :data:`MAX_PASSES`."""
    target = max(ROWS_PER_FILE, -(-total // MAX_PASSES))
    return pack_runs((([key], count) for key, count in sizes), target)


def rewrite_day(table_dir: str, day_files: list[DataFile], key: str, schema: pl.Schema) -> list[AddAction]:
    """Write ``day_files``' rows as clustered files next to them; their add actions. Files already
    written are removed when a later step fails; every row is written exactly once (checked)."""
    first = day_files[0]
    lf = pl.scan_parquet([f.uri for f in day_files], schema=schema)
    sizes = lf.group_by(key).len().sort(key, nulls_last=True).collect(engine="streaming")
    total = int(sizes["len"].sum())
    folder = os.path.dirname(first.relpath)
    values = {"cluster": first.cluster, "date": first.day.isoformat()}
    actions: list[AddAction] = []
    written: list[str] = []
    rows = 0
    try:
        for names in ranges(list(sizes.iter_rows()), total):
            rel = f"{folder}/part-00000-{uuid.uuid4()}{MARK}"
            path = os.path.join(table_dir, rel)
            written.append(path)
            keep = pl.col(key).is_in([n for n in names if n is not None])
            if None in names:
                keep = keep | pl.col(key).is_null()
            lf.filter(keep).sink_parquet(
                path, compression="zstd", row_group_size=ROLLUP_ROW_GROUP, statistics=True
            )  # row groups as small as the rollups': a read of some groups skips the rest
            now = int(time.time() * 1000)
            stats = stats_json(pl.scan_parquet(path))
            rows += json.loads(stats)["numRecords"]
            actions.append(AddAction(rel, os.path.getsize(path), values, now, True, stats))
        if rows != total:
            where = f"{table_dir}/{folder}"
            raise StoreError(f"{where}: clustering wrote {rows} rows of {total}; nothing committed")
    except BaseException:
        remove_files(written)
        raise
    return actions


def removals(day_files: list[DataFile]) -> list[RemoveAction]:
    """The remove actions of the files a clustered day replaces."""
    now = int(time.time() * 1000)
    return [
        RemoveAction(f.relpath, True, now, f.size, {"cluster": f.cluster, "date": f.day.isoformat()})
        for f in day_files
    ]
