"""Retention for the data directory: find and delete day partitions older than a cutoff.

Only the store touches ``data/``, so this is where collected history is deleted. A day partition
``DATA_DIR/<dataset>/cluster=<name>/date=<YYYY-MM-DD>/`` is old when its whole day ends at or
before the cutoff. Only the known datasets directly under the data directory are considered:
other directories (``data/sample`` with its shipped history, a README) are never descended
into, so shipped data is deleted only when the data directory points at it explicitly.

Planning (:func:`plan_data_prune`) never deletes; :func:`delete_partitions` does.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from workbench.errors import StoreError
from workbench.schema import DATASETS

_DATE_RE = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class OldPartition:
    """One day partition of one dataset and cluster that is older than the cutoff."""

    dataset: str
    cluster: str
    day: dt.date
    path: Path
    files: int
    size: int


def plan_data_prune(data_dir: str | os.PathLike[str], cutoff: dt.datetime) -> list[OldPartition]:
    """Every day partition under ``data_dir`` whose day ends at or before ``cutoff``, oldest first.

    Deletes nothing. A missing data directory has nothing to prune.
    """
    root = Path(data_dir)
    found: list[OldPartition] = []
    for dataset in sorted(DATASETS):
        base = root / dataset
        if not base.is_dir():
            continue
        for cdir in sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith("cluster=")):
            found.extend(_old_days(dataset, cdir, cutoff))
    return sorted(found, key=lambda p: (p.day, p.dataset, p.cluster))


def _old_days(dataset: str, cdir: Path, cutoff: dt.datetime) -> list[OldPartition]:
    cluster = unquote(cdir.name[len("cluster=") :])
    out = []
    for ddir in sorted(cdir.iterdir()):
        m = _DATE_RE.match(ddir.name)
        if not m or not ddir.is_dir():
            continue
        day = dt.date.fromisoformat(m.group(1))
        if _day_end(day) <= cutoff:
            files = [f for f in ddir.rglob("*") if f.is_file()]
            out.append(
                OldPartition(dataset, cluster, day, ddir, len(files), sum(f.stat().st_size for f in files))
            )
    return out


def _day_end(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(days=1)


def delete_partitions(partitions: list[OldPartition]) -> int:
    """Delete the given day partitions (and cluster directories left empty); returns how many.

    A partition already gone is skipped, so a re-run after a crash finishes the job.
    """
    deleted = 0
    for part in partitions:
        if not part.path.exists():
            continue
        try:
            shutil.rmtree(part.path)
        except OSError as exc:
            raise StoreError(f"cannot delete {part.path}: {exc.strerror}; check permissions") from exc
        deleted += 1
        _remove_if_empty(part.path.parent)
    return deleted


def _remove_if_empty(directory: Path) -> None:
    try:
        directory.rmdir()
    except OSError:
        pass  # not empty (or already gone): keep it
