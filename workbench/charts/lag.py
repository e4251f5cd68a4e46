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
    OTHERS_COLOR,
    SERIES_COLORS,
    STATUS_ORDER,
    STATUS_SHAPES,
    WIDTH,
    check_rows,
    empty_note,
    finish,
    left_out,
    status_scale,
    status_shape_scale,
)
from workbench.scalars import as_float

__all__ = [
    "SI_LABEL",
    "lag_over_time",
    "partition_skew",
    "produce_vs_consume",
    "status_timeline",
    "top_bars",
    "top_time_bars",
]

_PALETTE = SERIES_COLORS
_TS = alt.X("bucket:T", title=None, axis=alt.Axis(labelAngle=0, labelOverlap="greedy", tickCount=10))
#: Axis labels with SI prefixes per label (``250k``, ``1.5M``), not one shared prefix (``0M``).
SI_LABEL = "datum.value == 0 ? '0' : format(datum.value, '.3~s')"


def _severity(column: str = "status") -> pl.Expr:
    return pl.col(column).replace_strict(
        {s: i for i, s in enumerate(STATUS_ORDER)}, default=0, return_dtype=pl.Int8
    )


#: What a lag chart needs when it has nothing to draw: consumer-group or partition offsets.
_NEEDS_GROUPS = "needs consumer-group offsets: `workbench collect offsets` (or `workbench import burrow`)."
_NEEDS_PARTITIONS = "needs partition offsets: `workbench collect offsets` (or `workbench import prometheus`)."


