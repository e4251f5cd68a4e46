"""``workbench store migrate``: the old Parquet layout -> one Delta table per dataset, verified.

Per dataset: every old day partition is copied into a staging table (``DATA_DIR/.migrate/``),
then read back and compared with the original, row count and an order-independent content hash
per (cluster, day). Only when every day matches is the original moved to
``DATA_DIR/.old-layout/<dataset>`` (kept: delete it yourself once satisfied) and the staging
table moved into place. A failed or interrupted run changes nothing the next run cannot redo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from workbench.errors import StoreError
from workbench.schema import DATASETS
from workbench.store import legacy
from workbench.store.delta import Store

STAGING = ".migrate"
KEPT = ".old-layout"


@dataclass(frozen=True)
class Migrated:
    """One dataset and cluster migrated and verified."""

    dataset: str
    cluster: str
    days: int
    rows: int
    digest: str


def content_hash(frame: pl.DataFrame) -> bytes:
    """A hash of the frame's rows that ignores their order."""
    if frame.is_empty():
        return hashlib.sha256(b"").digest()
    hashes = frame.select(sorted(frame.columns)).hash_rows(seed=0).sort()
    return hashlib.sha256(hashes.to_numpy().tobytes()).digest()


def migrate(data_dir: str | os.PathLike[str], report: Callable[[str], None] = print) -> list[Migrated]:
    """Migrate every old-layout dataset under ``data_dir``; returns what was migrated."""
    root = Path(data_dir)
    if not root.is_dir():
        raise StoreError(f"{root}: no such data directory; check --data-dir")
    done: list[Migrated] = []
    for dataset in sorted(DATASETS):
        _finish_swap(root, dataset)
        if legacy.is_legacy(root / dataset):
            done.extend(_migrate_dataset(root, dataset, report))
    return done


def _migrate_dataset(root: Path, dataset: str, report: Callable[[str], None]) -> list[Migrated]:
    staging_root = root / STAGING
    shutil.rmtree(staging_root / dataset, ignore_errors=True)
    staging = Store(staging_root)
    days = legacy.day_partitions(root / dataset)
    try:
        for cluster, _day, ddir in days:
            frame = legacy.read_day(dataset, ddir)
            if frame["cluster"].n_unique() > 1 or (frame.height and frame["cluster"][0] != cluster):
                raise StoreError(f"{ddir}: rows of another cluster in this partition; nothing changed")
            staging.append(dataset, frame)
        results = _verify(root, staging, dataset, days)
    except BaseException:
        shutil.rmtree(staging_root, ignore_errors=True)  # the original is untouched
        raise
    _swap(root, dataset)
    for r in results:
        report(f"{dataset} cluster {r.cluster}: {r.rows:,} rows in {r.days} day(s) verified ({r.digest})")
    return results


def _verify(
    root: Path, staging: Store, dataset: str, days: list[tuple[str, dt.date, Path]]
) -> list[Migrated]:
    per_cluster: dict[str, tuple[int, int, hashlib._Hash]] = {}
    for cluster, day, ddir in days:
        old = legacy.read_day(dataset, ddir)
        start = dt.datetime.combine(day, dt.time(), dt.UTC)
        new = staging.scan(
            dataset, cluster=cluster, since=start, until=start + dt.timedelta(days=1), complete_only=False
        ).collect()
        if old.height != new.height or content_hash(old) != content_hash(new):
            raise StoreError(
                f"{ddir}: migrated copy differs ({old.height} rows before, {new.height} after); "
                "nothing changed, the original is untouched"
            )
        n_days, rows, digest = per_cluster.get(cluster, (0, 0, hashlib.sha256()))
        digest.update(content_hash(old))
        per_cluster[cluster] = (n_days + 1, rows + old.height, digest)
    return [
        Migrated(dataset, c, n, rows, h.hexdigest()[:16]) for c, (n, rows, h) in sorted(per_cluster.items())
    ]


def _swap(root: Path, dataset: str) -> None:
    kept = root / KEPT
    kept.mkdir(exist_ok=True)
    if (kept / dataset).exists():
        raise StoreError(f"{kept / dataset} exists from an earlier migration: move it away and re-run")
    os.rename(root / dataset, kept / dataset)
    _finish_swap(root, dataset)


def _finish_swap(root: Path, dataset: str) -> None:
    """Move a verified staging table into place when the original is already kept aside."""
    staged = root / STAGING / dataset
    if not (root / dataset).exists() and (root / KEPT / dataset).exists() and staged.is_dir():
        os.rename(staged, root / dataset)
    try:
        (root / STAGING).rmdir()
    except OSError:
        pass
