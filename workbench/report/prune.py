"""Retention for rendered reports: find and delete report files older than a cutoff.

Every render writes ``<out>/<name>/<stamp>.html`` with ``<stamp>.ipynb`` and ``<stamp>.json``
beside it (``<stamp>.failed.ipynb`` for a failed run); ``<stamp>`` is ``YYYYmmddTHHMMSSZ`` in
UTC, optionally with ``-2``, ``-3``... The stamp in the name, not the file's mtime, dates it, so
copying a reports tree does not change what is old. Files without such a name are never touched.
After a deletion :func:`prune_reports` regenerates ``<out>/index.html``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import ReportError
from workbench.report.index import write_index

_FILE_RE = re.compile(r"^(\d{8}T\d{6}Z)(?:-\d+)?(?:\.failed)?\.(?:html|ipynb|json)$")


@dataclass(frozen=True)
class OldReportFile:
    """One report file (page, notebook or metadata) stamped before the cutoff."""

    report: str
    when: dt.datetime
    path: Path
    size: int


def report_time(name: str) -> dt.datetime | None:
    """The UTC instant in a report file name (``20261127T103000Z.html``), or None for other files."""
    m = _FILE_RE.match(name)
    if not m:
        return None
    return dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def plan_report_prune(out_dir: str | os.PathLike[str], cutoff: dt.datetime) -> list[OldReportFile]:
    """Every report file under ``out_dir/<name>/`` stamped before ``cutoff``, oldest first.

    Deletes nothing. A missing reports directory has nothing to prune.
    """
    root = Path(out_dir)
    if not root.is_dir():
        return []
    found = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(p for p in sub.iterdir() if p.is_file()):
            when = report_time(path.name)
            if when is not None and when < cutoff:
                found.append(OldReportFile(sub.name, when, path, path.stat().st_size))
    return sorted(found, key=lambda f: (f.when, f.report, f.path.name))


def prune_reports(out_dir: str | os.PathLike[str], files: list[OldReportFile]) -> int:
    """Delete ``files`` and regenerate ``out_dir/index.html``; returns how many were deleted."""
    deleted = 0
    for f in files:
        try:
            f.path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise ReportError(f"cannot delete {f.path}: {exc.strerror}; check permissions") from exc
        deleted += 1
    write_index(Path(out_dir))
    return deleted
