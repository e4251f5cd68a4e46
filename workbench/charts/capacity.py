"""Charts of the capacity report. Pure: the plan's small frames in, Altair charts out, one theme.

Rates are drawn in MiB/s (2²⁰ bytes per second) and disk in GiB (2³⁰ bytes), the IEC units of
:mod:`workbench.units` and every report; every chart
pre-aggregates (hourly or coarser) and checks it stays under ``MAX_ROWS``.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from workbench import units
from workbench.charts.theme import SERIES_SCHEME, WIDTH, check_rows, empty_note, finish

__all__ = [
    "STATUS_COLORS",
    "STATUS_ORDER",
    "broker_network",
    "disk_forecast",
    "headroom_bars",
    "hour_of_week_heatmap",
    "hourly",
    "topic_forecast",
]

STATUS_ORDER = ("ok", "tight", "above tested", "over", "unknown")
STATUS_COLORS = ("#2e7d32", "#f0a202", "#7b3fa0", "#c62828", "#b0b7bf")
_T = alt.X("ts:T", title=None, axis=alt.Axis(labelAngle=0, labelOverlap="greedy", tickCount=10))


def headroom_bars(topics: pl.DataFrame, headroom: float) -> alt.LayerChart | alt.Chart:
    """Utilization of each topic's hottest partition (peak / P), with rules at 1/headroom and 100 %."""
    data = topics.filter(pl.col("utilization").is_not_null()).select(
        "topic", "status", (pl.col("utilization") * 100).alias("util")
    )
    check_rows(data, "headroom_bars")
    if data.is_empty():
        return empty_note(
            "Headroom per topic",
            "No topic has a measured per-partition capacity P, so no utilization to draw: run "
            "`workbench bench producer` against the cluster, or give producer_mb_s_per_partition.",
        )
    order = data.sort("util", descending=True)["topic"].to_list()
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("topic:N", sort=order, title=None),
            x=alt.X("util:Q", title="hottest partition's p99 ÷ per-partition capacity P (%)"),
            color=alt.Color(
                "status:N", scale=alt.Scale(domain=list(STATUS_ORDER), range=list(STATUS_COLORS))
            ),
            tooltip=["topic:N", "status:N", alt.Tooltip("util:Q", format=",.0f", title="util %")],
        )
    )
    marks = pl.DataFrame(
        {"x": [100 / headroom, 100.0], "what": [f"1/headroom ({100 / headroom:.0f} %)", "P"]}
    )
    rules = alt.Chart(marks).mark_rule(strokeDash=[4, 3], color="#52606d").encode(x="x:Q", tooltip=["what:N"])
    chart = alt.LayerChart(layer=[bars, rules]).properties(
        width=WIDTH - 250, height=max(120, 22 * data.height)
    )
    return finish(chart, "Headroom per topic", "peak of the hottest partition against the measured capacity")


