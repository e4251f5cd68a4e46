"""Charts: pure frame -> chart, themed, never more than MAX_ROWS rows, safe inside a <script>."""

from __future__ import annotations

import datetime as dt
import json

import altair as alt
import polars as pl
import pytest

from workbench import charts
from workbench.charts.bucket import bucket_seconds, step_label
from workbench.charts.theme import STATUS_COLORS, check_rows

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def _ts(n: int, step_s: int = 60) -> list[dt.datetime]:
    return [T0 + dt.timedelta(seconds=step_s * i) for i in range(n)]


def _data_rows(chart: alt.TopLevelMixin) -> int:
    spec = chart.to_dict()
    return sum(len(rows) for rows in spec.get("datasets", {}).values())


def _data(spec: dict) -> list[dict]:
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def _group_status(groups: int, snapshots: int) -> pl.DataFrame:
    statuses = ["OK", "WARN", "ERR"]
    return pl.DataFrame(
        {
            "ts": [t for t in _ts(snapshots) for _ in range(groups)],
            "group": [f"g{g}" for _ in range(snapshots) for g in range(groups)],
            "status": [statuses[(g + i // 100) % 3] for i in range(snapshots) for g in range(groups)],
        }
    )


@pytest.mark.parametrize(
    ("span_s", "series", "max_rows", "expected"),
    [
        # a day of 1-minute data, one series: 1 min buckets fit (1,441 rows)
        (86400, 1, 5000, 60),
        # a week, 40 series: 125 buckets each at most -> 2 h
        (7 * 86400, 40, 5000, 7200),
        # a week, one series: 5 min buckets (2,017 rows)
        (7 * 86400, 1, 5000, 300),
        # a zero-length window still gets a step
        (0, 3, 5000, 60),
    ],
)
def test_bucket_seconds(span_s: int, series: int, max_rows: int, expected: int) -> None:
    assert bucket_seconds(T0, T0 + dt.timedelta(seconds=span_s), series, max_rows) == expected


def test_bucket_never_finer_than_the_snapshots() -> None:
    # 5-minute snapshots over a day, one series: 1-minute buckets would fit but leave gaps
    assert bucket_seconds(T0, T0 + dt.timedelta(days=1), 1, 5000, min_step=300) == 300


@pytest.mark.parametrize(
    ("seconds", "label"), [(60, "1 min"), (900, "15 min"), (7200, "2 h"), (86400, "1 d")]
)
def test_step_label(seconds: int, label: str) -> None:
    assert step_label(seconds) == label


def test_check_rows_refuses_more_than_max() -> None:
    with pytest.raises(ValueError, match="aggregate first"):
        check_rows(pl.DataFrame({"a": range(charts.MAX_ROWS + 1)}), "x")


def test_status_timeline_aggregates_a_week_of_minutes() -> None:
    frame = _group_status(groups=30, snapshots=7 * 1440)  # 302,400 rows in
    chart = charts.status_timeline(frame)
    assert _data_rows(chart) <= charts.MAX_ROWS
    cells, glyphs = chart.to_dict()["layer"]
    assert cells["encoding"]["color"]["scale"]["range"] == [STATUS_COLORS[s] for s in charts.STATUS_ORDER]
    assert cells["encoding"]["tooltip"]
    # STALL, STOP and ERR differ by shape as well as colour (colour-blind readers)
    assert glyphs["encoding"]["shape"]["scale"] == {
        "domain": ["STALL", "STOP", "ERR"],
        "range": ["triangle-up", "square", "cross"],
    }


def test_status_timeline_keeps_the_worst_status_of_a_bucket() -> None:
    frame = pl.DataFrame({"ts": _ts(3), "group": ["g"] * 3, "status": ["OK", "ERR", "OK"]}).with_columns(
        pl.col("ts").dt.truncate("1h")
    )
    data = next(iter(charts.status_timeline(frame).to_dict()["datasets"].values()))
    assert [row["status"] for row in data] == ["ERR"]


def test_status_timeline_orders_worst_groups_first() -> None:
    frame = pl.DataFrame(
        {"ts": _ts(2) * 2, "group": ["a", "a", "b", "b"], "status": ["OK", "OK", "OK", "ERR"]}
    )
    spec = charts.status_timeline(frame).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["b", "a"]


def test_top_bars_takes_top_n_and_colours_by_status() -> None:
    frame = pl.DataFrame(
        {"group": [f"g{i}" for i in range(30)], "lag": list(range(30)), "status": ["OK"] * 30}
    )
    chart = charts.top_bars(frame, "lag", "Top groups", "messages", top_n=5)
    data = next(iter(chart.to_dict()["datasets"].values()))
    assert [row["group"] for row in data] == ["g29", "g28", "g27", "g26", "g25"]
    bars, labels = chart.to_dict()["layer"]
    assert bars["encoding"]["color"]["field"] == "status"
    assert labels["mark"]["type"] == "text"


def test_top_bars_without_status_uses_one_colour() -> None:
    chart = charts.top_bars(
        pl.DataFrame({"group": ["a"], "lag_s": [1.0]}), "lag_s", "t", "seconds", status=None
    )
    assert chart.to_dict()["layer"][0]["encoding"]["color"] == {"value": "#2f6fae"}


def test_lag_over_time_stays_under_max_rows_for_many_groups() -> None:
    n, groups = 7 * 1440, 20
    frame = pl.DataFrame(
        {
            "ts": [t for t in _ts(n) for _ in range(groups)],
            "group": [f"g{g}" for _ in range(n) for g in range(groups)],
            "lag": list(range(n * groups)),
        }
    )
    chart = charts.lag_over_time(frame, [f"g{g}" for g in range(groups)])
    assert _data_rows(chart) <= charts.MAX_ROWS


def test_produce_vs_consume_has_a_produce_series_per_topic() -> None:
    ts = _ts(120)
    produce = pl.DataFrame(
        {
            "ts": ts * 2,
            "topic": ["orders"] * 120 + ["quiet"] * 120,
            "produce_rate": [30.0] * 120 + [1.0] * 120,
        }
    )
    consume = pl.DataFrame(
        {
            "ts": ts * 2,
            "topic": ["orders"] * 240,
            "group": ["a"] * 120 + ["b"] * 120,
            "consume_rate": [29.0] * 240,
        }
    )
    chart = charts.produce_vs_consume(produce, consume, max_topics=1)
    spec = chart.to_dict()
    data = next(iter(spec["datasets"].values()))
    assert {row["series"] for row in data} == {"produce", "a", "b"}
    assert {row["topic"] for row in data} == {"orders"}
    assert spec["spec"]["encoding"]["color"]["scale"]["domain"] == ["produce", "a", "b"]


def test_partition_skew_heatmap() -> None:
    frame = pl.DataFrame({"topic": ["t"] * 4, "partition": [0, 1, 2, 3], "lag": [0, 10, 1000, 5]})
    spec = charts.partition_skew(frame).to_dict()
    assert spec["mark"]["type"] == "rect"
    assert spec["encoding"]["color"]["field"] == "vs_mean"
    data = next(iter(spec["datasets"].values()))
    assert [row["vs_mean"] for row in data] == pytest.approx([0, 10 / 253.75, 1000 / 253.75, 5 / 253.75])


def test_theme_applied() -> None:
    spec = charts.top_bars(pl.DataFrame({"group": ["a"], "lag": [1]}), "lag", "T", "m").to_dict()
    assert spec["config"]["font"].startswith("Segoe UI")
    assert spec["title"]["text"] == "T"


def test_script_safe_json_keeps_the_value() -> None:
    value = {"group": "</script><script>alert(1)</script> & <img src=x onerror=alert(2)>"}
    text = json.dumps(value, cls=charts.ScriptSafeJSONEncoder)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


def test_setup_html_output_cannot_close_its_script() -> None:
    try:
        charts.setup("html")
        frame = pl.DataFrame({"group": ["</script><script>alert(1)</script>"], "lag": [1]})
        html = charts.top_bars(frame, "lag", "T", "m")._repr_mimebundle_()["text/html"]
        assert html.lower().count("</script") == 1
    finally:
        alt.renderers.enable("default")


def test_setup_svg_mode() -> None:
    try:
        charts.setup("svg")
        assert alt.renderers.active == "workbench-svg"
        frame = pl.DataFrame({"group": ["a"], "lag": [1]})
        bundle = charts.top_bars(frame, "lag", "T", "m")._repr_mimebundle_()
        assert "<svg" in (bundle[0] if isinstance(bundle, tuple) else bundle)["image/svg+xml"]
    finally:
        alt.renderers.enable("default")


def test_lag_over_time_gives_each_shown_group_its_own_colour_and_the_rest_one_grey_line() -> None:
    n, groups = 100, 25
    frame = pl.DataFrame(
        {
            "ts": [t for t in _ts(n) for _ in range(groups)],
            "group": [f"g{g:02d}" for _ in range(n) for g in range(groups)],
            "lag": [g * 10 for _ in range(n) for g in range(groups)],
        }
    )
    spec = charts.lag_over_time(frame, [f"g{g:02d}" for g in range(12)]).to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert len(scale["domain"]) == len(set(scale["range"])) == 11  # 10 colours + the grey "others"
    assert scale["domain"][-1] == "other groups (max)"
    assert "10 of 25 groups shown" in " ".join(spec["title"]["subtitle"])
    others = [r for r in _data(spec) if r["group"] == "other groups (max)"]
    assert {r["lag"] for r in others} == {240}  # the maximum of g10 ... g24


def test_partition_skew_labels_every_tenth_partition_of_a_wide_topic() -> None:
    frame = pl.DataFrame({"topic": ["t"] * 200, "partition": list(range(200)), "lag": [1.0] * 200})
    axis = charts.partition_skew(frame).to_dict()["encoding"]["x"]["axis"]
    assert "% 10 == 0" in axis["labelExpr"]
