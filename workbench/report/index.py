"""``reports/index.html``: every rendered report, newest first, with its parameters.

Built from the ``<stamp>.json`` file written beside each report (an HTML page without one is
still listed, by its file name) and its ``<stamp>.findings.json`` (findings by severity). Failed
runs are listed with their kept notebook and their error. Every value is HTML-escaped and every
link URL-quoted.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

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
    """The index page's HTML."""
    catalog = CATALOG if catalog is None else catalog
    rows = "\n".join(_row(e, catalog) for e in entries) or '<tr><td colspan="6">No reports yet.</td></tr>'
    return _PAGE.format(rows=rows, count=len(entries))


def _row(entry: Entry, catalog: Mapping[str, ReportSpec]) -> str:
    e = html.escape
    spec = catalog.get(entry.name)
    title = spec.title if spec else entry.name
    params = ", ".join(f"{k}={v!r}" for k, v in entry.parameters.items()) or "defaults"
    status = '<span class="failed">failed run: notebook kept</span>' if entry.failed else ""
    if entry.error:
        status += f'<div class="error">{e(entry.error)}</div>'
    return (
        f'<tr><td><a href="{e(entry.href)}">{e(title)}</a> {status}</td><td><code>{e(entry.name)}</code></td>'
        f"<td>{e(entry.when.strftime('%Y-%m-%d %H:%M:%S UTC'))}</td><td>{_counts(entry)}</td>"
        f"<td>{e(params)}</td><td>{e(entry.window)}</td></tr>"
    )


def _counts(entry: Entry) -> str:
    """Findings by severity (from ``<stamp>.findings.json``), most severe first; none shown as such."""
    if entry.failed:
        return ""
    found = [(k, int(v)) for k, v in entry.counts.items() if isinstance(v, int) and v]
    order = {k: i for i, k in enumerate(("critical", "warning", "info", "ok"))}
    found.sort(key=lambda kv: order.get(kv[0], len(order)))
    text = ", ".join(f'<span class="sev-{html.escape(k)}">{v} {html.escape(k)}</span>' for k, v in found)
    return text or ("no findings" if entry.counts else "")


def write_index(out_dir: Path, catalog: Mapping[str, ReportSpec] | None = None) -> Path:
    """Regenerate ``out_dir/index.html`` (atomically) and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    tmp = path.with_name(f".index.html.tmp-{os.getpid()}")
    tmp.write_text(render_index(collect_entries(out_dir), catalog), encoding="utf-8")
    os.replace(tmp, path)
    return path


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Workbench reports</title>
<style>
body {{ font-family: "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: #1f2933; margin: 0; }}
main {{ max-width: 1200px; margin: 0 auto; padding: 24px; }}
h1 {{ font-weight: 600; border-bottom: 3px solid #2f6fae; padding-bottom: 8px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
th, td {{ text-align: left; padding: 6px 10px; border-bottom: 1px solid #d9e2ec; vertical-align: top; }}
th {{ background: #f0f4f8; }}
td code {{ white-space: nowrap; }}
.failed {{ color: #c62828; font-weight: 600; }}
.error {{ color: #7b1f1f; font-size: 13px; margin-top: 4px; white-space: pre-wrap; }}
.sev-critical {{ color: #c62828; font-weight: 600; }}
.sev-warning {{ color: #b26a00; font-weight: 600; }}
</style>
</head>
<body><main>
<h1>Workbench reports</h1>
<p>{count} report file(s), newest first.</p>
<table>
<thead><tr><th>Report</th><th>Name</th><th>Generated</th><th>Findings</th><th>Parameters</th>
<th>Data window</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</main></body>
</html>
"""
