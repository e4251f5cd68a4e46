"""One look for every chart: fonts, sizes, the status colour scale, and safe HTML output."""

from __future__ import annotations

import json
import os
import textwrap
from typing import Any, Final, TypeVar

import altair as alt
import polars as pl

from workbench.analyze.lag.window import TIMELINE_ORDER

#: A chart never gets more rows than this: aggregate in Polars first (Altair refuses > 5,000).
MAX_ROWS = 5000
WIDTH = 900
FONT = "Segoe UI, Helvetica Neue, Arial, sans-serif"

#: Burrow statuses, least to most severe, and their colours: Okabe and Ito's colour-blind-safe set
#: (OK bluish green, WARN orange, REWIND sky blue, STALL reddish purple, STOP vermillion, ERR black),
#: greys for "not evaluated" (too little history for Burrow's window, see
#: :mod:`workbench.analyze.lag.window`) and NOTFOUND. STALL, STOP and ERR also differ in lightness.
STATUS_ORDER: tuple[str, ...] = TIMELINE_ORDER
STATUS_COLORS: dict[str, str] = {
    "not evaluated": "#e6e6e6",
    "NOTFOUND": "#b3b3b3",
    "OK": "#009e73",
    "WARN": "#e69f00",
    "REWIND": "#56b4e9",
    "STALL": "#cc79a7",
    "STOP": "#d55e00",
    "ERR": "#1a1a1a",
}
#: Shapes that tell the severe statuses apart without colour (charts draw them over the colour).
STATUS_SHAPES: dict[str, str] = {"STALL": "triangle-up", "STOP": "square", "ERR": "cross"}
#: A categorical palette for series (groups, topics) that avoids the status colours' meaning.
SERIES_SCHEME: Final = "tableau10"
#: Its colours: a chart shows at most this many coloured series, the rest as one grey "others".
SERIES_COLORS: tuple[str, ...] = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
OTHERS_COLOR = "#9aa5b1"
#: Where a chart's left-out series are (the sentence under a chart that shows the top N).
EXPLORE = "the explore notebook (notebooks/explore.ipynb)"


def left_out(shown: int, total: int, what: str, by: str) -> str:
    """``"10 of 40 groups shown (most lag now); the other 30 are in the explore notebook ..."``,
    or ``""`` when nothing is left out."""
    if total <= shown:
        return ""
    return f"{shown} of {total} {what} shown ({by}); the other {total - shown} are in {EXPLORE}"


#: Any top-level chart: :func:`finish` returns the kind it was given.
ChartT = TypeVar("ChartT", bound=alt.TopLevelMixin)

CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None, "continuousWidth": WIDTH, "continuousHeight": 260},
    "title": {
        "fontSize": 16,
        "fontWeight": 600,
        "anchor": "start",
        "offset": 12,
        "subtitleFontSize": 13,
        "subtitleColor": "#52606d",
    },
    "axis": {
        "labelFontSize": 12,
        "titleFontSize": 13,
        "titleFontWeight": 500,
        "gridColor": "#e4e9ee",
        "domainColor": "#9aa5b1",
        "tickColor": "#9aa5b1",
        "labelLimit": 260,
    },
    "legend": {"labelFontSize": 12, "titleFontSize": 13, "labelLimit": 260, "orient": "right"},
    "header": {"labelFontSize": 13, "titleFontSize": 13},
    "line": {"strokeWidth": 2},
}


def status_scale() -> alt.Scale:
    """The status colour scale (every status, in severity order)."""
    return alt.Scale(domain=list(STATUS_ORDER), range=[STATUS_COLORS[s] for s in STATUS_ORDER])


def status_shape_scale() -> alt.Scale:
    """The shape of each severe status (:data:`STATUS_SHAPES`)."""
    return alt.Scale(domain=list(STATUS_SHAPES), range=list(STATUS_SHAPES.values()))


def finish(chart: ChartT, title: str, subtitle: str | list[str] | None = None) -> ChartT:
    """Apply the title and the theme to a top-level chart (a list subtitle: one line each, so a
    long subtitle does not widen the chart and shrink it to fit the page)."""
    heading = alt.TitleParams(text=title, subtitle=subtitle) if subtitle else alt.TitleParams(text=title)
    return chart.properties(title=heading).configure(**CONFIG)


def empty_note(title: str, sentence: str) -> alt.Chart:
    """The chart shown instead of an empty one: its title and ``sentence`` (what data is missing
    and how to get it) as a text mark, without axes or legend."""
    lines = textwrap.wrap(sentence, 110)
    data = alt.Data(values=[{"note": "\n".join(lines)}])
    text = alt.Chart(data).mark_text(
        align="left", baseline="top", fontSize=14, color="#52606d", lineBreak="\n", lineHeight=20
    )
    chart = text.encode(text="note:N", x=alt.value(0), y=alt.value(0))
    # the whole sentence also goes in the description (screen readers, and searchable in a report)
    return finish(chart.properties(width=WIDTH - 150, height=20 * len(lines), description=sentence), title)


def check_rows(frame: pl.DataFrame, what: str) -> pl.DataFrame:
    """Refuse to chart more than :data:`MAX_ROWS` rows (a bug in the pre-aggregation)."""
    if frame.height > MAX_ROWS:
        raise ValueError(f"{what}: {frame.height} rows to chart, more than {MAX_ROWS}: aggregate first")
    return frame


class ScriptSafeJSONEncoder(json.JSONEncoder):
    """JSON that can sit inside an HTML ``<script>``: ``<``, ``>`` and ``&`` become ``\\u`` escapes.

    Without it a group named ``</script><script>...`` would close the chart's script element in
    the report and run as code. The escapes only occur inside JSON strings, so the value is the same.
    """

    def encode(self, o: Any) -> str:
        text = super().encode(o)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def setup(mode: str | None = None) -> None:
    """Configure Altair in a report notebook: the HTML renderer with script-safe JSON, or SVG.

    ``mode`` is ``"html"`` (interactive, the default) or ``"svg"`` (static); when not given it is
    read from the ``WORKBENCH_CHARTS`` environment variable that the report stage sets.
    Returns None, so it prints nothing as the last line of a cell.
    """
    mode = mode or os.environ.get("WORKBENCH_CHARTS", "html")
    if mode == "svg":
        alt.renderers.register("workbench-svg", _utc_renderer("svg"))
        alt.renderers.enable("workbench-svg")
    else:
        alt.renderers.register("workbench-html", _utc_renderer("default"))
        alt.renderers.enable("workbench-html", json_kwds={"cls": ScriptSafeJSONEncoder})


def _utc_renderer(name: str) -> Any:
    """Altair's renderer ``name``, given the spec after :func:`~workbench.charts.utc.to_utc`."""
    from workbench.charts.utc import to_utc

    alt.renderers.enable(name)
    inner = alt.renderers.get()

    def render(spec: dict[str, Any], **metadata: Any) -> Any:
        return inner(to_utc(spec), **metadata)  # type: ignore[misc]

    return render