def status_timeline(group_status: pl.DataFrame, max_groups: int = 40) -> alt.LayerChart | alt.Chart:
    """Groups × time, each cell coloured by the group's worst Burrow status in that time bucket.

    ``group_status``: one row per (``ts``, ``group``) with ``status``. The ``max_groups`` most
    severe groups are shown (worst first).
    """
    if group_status.is_empty():
        sentence = f"No group offsets in the window: this chart {_NEEDS_GROUPS}"
        return empty_note("Group status over time", sentence)
    ranked = _worst_groups(group_status, max_groups)
    frame = group_status.filter(pl.col("group").is_in(ranked))
    frame, step = add_bucket(frame, len(ranked), MAX_ROWS)
    data = (
        frame.with_columns(sev=_severity())
        .group_by("group", "bucket")
        .agg(pl.col("status").sort_by("sev").last(), _snapshots(frame))
        .sort("group", "bucket")
    )
    check_rows(data, "status_timeline")
    base = alt.Chart().transform_calculate(
        end=f"toDate(datum.bucket) + {step * 1000}", mid=f"toDate(datum.bucket) + {step * 500}"
    )
    cells = base.mark_rect(strokeWidth=0).encode(
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
    every = max(1, data["bucket"].n_unique() // 60)  # about 60 glyphs across a row
    # STALL, STOP and ERR also carry a white glyph (shape per status): never colour alone
    glyphs = (
        base.transform_filter(alt.FieldOneOfPredicate(field="status", oneOf=list(STATUS_SHAPES)))
        .transform_filter(f"floor(toDate(datum.bucket) / {step * 1000}) % {every} == 0")
        .mark_point(filled=True, size=45, color="#ffffff", strokeWidth=0, opacity=0.95)
        .encode(
            x=alt.X("mid:T"),
            y=alt.Y("group:N", sort=ranked),
            shape=alt.Shape(
                "status:N",
                scale=status_shape_scale(),
                title="shape",
                legend=alt.Legend(symbolFillColor="#1a1a1a", symbolStrokeColor="#1a1a1a"),
            ),
        )
    )
    chart = alt.LayerChart(layer=[cells, glyphs], data=data).properties(
        width=WIDTH, height=max(60, 18 * len(ranked))
    )
    total = group_status["group"].n_unique()
    note = left_out(len(ranked), total, "groups", "the worst now and over the window")
    subtitle = f"worst Burrow status per {step_label(step)}; STALL ▲, STOP ■ and ERR ✕ also marked by shape"
    return finish(chart, "Group status over time", subtitle + (f"; {note}" if note else ""))


def _snapshots(frame: pl.DataFrame) -> pl.Expr:
    """Snapshots per bucket: counted, or summed where the frame is already bucketed (``snapshots``)."""
    return pl.col("snapshots").sum() if "snapshots" in frame.columns else pl.len().alias("snapshots")


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
    subtitle: str | None = None,
    log_ticks: dict[float, str] | None = None,
) -> alt.LayerChart | alt.Chart:
    """Horizontal bars of the ``top_n`` groups by ``value``, coloured by status when present, each
    labelled with its value and status word (so a small bar next to a huge one still reads, and
    STOP, STALL and ERR never rest on colour alone). Values spanning more than 100x get a log
    axis (ticked at powers of ten, or at ``log_ticks``: value -> label), never a "0" tick.

    ``frame``: one row per ``group`` with ``value``, optionally ``status`` and a text ``label``
    column. Groups whose ``value`` is unknown (null) are not drawn; the subtitle counts them.
    """
    extra = [c for c in (status, label) if c and c in frame.columns]
    cols = ["group", value, *extra]
    unknown = frame[value].null_count()
    data = frame.select(cols).drop_nulls(value).sort([value, "group"], descending=[True, False]).head(top_n)
    check_rows(data, "top_bars")
    if data.is_empty():
        what = f"no group has a known value ({unit})" if frame.height else "no consumer group"
        return empty_note(title, f"At the newest snapshot {what}: this chart {_NEEDS_GROUPS}")
    has_status = bool(status and status in data.columns)
    shown = (
        pl.col(label) if label and label in data.columns
        else pl.col(value).map_elements(lambda v: f"{v:,.0f}", return_dtype=pl.String)
    )  # fmt: skip
    word = pl.lit(" · ") + pl.col(status) if has_status and status else pl.lit("")
    data = data.with_columns(bar_text=shown + word)
    color = (
        alt.Color(f"{status}:N", scale=status_scale(), title="status") if has_status else alt.value("#2f6fae")
    )
    x, floor = _bar_axis(data[value], value, unit, log_ticks)
    base = alt.Chart(data).encode(
        y=alt.Y("group:N", sort=data["group"].to_list(), title=None),
        tooltip=[alt.Tooltip(c, format=",.1f") if c == value else alt.Tooltip(c) for c in cols],
    )
    bars = base.mark_bar().encode(x=x, color=color)
    if floor is not None:  # a log axis has no 0: bars start at the axis' first tick
        bars = bars.encode(x2=alt.datum(floor))
    labels = base.mark_text(align="left", dx=4, fontSize=12, color="#1f2933").encode(x=x, text="bar_text:N")
    chart = alt.LayerChart(layer=[bars, labels]).properties(
        width=WIDTH - 250, height=max(40, 24 * data.height)
    )
    note = f"{unknown} group(s) with unknown {unit} (never committed) not drawn" if unknown else None
    more = left_out(data.height, frame.drop_nulls(value).height, "groups", f"the most {unit}")
    lines = [t for t in (subtitle, note, more) if t]
    return finish(chart, title, lines if len(lines) > 1 else (lines[0] if lines else None))


def _bar_axis(
    values: pl.Series, value: str, unit: str, log_ticks: dict[float, str] | None
) -> tuple[alt.X, float | None]:
    """Linear from 0, or a log axis starting one tick below the smallest bar (and that start)
    when the bars span more than 100x."""
    top = (as_float(values.max()) or 1.0) if values.len() else 1.0
    low = (as_float(values.filter(values > 0).min()) or top) if values.len() else top
    if top / max(low, 1e-9) <= 100:
        axis = alt.Axis(tickCount=6, labelExpr=SI_LABEL)
        return alt.X(f"{value}:Q", title=unit, scale=alt.Scale(domain=[0, top * 1.3]), axis=axis), None
    named = log_ticks or {10.0**k: "" for k in range(-3, 16)}
    ticks = sorted(t for t in named if t <= top * 10)
    below = [t for t in ticks if t <= low]
    floor = below[-1] if below else low / 2
    ticks = [t for t in ticks if t >= floor]
    expr = SI_LABEL if log_ticks is None else _tick_expr(log_ticks)
    scale = alt.Scale(type="log", domain=[floor, top * 10])
    x = alt.X(
        f"{value}:Q", title=f"{unit} (log scale)", scale=scale, axis=alt.Axis(values=ticks, labelExpr=expr)
    )
    return x, floor


def _tick_expr(labels: dict[float, str]) -> str:
    return " : ".join(f"datum.value == {k} ? '{v}'" for k, v in labels.items()) + " : ''"


#: Units a time axis may use, largest first: (seconds per unit, name).
_TIME_UNITS = ((86400.0, "days"), (3600.0, "hours"), (60.0, "minutes"), (1.0, "seconds"))
#: Log-axis ticks of a time in seconds, labelled in the duration words the bar labels use.
_TIME_TICKS = {1.0: "1 s", 10.0: "10 s", 60.0: "1 min", 600.0: "10 min", 3600.0: "1 h", 36000.0: "10 h",
               86400.0: "1 d", 864000.0: "10 d", 8640000.0: "100 d"}  # fmt: skip


def top_time_bars(
    frame: pl.DataFrame, seconds: str, title: str, top_n: int = 10, **kw: object
) -> alt.LayerChart | alt.Chart:
    """:func:`top_bars` of a time in seconds, on an axis in the units of its bar labels: the
    largest bar's unit (days, hours, minutes, seconds), or, when the bars span more than 100x,
    a log axis ticked 1 s, 1 min, 1 h, 1 d."""
    values = frame[seconds].drop_nulls()
    top = (as_float(values.max()) or 0.0) if values.len() else 0.0
    low = (as_float(values.filter(values > 0).min()) or top) if values.len() else top
    if top / max(low, 1e-9) > 100:
        return top_bars(frame, seconds, title, "time behind", top_n, log_ticks=_TIME_TICKS, **kw)  # type: ignore[arg-type]
    size, name = next(((f, n) for f, n in _TIME_UNITS if top >= 2 * f), (1.0, "seconds"))
    scaled = frame.with_columns((pl.col(seconds) / size).alias(f"behind_{name}"))
    return top_bars(scaled, f"behind_{name}", title, f"{name} behind", top_n, **kw)  # type: ignore[arg-type]


def lag_over_time(
    group_lag: pl.DataFrame,
    groups: Sequence[str],
    value: str = "lag",
    unit: str = "messages",
    log: bool = True,
) -> alt.Chart:
    """Lines of a group-level ``value`` (default total offset lag) over time for ``groups``.

    ``group_lag``: one row per (``ts``, ``group``) with ``value``, for ``groups`` or every group.
    Each time bucket shows the bucket's maximum, so a short spike stays visible. The first
    ``groups`` get a colour each (at most one per palette colour); every other group in the frame
    is one grey line, their maximum. ``log`` uses a symmetric-log scale.
    """
    if group_lag.is_empty():
        title = f"Lag over time ({unit})"
        return empty_note(title, f"No group {value} in the window: this chart {_NEEDS_GROUPS}")
    shown = list(dict.fromkeys(groups))[: len(SERIES_COLORS)]
    total = group_lag["group"].n_unique()
    rest = group_lag.filter(~pl.col("group").is_in(shown))
    frame = group_lag.filter(pl.col("group").is_in(shown)).select("ts", "group", value)
    if rest.height:
        frame = pl.concat([frame, rest.select("ts", pl.lit(_OTHERS).alias("group"), value)])
    frame, step = add_bucket(frame, len(shown) + bool(rest.height), MAX_ROWS)
    data = frame.group_by("group", "bucket").agg(pl.col(value).max()).sort("group", "bucket")
    check_rows(data, "lag_over_time")
    domain = [*shown, *([_OTHERS] if rest.height else [])]
    colours = [*SERIES_COLORS[: len(shown)], *([OTHERS_COLOR] if rest.height else [])]
    chart = (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=_TS,
            y=_lag_axis(value, unit, as_float(data[value].max()) if log and data.height else None),
            color=alt.Color("group:N", scale=alt.Scale(domain=domain, range=colours), title="group"),
            tooltip=[
                alt.Tooltip("group:N"),
                alt.Tooltip("bucket:T", title="time", format="%Y-%m-%d %H:%M"),
                alt.Tooltip(f"{value}:Q", format=",.0f", title=f"max {value}"),
            ],
        )
        .properties(width=WIDTH - 150, height=300)
        .interactive(bind_y=False)
    )
    note = left_out(len(shown), total, "groups", "the most lag now and every group in error")
    subtitle = f"maximum per {step_label(step)}; drag to pan, scroll to zoom"
    if note:
        subtitle = [subtitle, f"{note}; grey: their maximum"]  # type: ignore[assignment]
    return finish(chart, f"Lag over time ({unit})", subtitle)


