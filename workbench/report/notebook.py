"""What a report notebook calls to show things: findings, tables, the data window, JSON, charts.

Text that comes from the cluster (group, topic, client ids) is HTML-escaped here, and Markdown
punctuation backslash-escaped, so a group named ``<script>alert(1)</script>`` shows as text.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench import units
from workbench.frames.lag import load_log_ends  # old import path, removed in 0.3
from workbench.report import tables
from workbench.scalars import as_datetime, as_float

__all__ = [
    "find_data_dir",
    "findings_markdown",
    "load_log_ends",
    "md_escape",
    "scorecard_html",
    "show_comparison",
    "show_findings",
    "show_json",
    "show_runs_window",
    "show_sentences",
    "show_sweep",
    "show_table",
    "show_window",
    "table_html",
    "window_text",
]

#: Output metadata key under which :func:`show_findings` records its findings.
FINDINGS_KEY = "workbench_findings"
#: Output metadata key under which :func:`show_figures` records its figures and their basis.
FIGURES_KEY = "workbench_figures"
_URI_RE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_MD_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def find_data_dir(data_dir: str | os.PathLike[str]) -> Path | str:
    """``data_dir`` as given (an object-store URI such as ``s3://b/p`` unchanged), or, when relative
    and missing, found in a parent of the current directory (so a notebook run from ``notebooks/``
    by nbval finds ``data/sample``)."""
    if is_uri(data_dir):
        return str(data_dir)
    path = Path(data_dir)
    if path.is_absolute() or path.exists():
        return path
    for parent in Path.cwd().parents:
        if (parent / path).exists():
            return parent / path
    return path


def is_uri(data_dir: object) -> bool:
    """True for an object-store URI (``s3://...``), not a local path (``file://`` is local)."""
    text = os.fspath(data_dir) if isinstance(data_dir, os.PathLike) else str(data_dir)
    return bool(_URI_RE.match(text)) and not text.startswith("file://")


def md_escape(text: object) -> str:
    """``text`` safe inside Markdown: HTML-escaped, then Markdown punctuation backslash-escaped."""
    return _MD_SPECIAL_RE.sub(r"\\\1", html.escape(str(text), quote=False))


def findings_markdown(findings: Iterable[tuple[str, str]]) -> str:
    """A bullet list from (level, sentence) pairs; every sentence escaped with :func:`md_escape`."""
    lines = [f"- **{md_escape(level)}**: {md_escape(sentence)}" for level, sentence in findings]
    return "\n".join(lines) or "- No findings: no data in the window."


def show_findings(findings: Iterable[tuple[str, str]]) -> None:
    """Display the findings as Markdown (escaped) and record them (output metadata ``workbench_findings``)
    for the report's findings file and notifications."""
    from IPython.display import Markdown, display

    pairs = [(str(level), str(sentence)) for level, sentence in findings]
    recorded = [{"level": level, "text": sentence} for level, sentence in pairs]
    display(Markdown(findings_markdown(pairs)), metadata={FINDINGS_KEY: recorded})


def show_figures(figures: Sequence[Mapping[str, Any]]) -> None:
    """Show ``quantity, value, unit, basis, given`` rows as a table and record them (output metadata
    ``workbench_figures``) for the report's findings file. ``given``: a parameter as the user
    gave it (its own units), when it is one."""
    from IPython.display import HTML, display

    from workbench.analyze.capacity.tables import FIGURE_SCHEMA

    rows = [{k: f.get(k) for k in FIGURE_SCHEMA} for f in figures]
    shown = pl.DataFrame(rows, schema=FIGURE_SCHEMA).with_columns(pl.col("given").fill_null(""))
    page = table_html(shown, {"value": ",.2f"}, max_rows=200)
    display(HTML(page), metadata={FIGURES_KEY: rows})


def table_html(frame: pl.DataFrame, formats: Mapping[str, str] | None = None, max_rows: int = 50) -> str:
    """An HTML table of ``frame`` (first ``max_rows`` rows), every cell escaped, in the report's
    human form (:mod:`workbench.report.tables`: names without snake_case, IEC bytes, durations,
    ``unknown`` for null, ``yes``/``no``). ``formats`` maps an original column name to a format
    spec (``",.0f"``)."""
    head = "".join(f"<th>{html.escape(tables.human_name(c))}</th>" for c in frame.columns)
    how = tables.formats_by_column(frame, formats)
    body = []
    for row in frame.head(max_rows).iter_rows():
        cells = "".join(f"<td>{tables.cell_text(v, f, k)}</td>" for v, (f, k) in zip(row, how, strict=True))
        body.append(f"<tr>{cells}</tr>")
    more = f"<caption>first {max_rows} of {frame.height} rows</caption>" if frame.height > max_rows else ""
    return (
        f'<table class="wb-table">{more}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def show_table(
    frame: pl.DataFrame,
    formats: Mapping[str, str] | None = None,
    max_rows: int = 50,
    empty: str | None = None,
) -> None:
    """Display ``frame`` as an escaped HTML table, or the sentence ``empty`` when it has no rows."""
    from IPython.display import HTML, display

    if frame.is_empty():
        show_sentences([empty or tables.EMPTY])
        return
    display(HTML(table_html(frame, formats, max_rows)))


def window_text(frame: pl.DataFrame, cluster: str | None = None) -> str:
    """``"cluster sample: 2024-05-18 12:00 → 2024-05-20 11:59 UTC (2,880 snapshots)"``."""
    if frame.is_empty():
        return f"cluster {cluster}: no data in the window" if cluster else "no data in the window"
    first, last = as_datetime(frame["ts"].min()), as_datetime(frame["ts"].max())
    snaps = frame["ts"].n_unique()
    name = cluster
    if name is None and "cluster" in frame.columns:
        name = ", ".join(sorted(frame["cluster"].drop_nulls().unique().to_list()))
    span = f"{first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} UTC ({snaps:,} snapshots)"
    return f"cluster {name}: {span}" if name else span


def show_window(frame: pl.DataFrame, cluster: str | None = None) -> None:
    """Display the data window and record it (output metadata) for the report header (which
    shows it, so the report's stylesheet hides this copy)."""
    from IPython.display import HTML, display

    text = window_text(frame, cluster)
    body = f'<p class="wb-window"><em>Data window: {html.escape(text)}</em></p>'
    display(HTML(body), metadata={"workbench": {"window": text}})


def show_sentences(sentences: Sequence[str]) -> None:
    """Display plain sentences as escaped Markdown paragraphs."""
    from IPython.display import Markdown, display

    display(Markdown("\n\n".join(md_escape(s) for s in sentences)))


def show_json(value: object) -> None:
    """Display ``value`` as indented JSON in an escaped ``<pre>`` block."""
    from IPython.display import HTML, display

    display(HTML(f'<pre class="wb-json">{html.escape(json.dumps(value, indent=2))}</pre>'))


def show_runs_window(runs: pl.DataFrame) -> None:
    """Display which runs the report covers (and record it for the report header)."""
    from IPython.display import HTML, display

    clusters = ", ".join(sorted(runs["cluster"].unique().to_list()))
    first, last = as_datetime(runs["ts"].min()), as_datetime(runs["ts"].max())
    span = f"{first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} UTC"
    text = f"cluster {clusters}: {runs.height} benchmark runs, {span}"
    body = f'<p class="wb-window"><em>Data window: {html.escape(text)}</em></p>'
    display(HTML(body), metadata={"workbench": {"window": text}})


def show_sweep(summary: pl.DataFrame) -> None:
    """The throughput-vs-p99 chart, or a sentence when no selected run belongs to a sweep."""
    from IPython.display import display

    from workbench.analyze.latency import sweep_curve
    from workbench.charts.latency import NO_SWEEP, throughput_vs_p99

    curve = sweep_curve(summary)
    if curve.is_empty():
        show_sentences([NO_SWEEP])
        return
    keys = [
        c
        for c in curve.columns
        if c not in {"run_id", "label", "records_per_s", "mb_per_s", "p50_ms", "p99_ms", "max_ms"}
    ]
    display(throughput_vs_p99(curve, keys[0] if keys else None, keys[1] if len(keys) > 1 else None))


def show_comparison(comparison: pl.DataFrame, threshold_pct: float = 10.0) -> None:
    """The comparison table and bars, or a sentence when no run has a baseline."""
    from IPython.display import display

    from workbench.analyze.latency.findings import METRIC_NAMES
    from workbench.charts.latency import NO_BASELINE, comparison_bars

    if comparison.is_empty():
        show_sentences([NO_BASELINE])
        return
    display(comparison_bars(comparison, threshold_pct))
    table = comparison.select(
        pl.col("label").alias("run"), "run_id", pl.col("baseline_run_id").alias("baseline"),
        pl.col("metric").replace(METRIC_NAMES),
        "value", pl.col("baseline").alias("baseline value"), pl.col("diff_pct").alias("% diff"), "regression",
    )  # fmt: skip
    show_table(table, {"value": ",.3f", "baseline value": ",.3f", "% diff": "+.1f"})


def scorecard_html(cluster_info: pl.DataFrame, topics: pl.DataFrame, findings: pl.DataFrame) -> str:
    """Cards: brokers, topics, partitions, bytes, and the critical / warning / info counts."""
    counts = dict(findings.group_by("severity").len().iter_rows()) if findings.height else {}
    info = cluster_info.row(0, named=True) if cluster_info.height else {}
    cards = [
        ("cluster id", str(info.get("cluster_id") or "unknown"), ""),
        ("brokers", str(info.get("broker_count") or 0), ""),
        ("topics", f"{topics.height:,}", ""),
        ("partitions", f"{int(topics['partitions'].sum() or 0):,}" if topics.height else "0", ""),
        (
            "on disk",
            units.bytes_iec(as_float(topics["size_bytes"].sum()) if "size_bytes" in topics.columns else 0),
            "",
        ),
        ("critical", str(counts.get("critical", 0)), "crit" if counts.get("critical") else "ok"),
        ("warning", str(counts.get("warning", 0)), "warn" if counts.get("warning") else "ok"),
        ("info", str(counts.get("info", 0)), ""),
    ]
    colors = {"crit": "#8e0000", "warn": "#b07400", "ok": "#2e7d32", "": "#1f2933"}
    body = "".join(
        '<div style="display:inline-block;min-width:110px;margin:0 10px 10px 0;padding:8px 12px;'
        f'border:1px solid #d9e2ec;border-radius:6px"><div style="font-size:12px;color:#52606d">'
        f'{html.escape(label)}</div><div style="font-size:20px;font-weight:600;color:{colors[kind]}">'
        f"{html.escape(value)}</div></div>"
        for label, value, kind in cards
    )
    return f'<div class="wb-scorecard">{body}</div>'
