"""What a report notebook calls to show things: escaped findings, escaped tables, the data window.

Text that comes from the cluster (group, topic, client ids) is HTML-escaped here, and Markdown
punctuation backslash-escaped, so a group named ``<script>alert(1)</script>`` shows as text.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

#: Output metadata key under which :func:`show_findings` records its findings.
FINDINGS_KEY = "workbench_findings"
_MD_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def find_data_dir(data_dir: str | os.PathLike[str]) -> Path:
    """``data_dir`` as given, or, when relative and missing, found in a parent of the current
    directory (so a notebook run from ``notebooks/`` by nbval finds ``data/sample``)."""
    path = Path(data_dir)
    if path.is_absolute() or path.exists():
        return path
    for parent in Path.cwd().parents:
        if (parent / path).exists():
            return parent / path
    return path


def load_log_ends(
    data_dir: str | os.PathLike[str],
    cluster: str | None = None,
    since: str | None = "7d",
    until: str | None = None,
    topics: str | Sequence[str] | None = None,
) -> pl.DataFrame | None:
    """The ``partition_offsets`` history when the data directory has one, else None (an imported
    history may hold consumer-group offsets only; time lag then uses their log ends)."""
    from workbench.frames import load_partition_offsets
    from workbench.store import Store

    if not Store(data_dir).clusters("partition_offsets"):
        return None
    return load_partition_offsets(data_dir, cluster, since, until, topics)  # type: ignore[return-value]


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


def table_html(frame: pl.DataFrame, formats: Mapping[str, str] | None = None, max_rows: int = 50) -> str:
    """An HTML table of ``frame`` (first ``max_rows`` rows), every cell escaped.

    ``formats`` maps a column to a format spec (``",.0f"``); nulls show as an empty cell.
    """
    formats = formats or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.head(max_rows).iter_rows():
        cells = "".join(
            f"<td>{_cell(v, formats.get(c))}</td>" for c, v in zip(frame.columns, row, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    more = f"<caption>first {max_rows} of {frame.height} rows</caption>" if frame.height > max_rows else ""
    return (
        f'<table class="wb-table">{more}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def _cell(value: Any, fmt: str | None) -> str:
    if value is None:
        return ""
    if fmt is not None and isinstance(value, int | float):
        return html.escape(format(value, fmt))
    return html.escape(str(value))


def show_table(frame: pl.DataFrame, formats: Mapping[str, str] | None = None, max_rows: int = 50) -> None:
    """Display ``frame`` as an escaped HTML table."""
    from IPython.display import HTML, display

    display(HTML(table_html(frame, formats, max_rows)))


def window_text(frame: pl.DataFrame, cluster: str | None = None) -> str:
    """``"cluster sample: 2024-05-18 12:00 → 2024-05-20 11:59 UTC (2,880 snapshots)"``."""
    if frame.is_empty():
        return f"cluster {cluster}: no data in the window" if cluster else "no data in the window"
    first, last = frame["ts"].min(), frame["ts"].max()
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
