"""Read-only access to the old store layout (Parquet files with a ``replaces`` compaction list).

Used only by ``workbench store migrate``. The old layout is
``DATA_DIR/<dataset>/cluster=<percent-encoded name>/date=<YYYY-MM-DD>/<part>.parquet``; a merged
``*-compact-*`` file names the files it replaces in its metadata, and those are not live.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.errors import StoreError
from workbench.schema import DATASETS

_META_KEY = b"workbench"
_DATE_RE = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


def is_legacy(table_dir: Path) -> bool:
    """True when ``table_dir`` holds old-layout partitions and no Delta log."""
    return (
        table_dir.is_dir()
        and not (table_dir / "_delta_log").is_dir()
        and any(p.name.startswith("cluster=") for p in table_dir.iterdir())
    )


def day_partitions(table_dir: Path) -> list[tuple[str, dt.date, Path]]:
    """(cluster, day, directory) of every day partition, in order."""
    out = []
    for cdir in sorted(p for p in table_dir.iterdir() if p.name.startswith("cluster=")):
        cluster = unquote(cdir.name[len("cluster=") :])
        for ddir in sorted(cdir.iterdir()):
            m = _DATE_RE.match(ddir.name)
            if m and ddir.is_dir():
                out.append((cluster, dt.date.fromisoformat(m.group(1)), ddir))
    return out


def read_day(dataset: str, ddir: Path) -> pl.DataFrame:
    """The live rows of one old day partition, version-checked; a bad file is a one-line error."""
    files = live_files(ddir)
    for f in files:
        version = file_meta(f).get("version")
        if version != DATASETS[dataset][1]:
            raise StoreError(
                f"{f}: schema version {version}, expected {DATASETS[dataset][1]}; nothing changed"
            )
    if not files:
        return pl.DataFrame(schema=DATASETS[dataset][0])
    try:
        return pl.read_parquet([str(f) for f in files], schema=DATASETS[dataset][0])
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise StoreError(
            f"{ddir}: unreadable file ({str(exc).splitlines()[0][:200]}); nothing changed"
        ) from exc


def file_meta(path: Path) -> dict[str, Any]:
    """The workbench metadata of an old-layout file."""
    try:
        raw = pq.read_schema(path).metadata or {}
        meta: dict[str, Any] = json.loads(raw.get(_META_KEY, b"{}"))
        return meta
    except (OSError, ValueError, pa.ArrowInvalid) as exc:
        raise StoreError(
            f"{path}: unreadable Parquet file ({exc}); migration stopped, nothing changed: move the "
            "file out of the data directory (keep it) to migrate the rest"
        ) from exc


def live_files(ddir: Path) -> list[Path]:
    """The day's Parquet files that no merged file replaces."""
    files = sorted(p for p in ddir.iterdir() if p.suffix == ".parquet" and not p.name.startswith("."))
    covered: set[str] = set()
    for f in files:
        if "-compact-" in f.name:
            covered.update(file_meta(f).get("replaces", []))
    return [f for f in files if f.name not in covered]
