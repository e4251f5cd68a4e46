"""``reports/index.html``: every rendered report, newest first, with its parameters.

Built from the ``<stamp>.json`` file written beside each report (an HTML page without one is
still listed, by its file name) and its ``<stamp>.findings.json`` (findings by severity). Failed
runs are listed with their kept notebook and their error. The page is a
Jinja2 template with autoescape: every value is HTML-escaped, and every link URL-quoted.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from workbench.fsutil import atomic_write_text
from workbench.report.catalog import CATALOG, ReportSpec

_STAMP_RE = re.compile(r"^(\d{8}T\d{6}Z)(?:-\d+)?(\.failed)?\.(html|ipynb)$")


@dataclass(frozen=True)
class Entry:
    """One row of the index."""

    name: str
    stamp: str
    when: dt.datetime
    href: str
    failed: bool = False
    parameters: Mapping[str, Any] = field(default_factory=dict)
    window: str = ""
    error: str = ""
    counts: Mapping[str, int] = field(default_factory=dict)


def collect_entries(out_dir: Path) -> list[Entry]:
    """Every report page and failed notebook under ``out_dir``, newest first."""
    entries: list[Entry] = []
    if not out_dir.is_dir():
        return entries
    for sub in sorted(p for p in out_dir.iterdir() if p.is_dir()):
        for path in sorted(sub.iterdir()):
            entry = _entry(sub.name, path)
            if entry is not None:
                entries.append(entry)
    entries.sort(key=lambda e: (e.when, e.stamp), reverse=True)
    return entries


def _entry(name: str, path: Path) -> Entry | None:
    m = _STAMP_RE.match(path.name)
    if not m or (m.group(3) == "ipynb" and not m.group(2)):
        return None
    stem = path.name.split(".")[0]
    when = dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    meta = _read_meta(path.with_name(f"{stem}.json"))
    counts = _read_meta(path.with_name(f"{stem}.findings.json")).get("counts", {})
    href = f"{quote(name)}/{quote(path.name)}"
    failed = bool(m.group(2))
    error = str(meta.get("error", "")) if failed else ""
    return Entry(
        name, stem, when, href, failed, meta.get("passed", {}), meta.get("window", ""), error, counts
    )


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def render_index(entries: list[Entry], catalog: Mapping[str, ReportSpec] | None = None) -> str:
    """The index page's HTML (``templates/reports_index.html.j2``, autoescaped)."""
    catalog = CATALOG if catalog is None else catalog
    return _template().render(rows=[_row(e, catalog) for e in entries])


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("reports_index.html.j2")


def _row(entry: Entry, catalog: Mapping[str, ReportSpec]) -> dict[str, object]:
    spec = catalog.get(entry.name)
    return {
        "href": entry.href,
        "title": spec.title if spec else entry.name,
        "failed": entry.failed,
        "name": entry.name,
        "when": entry.when.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "params": ", ".join(f"{k}={v!r}" for k, v in entry.parameters.items()) or "defaults",
        "window": entry.window,
        "error": entry.error,
        "counts": [] if entry.failed else _counts(entry),
        "no_findings": "no findings" if entry.counts and not entry.failed else "",
    }


def _counts(entry: Entry) -> list[tuple[str, int]]:
    """Findings by severity (from ``<stamp>.findings.json``), most severe first, zeros left out."""
    found = [(str(k), int(v)) for k, v in entry.counts.items() if isinstance(v, int) and v]
    order = {k: i for i, k in enumerate(("critical", "warning", "info", "ok"))}
    return sorted(found, key=lambda kv: order.get(kv[0], len(order)))


def write_index(out_dir: Path, catalog: Mapping[str, ReportSpec] | None = None) -> Path:
    """Regenerate ``out_dir/index.html`` (atomically) and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    return atomic_write_text(path, render_index(collect_entries(out_dir), catalog))