_OTHERS = "other groups (max)"


def _lag_axis(value: str, unit: str, top: float | None) -> alt.Y:
    """A y axis; with ``top`` a symmetric-log scale ticked at powers of ten up to ``top`` (zero
    stays drawable at the bottom, but no "0" tick sits on a log axis)."""
    if top is None:
        return alt.Y(f"{value}:Q", title=unit)
    ticks = [1.0, *(10.0**k for k in range(1, 13) if 10.0 ** (k - 1) <= max(float(top), 10.0))]
    return alt.Y(
        f"{value}:Q",
        title=f"{unit} (log scale)",
        scale=alt.Scale(type="symlog"),
        axis=alt.Axis(values=ticks, labelExpr=SI_LABEL),
    )


def produce_vs_consume(
    produce: pl.DataFrame, consume: pl.DataFrame, topics: Sequence[str] | None = None, max_topics: int = 6
) -> alt.FacetChart | alt.Chart:
    """Per topic: the produce rate (solid, dark) and each group's consume rate (dashed) over time.

    ``produce``: one row per (``ts``, ``topic``) with ``produce_rate`` (msg/s, each partition
    counted once, as :func:`workbench.analyze.topic_lag` gives). ``consume``: one row per (``ts``,
    ``topic``, ``group``) with ``consume_rate``. Either may be bucketed already, with the
    ``snapshots`` each row averages (then means are weighted by them). Shows the ``max_topics``
    busiest topics unless ``topics`` is given; the busiest groups get a colour each, the rest grey.
    """
    busiest = _busiest(produce, "topic", "produce_rate")
    topics = busiest[:max_topics] if topics is None else list(topics)
    long = _rate_series(produce, consume).filter(pl.col("topic").is_in(list(topics)))
    if long.is_empty():
        sentence = f"No partition offsets in the window: the produce-vs-consume chart {_NEEDS_PARTITIONS}"
        return empty_note("Produce vs consume rate", sentence)
    n_series = long.select(pl.struct("topic", "series").n_unique()).item() if long.height else 1
    long, step = add_bucket(long, n_series, MAX_ROWS)
    weight = pl.col("snapshots")
    data = (
        long.group_by("topic", "series", "bucket")
        .agg(rate=(pl.col("rate") * weight).sum() / weight.filter(pl.col("rate").is_not_null()).sum())
        .sort("topic", "series", "bucket")
    )
    check_rows(data, "produce_vs_consume")
    ranked = [
        g for g in _busiest(consume.filter(pl.col("topic").is_in(list(topics))), "group", "consume_rate")
    ]
    coloured = ranked[: len(SERIES_COLORS)]
    data = data.with_columns(
        colour=pl.when(pl.col("series").is_in(["produce", *coloured]))
        .then("series")
        .otherwise(pl.lit(_OTHERS_C))
    )
    chart = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=_TS,
            y=alt.Y("rate:Q", title="msg/s", axis=alt.Axis(labelExpr=SI_LABEL, tickCount=4)),
            color=alt.Color(
                "colour:N",
                scale=_series_scale(coloured, len(ranked) > len(coloured)),
                title="produce / group",
            ),
            detail="series:N",
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
    notes = [
        left_out(len(topics), len(busiest), "topics", "the busiest"),
        left_out(len(coloured), len(ranked), "groups in colour", "the fastest; the others grey"),
    ]
    subtitle = [
        f"mean msg/s per {step_label(step)}; wide grey = produce, dashed = consuming groups",
        *(n for n in notes if n),
    ]
    return finish(chart, "Produce vs consume rate", subtitle)


