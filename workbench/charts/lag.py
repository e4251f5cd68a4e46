"""Charts of the consumer-lag report. Pure: a frame in, an Altair chart out.

Each function aggregates in Polars first so that no chart carries more than
:data:`~workbench.charts.theme.MAX_ROWS` rows, and sets tooltips on every mark.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from workbench.charts.bucket import add_bucket, step_label
from workbench.charts.theme import (
    MAX_ROWS,
    SERIES_SCHEME,
    STATUS_ORDER,
    WIDTH,
    check_rows,
    finish,
    status_scale,
)
from workbench.scalars import as_float

__all__ = ["SI_LABEL", "lag_over_time", "partition_skew", "produce_vs_consume", "status_timeline", "top_bars"]

_PALETTE = (
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
_TS = alt.X("bucket:T", title=None, axis=alt.Axis(labelAngle=0, labelOverlap="greedy", tickCount=10))
#: Axis labels with SI prefixes per label (``250k``, ``1.5M``), not one shared prefix (``0M``).
SI_LABEL = "datum.value == 0 ? '0' : format(datum.value, '.3~s')"


def _severity(column: str = "status") -> pl.Expr:
    return pl.col(column).replace_strict(
        {s: i for i, s in enumerate(STATUS_ORDER)}, default=0, return_dtype=pl.Int8
    )


def status_timeline(group_status: pl.DataFrame, max_groups: int = 40) -> alt.Chart:
    """Groups × time, each cell coloured by the group's worst Burrow status in that time bucket.

    ``group_status``: one row per (``ts``, ``group``) with ``status``. The ``max_groups`` most
    severe groups are shown (worst first).
    """
    ranked = _worst_groups(group_status, max_groups)
    frame = group_status.filter(pl.col("group").is_in(ranked))
    frame, step = add_bucket(frame, len(ranked), MAX_ROWS)
    data = (
        frame.with_columns(sev=_severity())
        .group_by("group", "bucket")
        .agg(pl.col("status").sort_by("sev").last(), pl.len().alias("snapshots"))
        .sort("group", "bucket")
    )
    check_rows(data, "status_timeline")
    chart = (
        alt.Chart(data)
        .mark_rect(strokeWidth=0)
        .encode(
            x=_TS,
            x2=alt.X2("end:T"),
            y=alt.Y("group:N", sort=ranked, title=None),
            color=alt.Color("status:N", scale=status_scale(), title="status"),
            tooltip=[
                alt.Tooltip("group:N"),
                alt.Tooltip("bucket:T", title="from", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("status:N", title="worst status"),
                alt.Tooltip("snapshots:Q"),
            ],
        )
        .transform_calculate(end=f"toDate(datum.bucket) + {step * 1000}")
        .properties(width=WIDTH, height=max(60, 18 * len(ranked)))
    )
    return finish(chart, "Group status over time", f"worst Burrow status per {step_label(step)}")


def _worst_groups(group_status: pl.DataFrame, limit: int) -> list[str]:
    """Groups ordered by their worst and then latest status, most severe first."""
    ranked = (
        group_status.with_columns(sev=_severity())
        .sort("ts")
        .group_by("group")
        .agg(pl.col("sev").max().alias("worst"), pl.col("sev").last().alias("now"))
        .sort(["now", "worst", "group"], descending=[True, True, False])
    )
    return ranked["group"].head(limit).to_list()


def top_bars(
    frame: pl.DataFrame,
    value: str,
    title: str,
    unit: str,
    top_n: int = 10,
    status: str | None = "status",
    label: str | None = None,
) -> alt.LayerChart:
    """Horizontal bars of the ``top_n`` groups by ``value``, coloured by status when present, each
    labelled (so a small bar next to a huge one still reads).

    ``frame``: one row per ``group`` with the ``value`` column, optionally ``status`` and a text
    ``label`` column (default: the value with thousands separators).
    """
    extra = [c for c in (status, label) if c and c in frame.columns]
    cols = ["group", value, *extra]
    data = frame.select(cols).drop_nulls(value).sort([value, "group"], descending=[True, False]).head(top_n)
    check_rows(data, "top_bars")
    has_status = bool(status and status in data.columns)
    color = (
        alt.Color(f"{status}:N", scale=status_scale(), title="status") if has_status else alt.value("#2f6fae")
    )
    top = (as_float(data[value].max()) or 1.0) if data.height else 1.0
    base = alt.Chart(data).encode(
        x=alt.X(
            f"{value}:Q",
            title=unit,
            scale=alt.Scale(domain=[0, top * 1.15]),
            axis=alt.Axis(tickCount=6, labelExpr=SI_LABEL),
        ),
        y=alt.Y("group:N", sort=data["group"].to_list(), title=None),
        tooltip=[alt.Tooltip(c, format=",.0f") if c == value else alt.Tooltip(c) for c in cols],
    )
    bars = base.mark_bar().encode(color=color)
    text = (
        alt.Text(f"{label}:N") if label and label in data.columns else alt.Text(f"{value}:Q", format=",.0f")
    )
    labels = base.mark_text(align="left", dx=4, fontSize=12, color="#1f2933").encode(text=text)
    chart = alt.LayerChart(layer=[bars, labels]).properties(
        width=WIDTH - 250, height=max(40, 24 * data.height)
    )
    return finish(chart, title)


def lag_over_time(
    group_lag: pl.DataFrame,
    groups: Sequence[str],
    value: str = "lag",
    unit: str = "messages",
    log: bool = True,
) -> alt.Chart:
    """Lines of a group-level ``value`` (default total offset lag) over time for ``groups``.

    ``group_lag``: one row per (``ts``, ``group``) with ``value``. Each time bucket shows the
    bucket's maximum, so a short spike stays visible. ``log`` uses a symmetric-log scale, so
    groups 1,000x apart (and zero lag) fit on one chart.
    """
    frame = group_lag.filter(pl.col("group").is_in(list(groups)))
    frame, step = add_bucket(frame, max(len(groups), 1), MAX_ROWS)
    data = frame.group_by("group", "bucket").agg(pl.col(value).max()).sort("group", "bucket")
    check_rows(data, "lag_over_time")
    chart = (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=_TS,
            y=_lag_axis(value, unit, as_float(data[value].max()) if log and data.height else None),
            color=alt.Color(
                "group:N", scale=alt.Scale(scheme=SERIES_SCHEME), sort=list(groups), title="group"
            ),
            tooltip=[
                alt.Tooltip("group:N"),
                alt.Tooltip("bucket:T", title="time", format="%Y-%m-%d %H:%M"),
                alt.Tooltip(f"{value}:Q", format=",.0f", title=f"max {value}"),
            ],
        )
        .properties(width=WIDTH - 150, height=300)
        .interactive(bind_y=False)
    )
    return finish(
        chart, f"Lag over time ({unit})", f"maximum per {step_label(step)}; drag to pan, scroll to zoom"
    )


def _lag_axis(value: str, unit: str, top: float | None) -> alt.Y:
    """A y axis; with ``top`` a symmetric-log scale ticked at 0 and powers of ten up to ``top``."""
    if top is None:
        return alt.Y(f"{value}:Q", title=unit)
    ticks = [0.0, *(10.0**k for k in range(1, 13) if 10.0 ** (k - 1) <= max(float(top), 10.0))]
    return alt.Y(
        f"{value}:Q",
        title=f"{unit} (log scale)",
        scale=alt.Scale(type="symlog"),
        axis=alt.Axis(values=ticks, labelExpr=SI_LABEL),
    )


def produce_vs_consume(
    produce: pl.DataFrame, consume: pl.DataFrame, topics: Sequence[str] | None = None, max_topics: int = 6
) -> alt.FacetChart:
    """Per topic: the produce rate (solid, dark) and each group's consume rate (dashed) over time.

    ``produce``: one row per (``ts``, ``topic``) with ``produce_rate`` (msg/s, each partition
    counted once, as :func:`workbench.analyze.topic_lag` gives). ``consume``: one row per (``ts``,
    ``topic``, ``group``) with ``consume_rate``. Shows the ``max_topics`` busiest topics unless
    ``topics`` is given.
    """
    if topics is None:
        busiest = produce.group_by("topic").agg(pl.col("produce_rate").mean())
        busiest = busiest.sort(["produce_rate", "topic"], descending=[True, False], nulls_last=True)
        topics = busiest["topic"].head(max_topics).to_list()
    long = _rate_series(produce, consume).filter(pl.col("topic").is_in(list(topics)))
    n_series = long.select(pl.struct("topic", "series").n_unique()).item() if long.height else 1
    long, step = add_bucket(long, n_series, MAX_ROWS)
    data = (
        long.group_by("topic", "series", "bucket")
        .agg(pl.col("rate").mean())
        .sort("topic", "series", "bucket")
    )
    check_rows(data, "produce_vs_consume")
    groups = sorted(s for s in data["series"].unique().to_list() if s != "produce")
    chart = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=_TS,
            y=alt.Y("rate:Q", title="msg/s", axis=alt.Axis(labelExpr=SI_LABEL, tickCount=4)),
            color=alt.Color("series:N", scale=_series_scale(groups), title="produce / group"),
            strokeDash=alt.condition("datum.series == 'produce'", alt.value([1, 0]), alt.value([5, 3])),
            opacity=alt.condition("datum.series == 'produce'", alt.value(0.45), alt.value(1.0)),
            strokeWidth=alt.condition("datum.series == 'produce'", alt.value(3), alt.value(1.8)),
            tooltip=[
                alt.Tooltip("topic:N"),
                alt.Tooltip("series:N"),
                alt.Tooltip("bucket:T", title="time", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("rate:Q", format=",.1f", title="msg/s"),
            ],
        )
        .properties(width=WIDTH - 250, height=140)
        .facet(row=alt.Row("topic:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")))
        .resolve_scale(y="independent")
    )
    return finish(
        chart,
        "Produce vs consume rate",
        f"mean msg/s per {step_label(step)}; wide grey = produce, dashed = consuming groups",
    )


def _series_scale(groups: Sequence[str]) -> alt.Scale:
    """``produce`` in near-black, the groups in the series palette."""
    return alt.Scale(
        domain=["produce", *groups],
        range=["#222222", *(_PALETTE[i % len(_PALETTE)] for i in range(len(groups)))],
    )


def _rate_series(produce: pl.DataFrame, consume: pl.DataFrame) -> pl.DataFrame:
    """Long frame (ts, topic, series, rate): ``produce`` per topic and one series per group."""
    cols = ["ts", "topic", "series", "rate"]
    p = produce.select("ts", "topic", series=pl.lit("produce"), rate=pl.col("produce_rate"))
    c = consume.select("ts", "topic", series=pl.col("group"), rate=pl.col("consume_rate"))
    return pl.concat([p.select(cols), c.select(cols)])


def partition_skew(
    frame: pl.DataFrame, value: str = "lag", unit: str = "messages", max_topics: int = 30
) -> alt.Chart:
    """Heatmap per topic (rows) and partition (columns) of ``value`` relative to the topic's mean
    partition: 1.0 is an even share, 2.0 twice as much. Uneven partitions stand out whatever the
    topic's volume; the tooltip gives the raw value.

    ``frame``: one row per (``topic``, ``partition``) with ``value`` (e.g. current lag summed over
    groups, or mean produce rate). The ``max_topics`` largest topics by total ``value`` are shown.
    """
    totals = frame.group_by("topic").agg(pl.col(value).sum()).sort([value, "topic"], descending=[True, False])
    top = totals["topic"].head(max_topics).to_list()
    mean = pl.col(value).mean().over("topic")
    data = (
        frame.filter(pl.col("topic").is_in(top))
        .select("topic", "partition", value)
        .with_columns(vs_mean=pl.when(mean > 0).then(pl.col(value) / mean))
    )
    check_rows(data, "partition_skew")
    chart = (
        alt.Chart(data)
        .mark_rect(stroke="#ffffff", strokeWidth=1)
        .encode(
            x=alt.X("partition:O", title="partition", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("topic:N", title=None, sort=top),
            color=alt.Color(
                "vs_mean:Q",
                title="× topic mean",
                scale=alt.Scale(scheme="blueorange", domainMid=1.0, domainMin=0.0),
            ),
            tooltip=[
                alt.Tooltip("topic:N"),
                alt.Tooltip("partition:O"),
                alt.Tooltip(f"{value}:Q", format=",.1f", title=unit),
                alt.Tooltip("vs_mean:Q", format=".2f", title="× topic mean"),
            ],
        )
    )
    parts = data["partition"].n_unique() if data.height else 1
    chart = chart.properties(width=min(WIDTH - 200, max(200, 30 * parts)), height=max(40, 22 * len(top)))
    return finish(chart, f"Partition skew ({unit})", "each partition relative to its topic's mean partition")
