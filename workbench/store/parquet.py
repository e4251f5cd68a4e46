"""Partitioned Parquet datasets with atomic writes and a crash-safe compaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.errors import StoreError
from workbench.schema import DATASETS, conform

_META_KEY = b"workbench"
_DATE_RE = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


def cluster_dirname(cluster: str) -> str:
    """The directory name for a cluster: ``cluster=<percent-encoded name>``."""
    if not cluster:
        raise StoreError("cluster name is empty: pass --cluster NAME")
    return "cluster=" + quote(cluster, safe="")


@dataclass(frozen=True)
class Store:
    """A data directory holding one Parquet dataset per kind (see :mod:`workbench.schema`)."""

    root: Path

    def __init__(self, root: str | os.PathLike[str]) -> None:
        object.__setattr__(self, "root", Path(root))

    # -- writing -----------------------------------------------------------------------------
    def append(self, dataset: str, frame: pl.DataFrame) -> list[Path]:
        """Add ``frame`` to ``dataset``: one new file per (cluster, date) it spans.

        Returns the files written. An empty frame writes nothing.
        """
        self._check_dataset(dataset)
        frame = conform(frame, dataset)
        if frame.is_empty():
            return []
        frame = frame.with_columns(_date=pl.col("ts").dt.date())
        written = []
        for (cluster, day), part in frame.group_by(["cluster", "_date"], maintain_order=True):
            target_dir = self._partition_dir(dataset, str(cluster), day)
            stamp = part["ts"].min().strftime("%Y%m%dT%H%M%S%f")  # type: ignore[union-attr]
            written.append(self._write_atomic(target_dir, stamp, part.drop("_date"), dataset))
        return written

    def _write_atomic(
        self, directory: Path, prefix: str, frame: pl.DataFrame, dataset: str, extra: dict | None = None
    ) -> Path:
        """Write ``frame`` to a temporary file, fsync it, and rename it to
        ``<prefix>-<content hash>.parquet``: the name is unique per content, so regenerating the
        same data gives the same files (and writing the same rows twice keeps one file)."""
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"dataset": dataset, "version": DATASETS[dataset][1], **(extra or {})}
        table = frame.to_arrow()
        table = table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
        tmp = directory / f".{prefix}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            with open(tmp, "wb") as fh:
                pq.write_table(table, fh, compression="zstd")
                fh.flush()
                os.fsync(fh.fileno())
            digest = hashlib.sha256(tmp.read_bytes()).hexdigest()[:16]
            path = directory / f"{prefix}-{digest}.parquet"
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        _fsync_dir(directory)
        return path

    # -- reading -----------------------------------------------------------------------------
    def clusters(self, dataset: str) -> list[str]:
        """Cluster names that have data in ``dataset``."""
        base = self.root / dataset
        if not base.is_dir():
            return []
        return sorted(
            unquote(p.name[len("cluster=") :]) for p in base.iterdir() if p.name.startswith("cluster=")
        )

    def files(
        self,
        dataset: str,
        cluster: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Path]:
        """The live files of ``dataset`` whose date partition overlaps [since, until]."""
        self._check_dataset(dataset)
        clusters = [cluster] if cluster is not None else self.clusters(dataset)
        out: list[Path] = []
        for name in clusters:
            cdir = self.root / dataset / cluster_dirname(name)
            if not cdir.is_dir():
                continue
            for ddir in sorted(cdir.iterdir()):
                m = _DATE_RE.match(ddir.name)
                if not m:
                    continue
                day = dt.date.fromisoformat(m.group(1))
                if since is not None and day < since.astimezone(dt.UTC).date():
                    continue
                if until is not None and day > until.astimezone(dt.UTC).date():
                    continue
                out.extend(_live_files(ddir))
        return out

    def scan(
        self,
        dataset: str,
        cluster: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> pl.LazyFrame:
        """A lazy scan of ``dataset`` filtered to [since, until) (either end optional)."""
        files = self.files(dataset, cluster, since, until)
        schema = DATASETS[dataset][0]
        if not files:
            return pl.LazyFrame(schema=schema)
        for f in files[:1] + files[-1:]:
            self._check_version(f, dataset)
        lf = pl.scan_parquet([str(f) for f in files], schema=schema)
        if cluster is not None:
            lf = lf.filter(pl.col("cluster") == cluster)
        if since is not None:
            lf = lf.filter(pl.col("ts") >= since)
        if until is not None:
            lf = lf.filter(pl.col("ts") < until)
        return lf

    def latest_ts(self, dataset: str, cluster: str) -> dt.datetime | None:
        """The newest ``ts`` stored for ``cluster`` (reads only the newest date partition)."""
        cdir = self.root / dataset / cluster_dirname(cluster)
        days = sorted(p for p in cdir.iterdir() if _DATE_RE.match(p.name)) if cdir.is_dir() else []
        for ddir in reversed(days):
            files = _live_files(ddir)
            if files:
                value = pl.scan_parquet([str(f) for f in files]).select(pl.col("ts").max()).collect().item()
                return value
        return None

    def read(self, dataset: str, **kwargs: object) -> pl.DataFrame:
        """Eager :meth:`scan`."""
        return self.scan(dataset, **kwargs).collect()  # type: ignore[arg-type]

    # -- compaction --------------------------------------------------------------------------
    def compact(self, dataset: str, cluster: str | None = None, before: dt.date | None = None) -> list[Path]:
        """Merge each day's small files into one file, sorted by time.

        Crash-safe: the merged file is written atomically and names its sources in its
        metadata; readers skip sources a merged file covers, so a crash between writing the
        merged file and deleting the sources never double-counts. Returns merged files.
        """
        merged: list[Path] = []
        clusters = [cluster] if cluster is not None else self.clusters(dataset)
        for name in clusters:
            cdir = self.root / dataset / cluster_dirname(name)
            for ddir in sorted(p for p in cdir.iterdir() if _DATE_RE.match(p.name)) if cdir.is_dir() else []:
                if before is not None and dt.date.fromisoformat(ddir.name[5:]) >= before:
                    continue
                out = self._compact_dir(dataset, ddir)
                if out is not None:
                    merged.append(out)
        return merged

    def _compact_dir(self, dataset: str, ddir: Path) -> Path | None:
        _delete_covered(ddir)
        files = _live_files(ddir)
        if len(files) < 2:
            return None
        for f in files:
            self._check_version(f, dataset)
        frame = pl.read_parquet([str(f) for f in files], schema=DATASETS[dataset][0]).sort("ts")
        stamp = frame["ts"].min().strftime("%Y%m%dT%H%M%S%f")  # type: ignore[union-attr]
        out = self._write_atomic(
            ddir, f"{stamp}-compact", frame, dataset, {"replaces": [f.name for f in files]}
        )
        _delete_covered(ddir)
        return out

    # -- helpers -----------------------------------------------------------------------------
    def _partition_dir(self, dataset: str, cluster: str, day: dt.date) -> Path:
        return self.root / dataset / cluster_dirname(cluster) / f"date={day.isoformat()}"

    @staticmethod
    def _check_dataset(dataset: str) -> None:
        if dataset not in DATASETS:
            raise StoreError(f"unknown dataset {dataset!r}: expected one of {', '.join(sorted(DATASETS))}")

    @staticmethod
    def _check_version(path: Path, dataset: str) -> None:
        meta = _file_meta(path)
        want = DATASETS[dataset][1]
        if meta.get("version") != want:
            raise StoreError(
                f"{path}: schema version {meta.get('version')} of dataset {dataset!r}, this workbench "
                f"reads version {want}: upgrade the workbench or move the file aside"
            )


def _file_meta(path: Path) -> dict:
    try:
        raw = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid) as exc:
        raise StoreError(f"{path}: unreadable Parquet file ({exc}); move it aside and retry") from exc
    try:
        return json.loads(raw.get(_META_KEY, b"{}"))
    except ValueError as exc:
        raise StoreError(f"{path}: corrupt workbench metadata; move it aside and retry") from exc


def _parquet_files(ddir: Path) -> list[Path]:
    return sorted(p for p in ddir.iterdir() if p.suffix == ".parquet" and not p.name.startswith("."))


def _covered(ddir: Path, files: Iterable[Path]) -> set[str]:
    covered: set[str] = set()
    for f in files:
        if "-compact-" in f.name:
            covered.update(_file_meta(f).get("replaces", []))
    return covered


def _live_files(ddir: Path) -> list[Path]:
    files = _parquet_files(ddir)
    covered = _covered(ddir, files)
    return [f for f in files if f.name not in covered]


def _delete_covered(ddir: Path) -> None:
    files = _parquet_files(ddir)
    for name in _covered(ddir, files):
        (ddir / name).unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
