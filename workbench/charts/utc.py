"""Every chart reads in UTC with a 24-hour clock, whatever the viewer's time zone.

:func:`to_utc` rewrites a Vega-Lite spec: temporal position scales become ``utc`` scales, time units
get their ``utc`` form, temporal tooltips and text format in UTC. The report renderers apply it to
every chart (:func:`workbench.charts.setup`), so no chart function can forget it.
"""

from __future__ import annotations

from typing import Any

#: Axis labels per time granularity: 24-hour clock, ISO-like dates that never run into each other.
TIME_FORMATS: dict[str, str] = {
    "year": "%Y",
    "quarter": "%Y-%m",
    "month": "%Y-%m",
    "week": "%b %d",
    "date": "%a %b %d",
    "day": "%a %b %d",
    "hours": "%H:%M",
    "minutes": "%H:%M",
    "seconds": "%H:%M:%S",
    "milliseconds": "%H:%M:%S.%L",
}
#: Temporal axes drop labels that would touch ("Mon Nov 1612:00" never shows).
AXIS: dict[str, Any] = {"labelOverlap": "greedy", "labelSeparation": 8}
#: Tooltips and text marks: the full instant, labelled UTC.
INSTANT_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
_POSITION = {"x", "y", "x2", "y2"}
_TEXT = {"tooltip", "text"}


def to_utc(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``spec`` whose temporal encodings all read in UTC."""
    return _walk(spec)


def _walk(node: Any) -> Any:
    if isinstance(node, list):
        return [_walk(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _walk(value) for key, value in node.items()}
    encoding = out.get("encoding")
    if isinstance(encoding, dict):
        out["encoding"] = {channel: _channel(channel, defs) for channel, defs in encoding.items()}
    return out


def _channel(channel: str, defs: Any) -> Any:
    if isinstance(defs, list):
        return [_field(channel, d) for d in defs]
    return _field(channel, defs)


def _field(channel: str, field: Any) -> Any:
    if not isinstance(field, dict) or not _is_temporal(field):
        return field
    field = dict(field)
    unit = field.get("timeUnit")
    if isinstance(unit, str) and not unit.startswith("utc"):
        field["timeUnit"] = "utc" + unit
    elif isinstance(unit, dict) and not str(unit.get("unit", "")).startswith("utc"):
        field["timeUnit"] = {**unit, "unit": "utc" + str(unit.get("unit", ""))}
    if channel in _POSITION:
        if "timeUnit" not in field:
            field["scale"] = {**(field.get("scale") or {}), "type": "utc"}
        axis = field.get("axis", {})
        if isinstance(axis, dict) and "format" not in axis:  # None: the chart hides the axis
            field["axis"] = {**AXIS, **axis, "format": TIME_FORMATS}  # a utc scale formats in UTC
    if channel in _TEXT and "format" not in field:
        field["format"], field["formatType"] = INSTANT_FORMAT, "utc"
    return field


def _is_temporal(field: dict[str, Any]) -> bool:
    return field.get("type") == "temporal" or "timeUnit" in field