def hourly(frame: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """Mean of ``cols`` per hour (history) so a chart stays small."""
    return (
        frame.with_columns(pl.col("ts").dt.truncate("1h"))
        .group_by("ts", "kind")
        .agg(pl.col(c).mean() for c in cols)
        .sort("ts")
    )


def topic_forecast(forecast: pl.DataFrame, topic: str, threshold: float | None) -> alt.LayerChart:
    """A topic's ingress (MiB/s, hourly means), the fitted trend + seasonality, the 95 % band
    ahead, and the rate at which its hottest partition reaches P (dashed)."""
    cols = ["actual", "fitted", "lower", "upper"]
    data = hourly(forecast, cols).with_columns(pl.col(c) / units.MIB for c in cols)
    check_rows(data, "topic_forecast")
    base = alt.Chart(data).encode(x=_T)
    band = (
        base.transform_filter("datum.kind == 'forecast'")
        .mark_area(opacity=0.25, color="#4e79a7")
        .encode(y=alt.Y("lower:Q", title="MiB/s"), y2="upper:Q")
    )
    actual = base.mark_line(color="#1f2933", strokeWidth=1).encode(y="actual:Q")
    fitted = (
        base.transform_filter("datum.kind == 'forecast'")
        .mark_line(color="#4e79a7", strokeWidth=1)
        .encode(
            y="fitted:Q",
            tooltip=[
                alt.Tooltip("ts:T", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("fitted:Q", format=",.2f", title="fitted MiB/s"),
            ],
        )
    )
    layers = [band, actual, fitted]
    if threshold:
        limit = pl.DataFrame({"y": [threshold / units.MIB], "what": ["hottest partition at P"]})
        layers.append(
            alt.Chart(limit)
            .mark_rule(color="#c62828", strokeDash=[6, 4])
            .encode(y="y:Q", tooltip=["what:N", alt.Tooltip("y:Q", format=",.2f", title="MiB/s")])
        )
    chart = alt.LayerChart(layer=layers).properties(width=WIDTH - 150, height=200)
    sub = "black: measured (hourly mean); blue: forecast with 95 % band; red dashed: capacity"
    return finish(chart, f"Ingress forecast: {topic}", sub)


def disk_forecast(frame: pl.DataFrame, limit: float | None) -> alt.LayerChart:
    """Bytes on disk per broker (GiB): measured, forecast, band, and capacity × fill target."""
    cols = ["actual", "fitted", "lower", "upper"]
    data = frame.select("ts", "kind", "broker", *(pl.col(c) / units.GIB for c in cols))
    check_rows(data, "disk_forecast")
    color = alt.Color("broker:N", scale=alt.Scale(scheme=SERIES_SCHEME))
    base = alt.Chart(data).encode(x=_T, color=color)
    band = (
        base.transform_filter("datum.kind == 'forecast'")
        .mark_area(opacity=0.15)
        .encode(y=alt.Y("lower:Q", title="GiB on disk"), y2="upper:Q")
    )
    actual = base.mark_line().encode(y="actual:Q")
    fitted = (
        base.transform_filter("datum.kind == 'forecast'")
        .mark_line(strokeDash=[3, 2])
        .encode(
            y="fitted:Q",
            tooltip=[
                "broker:N",
                alt.Tooltip("ts:T", format="%Y-%m-%d"),
                alt.Tooltip("fitted:Q", format=",.0f", title="fitted GiB"),
            ],
        )
    )
    layers = [band, actual, fitted]
    if limit:
        rule = pl.DataFrame({"y": [limit / units.GIB], "what": ["capacity × fill target"]})
        layers.append(
            alt.Chart(rule)
            .mark_rule(color="#c62828", strokeDash=[6, 4])
            .encode(y="y:Q", tooltip=["what:N", alt.Tooltip("y:Q", format=",.0f", title="GiB")])
        )
    chart = alt.LayerChart(layer=layers).properties(width=WIDTH - 150, height=240)
    return finish(
        chart,
        "Disk per broker",
        "solid: measured; dashed: forecast (6-hourly) with 95 % band; red: fill target",
    )


def hour_of_week_heatmap(profile: pl.DataFrame) -> alt.Chart:
    """Mean ingress per topic and UTC hour of week, as a share of the topic's busiest hour."""
    data = profile.with_columns(
        share=pl.when(pl.col("msg_per_s").max().over("topic") > 0).then(
            pl.col("msg_per_s") / pl.col("msg_per_s").max().over("topic")
        )
    ).select("topic", "hour_of_week", "share", "msg_per_s")
    check_rows(data, "hour_of_week_heatmap")
    chart = (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X(
                "hour_of_week:O",
                title="UTC hour of week (0 = Mon 00:00)",
                axis=alt.Axis(values=list(range(0, 168, 24))),
            ),
            y=alt.Y("topic:N", title=None),
            color=alt.Color("share:Q", scale=alt.Scale(scheme="blues"), title="of busiest hour"),
            tooltip=["topic:N", "hour_of_week:O", alt.Tooltip("msg_per_s:Q", format=",.1f")],
        )
        .properties(width=WIDTH - 250, height=max(120, 16 * data["topic"].n_unique()))
    )
    return finish(
        chart, "Hour-of-week profile", "mean msg/s per hour as a share of each topic's busiest hour"
    )


def broker_network(brokers: pl.DataFrame) -> alt.Chart:
    """Peak network in and out per broker (MiB/s), from replica placement."""
    data = brokers.select(
        pl.col("broker").cast(pl.String),
        (pl.col("nw_in") / units.MIB).alias("in"),
        (pl.col("nw_out") / units.MIB).alias("out"),
    ).unpivot(index="broker", variable_name="direction", value_name="mib_s")
    check_rows(data, "broker_network")
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("broker:N", title="broker", axis=alt.Axis(labelAngle=0)),
            xOffset="direction:N",
            y=alt.Y("mib_s:Q", title="MiB/s at peak"),
            color=alt.Color(
                "direction:N", scale=alt.Scale(domain=["in", "out"], range=["#4e79a7", "#f28e2b"])
            ),
            tooltip=["broker:N", "direction:N", alt.Tooltip("mib_s:Q", format=",.1f", title="MiB/s")],
        )
        .properties(width=420, height=220)
    )
    return finish(
        chart, "Network per broker", "in: producers + replica fetches; out: replica fetches + consumer groups"
    )
