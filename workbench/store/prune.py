"""Retention for the data directory: find and delete day partitions older than a cutoff.

Only the store touches ``data/``, so this is where collected history is deleted. A day partition
(``cluster=<name>/date=<YYYY-MM-DD>`` of a dataset's table) is old when its whole day ends at or
before the cutoff. Only the known datasets' tables directly under the data directory are
considered: other directories (``data/sample`` with its shipped history, a README) are never
descended into, so shipped data is deleted only when the data directory points at it explicitly.

Planning (:func:`plan_data_prune`) never deletes; :func:`delete_partitions` deletes in one commit
per dataset (a Delta ``DELETE`` of whole partitions), then removes the files and vacuums.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from workbench.schema import DATASETS
from workbench.store.delta import Store


@dataclass(frozen=True)
class OldPartition:
    """One day partition of one dataset and cluster that is older than the cutoff."""

    dataset: str
    cluster: str
    day: dt.date
    path: Path | str
    files: int
    size: int
    root: str = ""


def plan_data_prune(data_dir: str | os.PathLike[str], cutoff: dt.datetime) -> list[OldPartition]:
    """Every day partition under ``data_dir`` whose day ends at or before ``cutoff``, oldest first.

    Deletes nothing. A missing data directory has nothing to prune.
    """
    store = Store(data_dir)
    if store.location.local and not os.path.isdir(store.location.uri):
        return []
    found: list[OldPartition] = []
    for dataset in sorted(DATASETS):
        table = store.table(dataset)
        if table is None:
            continue
        old = [f for f in store._live(table, dataset) if _day_end(f.day) <= cutoff]
        key = lambda f: (f.cluster, f.day)  # noqa: E731
        for (cluster, day), group in groupby(sorted(old, key=key), key=key):
            members = list(group)
            where = store.location.join(dataset, members[0].relpath.rsplit("/", 1)[0])
            path = Path(where) if store.location.local else where
            size = sum(f.size for f in members)
            found.append(OldPartition(dataset, cluster, day, path, len(members), size, store.location.uri))
    return sorted(found, key=lambda p: (p.day, p.dataset, p.cluster))


def _day_end(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(days=1)


def delete_partitions(
    partitions: list[OldPartition], progress: Callable[[int, int, str], None] | None = None
) -> int:
    """Delete the given day partitions (one commit per dataset), then vacuum; returns how many.

    A partition already gone is skipped, so a re-run after a crash finishes the job.
    ``progress`` is called after each dataset with (partitions done, partitions, dataset).
    """
    deleted, done = 0, 0
    key = lambda p: (p.root, p.dataset)  # noqa: E731
    for (root, dataset), group in groupby(sorted(partitions, key=key), key=key):
        parts = list(group)
        store = Store(root)
        table = store.table(dataset)
        if table is None:
            continue
        present = {(f.cluster, f.day) for f in store._live(table, dataset)}
        newest = max(p.day for p in parts)
        store.delete(dataset, f"date <= '{newest.isoformat()}'")
        store.tidy(dataset)
        deleted += sum((p.cluster, p.day) in present for p in parts)
        done += len(parts)
        if progress is not None:
            progress(done, len(partitions), dataset)
    return deleted
