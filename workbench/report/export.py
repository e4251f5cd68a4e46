"""Executed notebook -> one self-contained HTML page: no code, no CDN, every chart drawn offline.

Altair's default renderer emits per chart a loader that fetches vega, vega-lite and vega-embed
from a CDN unless ``VEGA_DEBUG`` already names the loaded versions. The page therefore inlines
ONE copy of the bundle shipped inside ``vl-convert-python`` and sets ``VEGA_DEBUG`` to the
versions the chart outputs ask for, so no chart touches the network. This hand-off is an
Altair implementation detail: ``tests/test_report.py`` fails if an upgrade changes it. The bundle
is kept in ``~/.cache/workbench/vega`` (building it costs seconds of CPU in every new process).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter

from workbench.errors import ReportError

TEMPLATES = Path(__file__).parent / "templates"
_LOADER_RE = re.compile(r'maybeLoadScript\("(vega|vega-lite|vega-embed)", "([^"]+)"\)')
_CHART_MARK = "altair-viz-"


def chart_versions(nb: nbformat.NotebookNode) -> dict[str, str]:
    """The library versions the Altair chart outputs load (``{}`` when there is no HTML chart)."""
    found: dict[str, str] = {}
    for html in _html_outputs(nb):
        if _CHART_MARK not in html:
            continue
        _check_chart_output(html)
        for lib, version in _LOADER_RE.findall(html):
            if found.setdefault(lib, version) != version:
                raise ReportError(f"charts ask for two versions of {lib}: {found[lib]} and {version}")
    return found


def _html_outputs(nb: nbformat.NotebookNode) -> list[str]:
    out = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if html:
                out.append(html if isinstance(html, str) else "".join(html))
    return out


def _check_chart_output(html: str) -> None:
    """A chart output holds exactly one script: more means data text broke out of it."""
    if html.lower().count("</script") != 1:
        raise ReportError(
            "a chart output holds text that closes its <script> (unescaped '</script>' in chart data); "
            "call workbench.charts.setup() before displaying charts"
        )


@functools.cache
def vega_bundle(vegalite_version: str) -> str:
    """The vega + vega-lite + vega-embed JavaScript bundle for ``vegalite_version`` (``"6.4.1"``)."""
    import vl_convert

    major_minor = ".".join(vegalite_version.split(".")[:2])
    if major_minor not in vl_convert.get_vegalite_versions():
        raise ReportError(
            f"vl-convert-python {importlib.metadata.version('vl-convert-python')} has no Vega-Lite "
            f"{major_minor} bundle, which the "
            "charts need: upgrade altair and vl-convert-python together"
        )
    bundle = _cached_bundle(importlib.metadata.version("vl-convert-python"), major_minor)
    if "</script" in bundle.lower() or "<!--" in bundle:
        raise ReportError("the vl-convert JavaScript bundle cannot be inlined in a <script> element")
    return bundle


def _cached_bundle(vl_convert_version: str, major_minor: str) -> str:
    """vl-convert's bundle (seconds of CPU to build) kept in ``$XDG_CACHE_HOME/workbench/vega``
    (default ``~/.cache``) by both versions; built again when that directory is unusable."""
    import vl_convert

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = base / "workbench" / "vega" / f"vl-convert-{vl_convert_version}-vega-lite-{major_minor}.js"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return path.read_text(encoding="utf-8")
    # the stub makes ``snippet`` required; the function's own signature defaults it to None
    bundle: str = vl_convert.javascript_bundle(vl_version=major_minor)  # type: ignore[call-arg]
    with contextlib.suppress(OSError):  # a read-only home: no cache, same bundle
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as tmp:
            tmp.write(bundle)
        os.replace(tmp.name, path)  # atomic: a concurrent reader sees no half-written file
    return bundle


def vega_debug(versions: Mapping[str, str]) -> str:
    """The ``VEGA_DEBUG`` object literal that tells Altair's loaders the libraries are loaded."""
    keys = {f"{lib.replace('-', '')}_version": version for lib, version in versions.items()}
    return json.dumps(keys, sort_keys=True)


def to_html(nb: nbformat.NotebookNode, page: Mapping[str, Any]) -> str:
    """Export ``nb`` to HTML without code cells, with the header described by ``page``.

    ``page`` holds ``name``, ``title``, ``description``, ``generated_at``, ``window``,
    ``parameters`` (a list of (name, text, passed) triples), ``notebook`` and ``version``.
    """
    versions = chart_versions(nb)
    bundle = ""
    if versions:
        missing = {"vega", "vega-lite", "vega-embed"} - set(versions)
        if missing:
            raise ReportError(f"chart outputs do not name the {', '.join(sorted(missing))} version")
        bundle = vega_bundle(versions["vega-lite"])
    workbench = {
        **page,
        "css": (TEMPLATES / "workbench" / "report.css").read_text(encoding="utf-8"),
        "vega_bundle": bundle,
        "vega_debug": vega_debug(versions),
    }
    exporter = HTMLExporter(
        template_name="workbench",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"workbench": workbench})
    return body
