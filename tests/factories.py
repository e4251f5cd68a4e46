"""The one place tests build offsets and partition-offsets frames.

A snapshot is a tuple ``(t, committed_offset, log_end_offset[, partition[, group[, member_id]]])``
with ``t`` in seconds after ``t0``. Other columns are given by keyword, as one value for every row
or a list. Column types are the stored schema's (:data:`workbench.schema.OFFSETS`); with
``conformed=True`` the frame has every stored column (what the store writes and loaders return).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from workbench.schema import OFFSETS, PARTITION_OFFSETS, conform

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
SNAPSHOT_FIELDS = ("t", "committed_offset", "log_end_offset", "partition", "group", "member_id")
OFFSETS_DEFAULTS = {"group": "g", "topic": "t", "partition": 0, "log_start_offset": 0}


def offsets(
    snaps: Iterable[Sequence[Any]], *, t0: dt.datetime = T0, conformed: bool = False, **columns: Any
) -> pl.DataFrame:
    """An offsets frame, one row per snapshot tuple; ``columns`` override the defaults
    (group ``g``, topic ``t``, partition 0, log start 0) or add columns (cluster, source...)."""
    frame = _frame(snaps, SNAPSHOT_FIELDS, t0, {**OFFSETS_DEFAULTS, **columns})
    frame = frame.cast({c: OFFSETS[c] for c in frame.columns})
    return conform(frame, "offsets") if conformed else frame


def partition_offsets(
    snaps: Iterable[Sequence[Any]], *, t0: dt.datetime = T0, conformed: bool = True, **columns: Any
) -> pl.DataFrame:
    """A partition-offsets frame from ``(t, log_end_offset[, partition])`` tuples (topic ``t``,
    partition 0, log start 0 unless given)."""
    defaults = {"topic": "t", "partition": 0, "log_start_offset": 0}
    frame = _frame(snaps, ("t", "log_end_offset", "partition"), t0, {**defaults, **columns})
    frame = frame.cast({c: PARTITION_OFFSETS[c] for c in frame.columns})
    return conform(frame, "partition_offsets") if conformed else frame


def _frame(
    snaps: Iterable[Sequence[Any]], fields: Sequence[str], t0: dt.datetime, columns: dict[str, Any]
) -> pl.DataFrame:
    rows = [dict(zip(fields, s, strict=False)) for s in snaps]
    data: dict[str, list[Any]] = {
        f: [r.get(f) for r in rows] for f in fields if f != "t" and any(f in r for r in rows)
    }
    data = {"ts": [t0 + dt.timedelta(seconds=r["t"]) for r in rows], **data}
    for name, value in columns.items():
        if name not in data:
            data[name] = list(value) if isinstance(value, list) else [value] * len(rows)
    return pl.DataFrame(data, schema_overrides={"ts": OFFSETS["ts"]})
