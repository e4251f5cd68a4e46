"""Charts of the config-health report. Pure: a frame in, an Altair chart out, the shared theme.

Inputs are the small frames of :mod:`workbench.analyze.config.history` (already aggregated per
broker, topic or snapshot); each function still checks it stays under ``MAX_ROWS``.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from workbench import units
from workbench.charts.bucket import add_bucket, step_label
from workbench.charts.theme import MAX_ROWS, SERIES_SCHEME, WIDTH, check_rows, empty_note, finish

__all__ = [
    "SEVERITY_COLORS",
    "SEVERITY_ORDER",
    "broker_load",
    "disk_per_broker",
    "disk_per_topic",
    "findings_over_time",
    "replication_over_time",
    "severity_scale",
]

SEVERITY_ORDER = ("critical", "warning", "info")
SEVERITY_COLORS = {"critical": "#8e0000", "warning": "#f0a202", "info": "#4e79a7"}
_TS = alt.X("bucket:T", title=None, axis=alt.Axis(labelAngle=0, labelOverlap="greedy", tickCount=10))


def _iec_label_expr() -> str:
    """A Vega label expression spelling bytes as :func:`workbench.units.bytes_iec` does (IEC)."""
    expr = "format(datum.value, '.0f') + ' B'"
    for unit, size in (("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40)):
        expr = f"abs(datum.value) >= {size} ? format(datum.value / {size}, '.1f') + ' {unit}' : {expr}"
    return expr


_BYTES = _iec_label_expr()
#: How to get what an empty config chart lacks.
_COLLECT = "`workbench collect configs`"


def _with_size_text(frame: pl.DataFrame) -> pl.DataFrame:
    """``size``: ``size_bytes`` in IEC units as text, for tooltips."""
    return frame.with_columns(
        size=pl.col("size_bytes").map_elements(units.bytes_iec, return_dtype=pl.String, skip_nulls=True)
    )


def severity_scale() -> alt.Scale:
    """Critical dark red, warning amber, info blue."""
    return alt.Scale(domain=list(SEVERITY_ORDER), range=[SEVERITY_COLORS[s] for s in SEVERITY_ORDER])


def findings_over_time(counts: pl.DataFrame) -> alt.Chart:
    """Stacked bars: findings per severity per time bucket (the bucket's largest snapshot count).

    ``counts``: one row per (``ts``, ``severity``) with ``findings``.
    """
    if counts.is_empty():
        sentence = f"No config snapshots in the window: run {_COLLECT} over time."
        return empty_note("Findings over time", sentence)
    frame, step = add_bucket(counts, len(SEVERITY_ORDER), MAX_ROWS)
    data = frame.group_by("bucket", "severity").agg(pl.col("findings").max()).sort("bucket", "severity")
    check_rows(data, "findings_over_time")
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=_TS,
            y=alt.Y("findings:Q", title="findings", stack="zero"),
            color=alt.Color("severity:N", scale=severity_scale(), sort=list(SEVERITY_ORDER)),
            order=alt.Order("severity:N", sort="ascending"),
            tooltip=[
                alt.Tooltip("bucket:T", title="from", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("severity:N"),
                alt.Tooltip("findings:Q"),
            ],
        )
        .properties(width=WIDTH - 150, height=200)
    )
    return finish(chart, "Findings over time", f"most findings in a snapshot per {step_label(step)}")


def replication_over_time(history: pl.DataFrame) -> alt.Chart:
    """Lines: under-replicated and offline partitions per snapshot.

    ``history``: one row per ``ts`` with ``under_replicated`` and ``offline``.
    """
    if history.is_empty():
        sentence = f"No partition metadata in the window: this chart needs {_COLLECT}."
        return empty_note("Under-replicated and offline partitions", sentence)
    long = history.unpivot(index="ts", on=["under_replicated", "offline"], variable_name="state")
    long = long.with_columns(pl.col("state").replace({"under_replicated": "under-replicated"}))
    frame, step = add_bucket(long, 2, MAX_ROWS)
    data = frame.group_by("bucket", "state").agg(pl.col("value").max()).sort("bucket", "state")
    check_rows(data, "replication_over_time")
    chart = (
        alt.Chart(data)
        .mark_line(interpolate="step-after", point=False)
        .encode(
            x=_TS,
            y=alt.Y("value:Q", title="partitions"),
            color=alt.Color(
                "state:N",
                scale=alt.Scale(domain=["under-replicated", "offline"], range=["#f0a202", "#8e0000"]),
                title=None,
            ),
            tooltip=[
                alt.Tooltip("bucket:T", title="time", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("state:N"),
                alt.Tooltip("value:Q", title="partitions"),
            ],
        )
        .properties(width=WIDTH - 150, height=180)
    )
    return finish(chart, "Under-replicated and offline partitions", f"maximum per {step_label(step)}")


def broker_load(load: pl.DataFrame) -> alt.Chart:
    """Grouped bars per broker: partition replicas and leaders.

    ``load``: one row per ``broker`` with ``replicas`` and ``leaders``.
    """
    if load.is_empty():
        sentence = f"No brokers in the config snapshot: this chart needs {_COLLECT}."
        return empty_note("Partitions and leaders per broker", sentence)
    data = load.with_columns(pl.col("broker").cast(pl.String)).unpivot(
        index="broker", on=["replicas", "leaders"], variable_name="kind", value_name="partitions"
    )
    check_rows(data, "broker_load")
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("broker:N", title="broker"),
            yOffset=alt.YOffset("kind:N", sort=["replicas", "leaders"]),
            x=alt.X("partitions:Q", title="partitions"),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=["replicas", "leaders"], range=["#9aa5b1", "#2f6fae"]),
                title=None,
            ),
            tooltip=["broker:N", "kind:N", alt.Tooltip("partitions:Q", format=",")],
        )
        .properties(width=WIDTH - 250, height=max(80, 50 * load.height))
    )
    return finish(chart, "Partitions and leaders per broker")


def disk_per_broker(history: pl.DataFrame) -> alt.Chart:
    """Lines: bytes on disk per broker over time (a gap while a broker did not answer).

    ``history``: one row per (``ts``, ``broker``) with ``size_bytes``.
    """
    if history.drop_nulls("size_bytes").is_empty():
        sentence = f"No log-dir sizes in the window: this chart needs {_COLLECT} (it reads log dirs)."
        return empty_note("Disk per broker", sentence)
    n = max(history["broker"].n_unique(), 1)
    frame, step = add_bucket(history.with_columns(pl.col("broker").cast(pl.String)), n, MAX_ROWS)
    data = frame.group_by("bucket", "broker").agg(pl.col("size_bytes").max()).sort("bucket", "broker")
    data = _with_size_text(data)
    check_rows(data, "disk_per_broker")
    chart = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=12))
        .encode(
            x=_TS,
            y=alt.Y("size_bytes:Q", title="bytes on disk", axis=alt.Axis(labelExpr=_BYTES)),
            color=alt.Color("broker:N", scale=alt.Scale(scheme=SERIES_SCHEME), title="broker"),
            tooltip=[
                alt.Tooltip("bucket:T", title="time", format="%Y-%m-%d %H:%M"),
                "broker:N",
                alt.Tooltip("size:N", title="on disk"),
            ],
        )
        .properties(width=WIDTH - 150, height=220)
    )
    return finish(chart, "Disk per broker", f"maximum per {step_label(step)}")


def disk_per_topic(topics: pl.DataFrame, top_n: int = 15) -> alt.Chart:
    """Horizontal bars: bytes on disk (all replicas) of the ``top_n`` largest topics.

    ``topics``: one row per ``topic`` with ``size_bytes``.
    """
    data = (
        topics.select("topic", "size_bytes")
        .drop_nulls()
        .sort(["size_bytes", "topic"], descending=[True, False])
        .head(top_n)
        .pipe(_with_size_text)
    )
    check_rows(data, "disk_per_topic")
    if data.is_empty():
        sentence = f"No topic sizes in the config snapshot: this chart needs {_COLLECT} (it reads log dirs)."
        return empty_note("Disk per topic", sentence)
    chart = (
        alt.Chart(data)
        .mark_bar(color="#2f6fae")
        .encode(
            x=alt.X("size_bytes:Q", title="bytes on disk, all replicas", axis=alt.Axis(labelExpr=_BYTES)),
            y=alt.Y("topic:N", sort=data["topic"].to_list(), title=None),
            tooltip=["topic:N", alt.Tooltip("size:N", title="on disk")],
        )
        .properties(width=WIDTH - 250, height=max(40, 22 * data.height))
    )
    return finish(chart, "Disk per topic", f"the {top_n} largest topics")