_OTHERS_C = "other groups"


def _busiest(frame: pl.DataFrame, key: str, value: str) -> list[str]:
    """Values of ``key`` by mean ``value``, highest first."""
    mean = frame.group_by(key).agg(pl.col(value).mean())
    return mean.sort([value, key], descending=[True, False], nulls_last=True)[key].to_list()


def _series_scale(groups: Sequence[str], others: bool) -> alt.Scale:
    """``produce`` in near-black, the groups in the series palette, the rest grey."""
    return alt.Scale(
        domain=["produce", *groups, *([_OTHERS_C] if others else [])],
        range=["#222222", *SERIES_COLORS[: len(groups)], *([OTHERS_COLOR] if others else [])],
    )


def _rate_series(produce: pl.DataFrame, consume: pl.DataFrame) -> pl.DataFrame:
    """Long frame (ts, topic, series, rate, snapshots): ``produce`` per topic and one per group."""
    cols = ["ts", "topic", "series", "rate", "snapshots"]

    def weight(frame: pl.DataFrame) -> pl.Expr:
        return pl.col("snapshots").cast(pl.Int64) if "snapshots" in frame.columns else pl.lit(1, pl.Int64)

    p = produce.select(
        "ts", "topic", series=pl.lit("produce"), rate=pl.col("produce_rate"), snapshots=weight(produce)
    )
    c = consume.select(
        "ts", "topic", series=pl.col("group"), rate=pl.col("consume_rate"), snapshots=weight(consume)
    )
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
    if frame.drop_nulls(value).is_empty():
        sentence = f"No {unit} per partition in the window: this chart {_NEEDS_PARTITIONS}"
        return empty_note(f"Partition skew ({unit})", sentence)
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
            x=alt.X("partition:O", title="partition", axis=_partition_axis(data)),
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
    note = left_out(len(top), totals.height, "topics", f"the most {unit}")
    subtitle = "each partition relative to its topic's mean partition" + (f"; {note}" if note else "")
    return finish(chart, f"Partition skew ({unit})", subtitle)


def _partition_axis(data: pl.DataFrame) -> alt.Axis:
    """Every partition number up to 40 columns; beyond, only every 10th, 25th or 50th, so the
    labels never overlap (a 200-partition topic is 3.5 pixels a column)."""
    parts = (as_float(data["partition"].max()) or 0.0) if data.height else 0.0
    every = next((k for k in (1, 10, 25, 50, 100, 250) if parts / k <= 40), 500)
    if every == 1:
        return alt.Axis(labelAngle=0)
    return alt.Axis(labelAngle=0, labelExpr=f"datum.value % {every} == 0 ? datum.value : ''", ticks=False)
