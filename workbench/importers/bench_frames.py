"""Shared pieces of the benchmark importers: the result type and row builders.

A benchmark import yields two frames, a ``bench_runs`` row per run and its ``bench_intervals``
rows (see :mod:`workbench.schema`). The builders fill the fixed columns (source, tool, cluster)
and convert units at one place: every ``*_ms`` column is milliseconds, every histogram µs. A
figure the tool did not print stays null (a run's total too), never 0; the run's notes are
kept in its ``params`` (``notes``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from workbench.errors import InputFileError
from workbench.importers import InputText
from workbench.scalars import span_seconds
from workbench.schema import conform


@dataclass(frozen=True)
class BenchImport:
    """One parsed benchmark output: ``bench_runs`` and ``bench_intervals`` frames, and notes."""

    runs: pl.DataFrame
    intervals: pl.DataFrame
    notes: tuple[str, ...] = ()


@dataclass
class RunBuilder:
    """Collects one imported run's metadata and rows, then builds the two frames."""

    text: InputText
    kind: str
    tool: str
    source: str
    cluster: str
    start: dt.datetime
    run_id: str | None = None
    label: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.run_id is None:
            digest = hashlib.sha1(f"{self.text.name}\n{self.text.text}".encode()).hexdigest()[:10]
            self.run_id = f"{self.source}-{self.start:%Y%m%dT%H%M%S}-{digest}"

    def add(self, start: dt.datetime, end: dt.datetime, **cols: Any) -> None:
        """One ``bench_intervals`` row; ``cols`` are schema columns (``phase`` defaults to steady,
        ``cumulative`` to false, ``latency`` to ``send_to_ack``)."""
        row = {"phase": "steady", "cumulative": False, "latency": "send_to_ack", **cols}
        self.rows.append({"ts": start, "end": end, "cluster": self.cluster, "run_id": self.run_id, **row})

    def _params(self) -> dict[str, Any]:
        params = {"file": self.text.name, **self.meta.pop("params", {})}
        return params | ({"notes": list(self.notes)} if self.notes else {})

    def build(self) -> BenchImport:
        """The frames; :class:`InputFileError` when the input held nothing to import."""
        if not self.rows:
            raise InputFileError(self.text.name, None, f"no {self.tool} result found in the input")
        intervals = conform(pl.DataFrame(self.rows, infer_schema_length=None), "bench_intervals")
        summary = intervals.filter(pl.col("cumulative") & (pl.col("phase") == "steady"))
        src = summary if summary.height else intervals
        one = src.filter(pl.col("latency") == src["latency"].min())
        row = {
            "ts": self.start,
            "cluster": self.cluster,
            "run_id": self.run_id,
            "kind": self.kind,
            "label": self.label or f"{self.tool} {self.text.name}",
            "source": self.source,
            "tool": self.tool,
            "params": json.dumps(self._params(), sort_keys=True),
            "duration_s": span_seconds(one["ts"], one["end"]),
            "records": total(one["records"]),
            "bytes": total(one["bytes"]),
            "errors": total(one["errors"]),
            **self.meta,
        }
        runs = conform(pl.DataFrame([row], infer_schema_length=None), "bench_runs")
        return BenchImport(runs, intervals, tuple(self.notes))


def total(column: pl.Series) -> int | None:
    """The column's sum, or None (unknown) when any value is unknown: never 0 for unknown."""
    return None if column.is_empty() or column.null_count() else int(column.sum())


def concat(parts: list[BenchImport]) -> BenchImport:
    """Several imports (e.g. the runs of one file) as one."""
    return BenchImport(
        pl.concat([p.runs for p in parts]),
        pl.concat([p.intervals for p in parts]),
        tuple(n for p in parts for n in p.notes),
    )


def number(value: str, text: InputText, line: int, what: str) -> float:
    """``float(value)``, or :class:`InputFileError` naming the file, line and field."""
    try:
        return float(value.strip().replace(",", ""))
    except ValueError:
        raise InputFileError(text.name, line, f"{what}: {value.strip()!r} is not a number") from None


def ms_stats(mapping: Mapping[str, float | None], scale: float = 1.0) -> dict[str, float | None]:
    """Statistic columns from ``{"mean_ms": v, ...}`` with values multiplied by ``scale``
    (``1e-3`` for µs inputs)."""
    return {k: (None if v is None else float(v) * scale) for k, v in mapping.items()}
