"""Charts read in UTC with a 24-hour clock whatever the viewer's time zone (workbench.charts.utc)."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import altair as alt
import polars as pl
import pytest

from workbench.charts.utc import AXIS, INSTANT_FORMAT, TIME_FORMATS, to_utc

T0 = dt.datetime(2026, 11, 17, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ({"x": {"field": "ts", "type": "temporal"}}, {"x": {"field": "ts", "type": "temporal",
         "scale": {"type": "utc"}, "axis": {**AXIS, "format": TIME_FORMATS}}}),
        ({"x": {"field": "ts", "type": "temporal", "timeUnit": "hours"}}, {"x": {"field": "ts",
         "type": "temporal", "timeUnit": "utchours", "axis": {**AXIS, "format": TIME_FORMATS}}}),
        ({"x": {"field": "ts", "type": "temporal", "axis": None}}, {"x": {"field": "ts",
         "type": "temporal", "axis": None, "scale": {"type": "utc"}}}),  # a hidden axis stays hidden
        ({"x": {"field": "ts", "type": "temporal", "axis": {"format": "%d"}}}, {"x": {"field": "ts",
         "type": "temporal", "axis": {"format": "%d"}, "scale": {"type": "utc"}}}),  # own format kept
        ({"tooltip": [{"field": "ts", "type": "temporal"}, {"field": "v", "type": "quantitative"}]},
         {"tooltip": [{"field": "ts", "type": "temporal", "format": INSTANT_FORMAT, "formatType": "utc"},
                      {"field": "v", "type": "quantitative"}]}),
        ({"y": {"field": "v", "type": "quantitative"}}, {"y": {"field": "v", "type": "quantitative"}}),
        ({"x": {"field": "ts", "type": "temporal", "timeUnit": "utchours"}}, {"x": {"field": "ts",
         "type": "temporal", "timeUnit": "utchours", "axis": {**AXIS, "format": TIME_FORMATS}}}),
    ],
)  # fmt: skip
def test_to_utc_rewrites_temporal_encodings(encoding: dict, expected: dict) -> None:
    assert to_utc({"mark": "line", "encoding": encoding})["encoding"] == expected


def test_to_utc_reaches_layers_and_leaves_the_input_alone() -> None:
    spec = {"layer": [{"encoding": {"x": {"field": "ts", "type": "temporal"}}}]}
    out = to_utc(spec)
    assert out["layer"][0]["encoding"]["x"]["scale"] == {"type": "utc"}
    assert "scale" not in spec["layer"][0]["encoding"]["x"]


def _labels_in(tz: str, spec_path: Path) -> list[str]:
    code = (
        "import json, re, sys, vl_convert as v; "
        "svg = v.vegalite_to_svg(json.load(open(sys.argv[1]))); "
        "print(json.dumps(re.findall(r'<text[^>]*>([^<]*)</text>', svg)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(spec_path)], env={"TZ": tz, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow  # a second or more: out of the fast loop
def test_axis_labels_are_utc_24h_in_any_time_zone(tmp_path: Path) -> None:
    frame = pl.DataFrame({"ts": [T0 + dt.timedelta(hours=h) for h in range(30)], "v": list(range(30))})
    chart = alt.Chart(frame).mark_line().encode(x="ts:T", y="v:Q")
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(to_utc(chart.to_dict())))
    utc = _labels_in("UTC", spec_path)
    assert _labels_in("America/New_York", spec_path) == utc == _labels_in("Asia/Kolkata", spec_path)
    assert "12:00" in utc and "21:00" in utc  # 24-hour clock, the data's hours in UTC
    assert not [label for label in utc if re.search(r"\b(AM|PM)\b", label)]
    assert any(re.fullmatch(r"\w{3} \w{3} \d{2}", label) for label in utc)  # a day boundary: "Wed Nov 18"
