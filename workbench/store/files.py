"""The data files of one table version: selection by partition and statistics, cheap checks."""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import polars as pl

_log = logging.getLogger("workbench.store")
_warned: set[str] = set()
_MAGIC = b"PAR1"
#: Delta's log keeps timestamp statistics at millisecond precision: widen them by that much.
_STATS_SLACK = dt.timedelta(milliseconds=1)
#: Footers are checked only when a scan reads at most this many files (a compacted week).
FOOTER_CHECK_MAX = 256
#: uri -> (size, mtime_ns) of files whose footer was read and matched, this process.
_footer_ok: dict[str, tuple[int, int]] = {}
#: uri -> why, of files found bad in this process (skipped by every later scan).
known_bad: dict[str, str] = {}


@dataclass(frozen=True)
class DataFile:
    """One live data file of a table version, as its log entry describes it."""

    uri: str
    relpath: str
    cluster: str
    day: dt.date
    size: int
    rows: int | None
    ts_min: dt.datetime | None
    ts_max: dt.datetime | None
    sources: tuple[str | None, str | None] = (None, None)


def live_files(table: object, root: str) -> list[DataFile]:
    """Every live file of a loaded ``DeltaTable`` version, with its partition values and stats."""
    # delta-rs hands an Arrow table (arro3) whose columns convert to Python values themselves:
    # neither pyarrow (~0.2 s and 39 MB to import) nor a Polars frame is needed for a few rows
    actions = table.get_add_actions(flatten=True)  # type: ignore[attr-defined]
    names = set(actions.column_names)

    def column(name: str) -> list[Any]:
        return actions.column(name).to_pylist() if name in names else [None] * actions.num_rows

    paths = [unquote(p) for p in column("path")]
    stats = zip(
        column("partition.cluster"),
        column("partition.date"),
        column("size_bytes"),
        column("num_records"),
        column("min.ts"),
        column("max.ts"),
        column("min.source"),
        column("max.source"),
        strict=True,
    )
    return [
        DataFile(f"{root}/{rel}", rel, cluster, day, size, rows, lo, hi, (src_lo, src_hi))
        for rel, (cluster, day, size, rows, lo, hi, src_lo, src_hi) in zip(paths, stats, strict=True)
    ]


def select(
    files: list[DataFile], cluster: str | None, since: dt.datetime | None, until: dt.datetime | None
) -> list[DataFile]:
    """Files of ``cluster`` whose date partition and ``ts`` statistics overlap [since, until)."""
    lo = since.astimezone(dt.UTC).date() if since is not None else None
    hi = until.astimezone(dt.UTC).date() if until is not None else None
    out = []
    for f in files:
        if cluster is not None and f.cluster != cluster:
            continue
        if (lo is not None and f.day < lo) or (hi is not None and f.day > hi):
            continue
        if since is not None and f.ts_max is not None and f.ts_max + _STATS_SLACK < since:
            continue
        if until is not None and f.ts_min is not None and f.ts_min - _STATS_SLACK >= until:
            continue
        out.append(f)
    return sorted(out, key=lambda f: (f.cluster, f.day, f.ts_min or dt.datetime.min.replace(tzinfo=dt.UTC)))


def may_hold(f: DataFile, source: str) -> bool:
    """False only when the file's ``source`` statistics rule out rows from ``source``."""
    lo, hi = f.sources
    return lo is None or hi is None or lo <= source <= hi


def cheap_problem(f: DataFile) -> str | None:
    """Why a local file cannot be read (missing, size differs from its log entry, no Parquet magic).

    Costs one ``stat`` and two 4-byte reads; None when the file looks whole.
    """
    try:
        size = os.stat(f.uri).st_size
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"cannot stat ({exc.strerror})"
    if size != f.size:
        return f"{size} bytes where the table log says {f.size} (truncated or replaced)"
    try:
        with open(f.uri, "rb") as fh:
            head = fh.read(4)
            fh.seek(-4, os.SEEK_END)
            tail = fh.read(4)
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if head != _MAGIC or tail != _MAGIC:
        return "not a Parquet file (bad magic bytes)"
    return None


def footer_problem(f: DataFile, want: pl.Schema) -> str | None:
    """Why the Parquet footer of ``f`` is unreadable or of another schema (cached per file)."""
    return footer_problems([f], want).get(f.uri)


def footer_problems(files: list[DataFile], want: pl.Schema) -> dict[str, str]:
    """:func:`footer_problem` of each of ``files`` (uri -> why, the good ones left out).

    Each footer's schema is read on its own; the row counts of all are one Polars query compared
    with the log's total, and counted file by file only when that total differs.
    """
    problems: dict[str, str] = {}
    fresh: list[tuple[DataFile, tuple[int, int]]] = []
    for f in files:
        try:
            st = os.stat(f.uri)
        except OSError as exc:
            problems[f.uri] = f"cannot stat ({exc.strerror})"
            continue
        stamp = (st.st_size, st.st_mtime_ns)
        if _footer_ok.get(f.uri) == stamp:
            continue
        try:  # Polars reads the footer alone; pyarrow (and numpy, ~0.5 s to import) stays unloaded
            got = pl.scan_parquet(f.uri).collect_schema()
        except Exception as exc:
            problems[f.uri] = "unreadable footer: " + _first_line(exc)
            continue
        if dict(got) != dict(want):
            problems[f.uri] = "foreign schema (columns or types differ from the dataset's)"
            continue
        fresh.append((f, stamp))
    counted = [f for f, _ in fresh if f.rows is not None]
    if counted and _rows([f.uri for f in counted]) != sum(f.rows or 0 for f in counted):
        for f in counted:  # which one: file by file
            rows = _rows([f.uri])
            if rows != f.rows:
                problems[f.uri] = (
                    "unreadable footer" if rows is None else f"{rows} rows where the table log says {f.rows}"
                )
    for f, stamp in fresh:
        if f.uri not in problems:
            _footer_ok[f.uri] = stamp
    return problems


def _rows(uris: list[str]) -> int | None:
    """The row count of Parquet files from their footers (None when one cannot be read)."""
    try:
        return int(pl.scan_parquet(uris).select(pl.len()).collect().item())
    except Exception:
        return None


def deep_problem(f: DataFile, want: pl.Schema) -> str | None:
    """Why ``f`` cannot be read whole (reads and validates every column), or None."""
    why = cheap_problem(f) or footer_problem(f, want)
    if why is not None:
        return why
    try:
        import pyarrow.parquet as pq  # only for a full check

        pq.read_table(f.uri).validate(full=True)
    except Exception as exc:
        return "corrupt data: " + _first_line(exc)
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:160]


def warn_skipped(dataset: str, f: DataFile, why: str) -> None:
    """One warning line per bad file and process, naming it and the command that quarantines it."""
    known_bad[f.uri] = why
    if f.uri in _warned:
        return
    _warned.add(f.uri)
    _log.warning(
        "skipping %s file %s: %s; run `workbench check --quarantine` to move it aside",
        dataset,
        f.uri,
        why,
    )
