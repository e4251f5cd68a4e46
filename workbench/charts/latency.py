"""Charts of the latency-percentile report. Pure: a frame from :mod:`workbench.analyze.latency.percentiles`
in, an Altair chart out, in the workbench theme (:mod:`workbench.charts.theme`)."""

from __future__ import annotations

import altair as alt
import polars as pl

from workbench.analyze.latency.findings import METRIC_NAMES
from workbench.charts.theme import SERIES_SCHEME, WIDTH, check_rows, empty_note, finish
from workbench.scalars import as_float

__all__ = [
    "NO_BASELINE",
    "NO_SWEEP",
    "comparison_bars",
    "latency_over_time",
    "percentile_distribution",
    "throughput_over_time",
    "throughput_vs_p99",
]

#: Percentile ticks on the 1/(1-p) axis: value -> label.
_TICKS = {2.0: "50%", 10.0: "90%", 100.0: "99%", 1000.0: "99.9%", 10000.0: "99.99%", 100000.0: "99.999%"}
_TICK_EXPR = " : ".join(f"datum.value == {k} ? '{v}'" for k, v in _TICKS.items()) + " : ''"
_MS = "latency (ms)"
_SI = "datum.value == 0 ? '0' : format(datum.value, '~s')"
#: The sentences of an empty sweep chart and comparison (also what the report shows alone).
NO_SWEEP = "No sweep among the selected runs: run `workbench bench producer --sweep ...`."
NO_BASELINE = "No run has a baseline: no rerun of the same label, and baseline_run is not set."
#: How to get what an empty latency chart lacks.
_RUNS = "`workbench bench producer` (or `bench e2e`), or imported results (`workbench import hlog`)"


def percentile_distribution(dist: pl.DataFrame, latency: str) -> alt.Chart:
    """Latency against percentile on a log ``1/(1-p)`` axis (HdrHistogram's percentile plot),
    one line per run; the max is drawn at the last point of each line."""
    data = check_rows(
        dist.filter(pl.col("percentile") < 100).with_columns(
            x=1 / (1 - pl.col("percentile") / 100),
            pct_text=pl.col("percentile").round(4).cast(pl.String) + "%",
            run=pl.col("label") + " (" + pl.col("run_id") + ")",
        ),
        "percentile_distribution",
    )
    if data.is_empty():
        sentence = f"No latency percentiles in the selected runs: this chart needs runs from {_RUNS}."
        return empty_note(f"Latency by percentile ({latency})", sentence)
    chart = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=12))
        .encode(
            x=alt.X(
                "x:Q",
                scale=alt.Scale(type="log", domain=[1, 100000]),
                axis=alt.Axis(values=list(_TICKS), labelExpr=_TICK_EXPR, grid=True),
                title="percentile",
            ),
            y=alt.Y("value_ms:Q", scale=alt.Scale(type="log"), title=_MS),
            color=alt.Color("run:N", scale=alt.Scale(scheme=SERIES_SCHEME), title="run"),
            tooltip=[
                alt.Tooltip("run:N"),
                alt.Tooltip("pct_text:N", title="percentile"),
                alt.Tooltip("value_ms:Q", title="ms", format=",.3f"),
            ],
        )
        .properties(width=WIDTH - 200, height=340)
    )
    return finish(
        chart,
        f"Latency by percentile ({latency})",
        "log scales; 1/(1-p) on the x axis, so the tail gets room",
    )


#: One colour per latency kind (Okabe-Ito), the same in every latency chart.
KIND_COLORS = {
    "send-to-ack": "#0072b2",
    "schedule-delay": "#d55e00",
    "intended-to-ack": "#cc79a7",
    "end-to-end": "#009e73",
    "intended-end-to-end": "#e69f00",
}


def _per_run(chart: alt.Chart | alt.LayerChart, columns: int = 2) -> alt.FacetChart:
    """One panel per run (``run``: label and run id), so two runs with one label never merge."""
    return chart.facet(
        facet=alt.Facet("run:N", title=None, sort=alt.SortField("run_id"), header=alt.Header(labelLimit=420)),
        columns=columns,
    )


def latency_over_time(series: pl.DataFrame) -> alt.FacetChart | alt.Chart:
    """p99 (solid) and p50 (dashed) per interval of every latency each run measured, one panel
    per run: schedule delay and intended-to-ack beside send-to-ack (coordinated omission shows
    as the gap). ``series``: :func:`workbench.analyze.latency.kinds_series`."""
    long = series.unpivot(
        index=["run_id", "run", "phase", "t_s", "latency"], on=["p50_ms", "p99_ms"],
        variable_name="stat", value_name="ms",
    ).with_columns(stat=pl.col("stat").str.replace("_ms", ""))  # fmt: skip
    data = check_rows(long.filter(pl.col("ms") > 0), "latency_over_time")
    if data.is_empty():
        sentence = f"No per-interval latencies in the selected runs: this chart needs runs from {_RUNS}."
        return empty_note("Latency over time, per run", sentence)
    kinds = [k for k in KIND_COLORS if k in set(data["latency"].to_list())]
    chart = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X("t_s:Q", title="seconds since start"),
            y=alt.Y("ms:Q", scale=alt.Scale(type="log"), title=_MS + ", log scale"),
            color=alt.Color(
                "latency:N", scale=alt.Scale(domain=kinds, range=[KIND_COLORS[k] for k in kinds])
            ),
            strokeDash=alt.StrokeDash(
                "stat:N", scale=alt.Scale(domain=["p99", "p50"], range=[[1, 0], [4, 3]])
            ),
            # intended-to-ack is wide and pale underneath: where it equals send-to-ack both still show
            strokeWidth=alt.condition("datum.latency == 'intended-to-ack'", alt.value(5), alt.value(1.6)),
            opacity=alt.condition("datum.latency == 'intended-to-ack'", alt.value(0.55), alt.value(1.0)),
            detail="phase:N",
            tooltip=[
                alt.Tooltip("run:N"),
                alt.Tooltip("t_s:Q", title="s", format=".1f"),
                alt.Tooltip("phase:N"),
                alt.Tooltip("latency:N"),
                alt.Tooltip("stat:N"),
                alt.Tooltip("ms:Q", format=",.3f"),
            ],
        )
        .properties(width=(WIDTH - 160) // 2, height=150)
    )
    return finish(
        _per_run(chart),
        "Latency over time, per run",
        "per interval: p99 solid, p50 dashed; schedule delay and intended-to-ack beside send-to-ack",
    )


def throughput_over_time(series: pl.DataFrame) -> alt.FacetChart | alt.Chart:
    """Records/s per interval (solid) against the run's target rate (dashed grey rule), one
    panel per run. ``series``: :func:`workbench.analyze.latency.throughput_series`."""
    data = check_rows(series.drop_nulls("records_per_s"), "throughput_over_time")
    if data.is_empty():
        sentence = f"No per-interval throughput in the selected runs: this chart needs runs from {_RUNS}."
        return empty_note("Throughput over time, per run", sentence)
    base = alt.Chart().encode(x=alt.X("t_s:Q", title="seconds since start"))
    line = base.mark_line(color="#0072b2").encode(
        y=alt.Y("records_per_s:Q", title="records/s", scale=alt.Scale(zero=True),
                axis=alt.Axis(labelExpr=_SI)),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("t_s:Q", title="s", format=".1f"),
                 alt.Tooltip("records_per_s:Q", title="records/s", format=",.0f")],
    )  # fmt: skip
    target = (
        alt.Chart()
        .mark_rule(color="#52606d", strokeDash=[6, 4], strokeWidth=1.5)
        .encode(y="max(target_per_s):Q", tooltip=[alt.Tooltip("max(target_per_s):Q", title="target msg/s")])
    )
    chart = alt.LayerChart(layer=[line, target], data=data).properties(width=(WIDTH - 160) // 2, height=120)
    return finish(
        _per_run(chart), "Throughput over time, per run", "records/s per interval; dashed: the target rate"
    )


def throughput_vs_p99(
    curve: pl.DataFrame, color_by: str | None = None, shape_by: str | None = None
) -> alt.Chart:
    """Achieved records/s against p99 for each run of a sweep; points coloured by ``color_by``
    and shaped by ``shape_by`` (swept parameters); the tooltip names the run."""
    data = check_rows(curve, "throughput_vs_p99")
    if data.is_empty():
        return empty_note("Throughput vs p99 across the sweep", NO_SWEEP)
    # a dot in a field name (linger.ms) is nested access in Vega-Lite unless escaped
    color = alt.Color(_field(color_by), title=color_by) if color_by else alt.value("#4e79a7")
    base = alt.Chart(data).encode(
        x=alt.X("records_per_s:Q", title="records/s achieved", scale=alt.Scale(zero=True)),
        y=alt.Y("p99_ms:Q", scale=alt.Scale(type="log"), title="p99 " + _MS),
        tooltip=[
            alt.Tooltip("label:N", title="run"),
            alt.Tooltip("records_per_s:Q", title="records/s", format=",.0f"),
            alt.Tooltip("mb_per_s:Q", title="MiB/s", format=",.2f"),
            alt.Tooltip("p50_ms:Q", format=",.2f"),
            alt.Tooltip("p99_ms:Q", format=",.2f"),
        ],
    )
    shape = alt.Shape(_field(shape_by), title=shape_by) if shape_by else alt.value("circle")
    chart = base.mark_point(size=140, filled=True, opacity=0.85).encode(color=color, shape=shape)
    chart = chart.properties(width=WIDTH - 200, height=320)
    return finish(chart, "Throughput vs p99 across the sweep", "each point one run of the sweep")


def comparison_bars(comparison: pl.DataFrame, threshold_pct: float = 10.0) -> alt.Chart:
    """% difference of each metric against the run's baseline; red where flagged a regression.
    The axis spans at least twice the threshold each way, so a 1 % change looks small."""
    data = check_rows(
        comparison.drop_nulls("diff_pct").with_columns(
            pair=pl.col("label") + " (" + pl.col("run_id") + " vs " + pl.col("baseline_run_id") + ")",
            metric=pl.col("metric").replace(METRIC_NAMES),
            verdict=pl.when(pl.col("regression"))
            .then(pl.lit("regression"))
            .otherwise(pl.lit("within threshold")),
        ),
        "comparison_bars",
    )
    if data.is_empty():
        return empty_note("Run vs baseline", NO_BASELINE)
    span = max(2 * threshold_pct, (as_float(data["diff_pct"].abs().max()) or 0.0) * 1.1)
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("diff_pct:Q", title="% difference from baseline", scale=alt.Scale(domain=[-span, span])),
            y=alt.Y("metric:N", title=None, sort=None),
            row=alt.Row("pair:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            color=alt.Color(
                "verdict:N",
                scale=alt.Scale(domain=["regression", "within threshold"], range=["#c62828", "#9aa5b1"]),
                title=None,
            ),
            tooltip=[
                alt.Tooltip("pair:N", title="runs"),
                alt.Tooltip("metric:N"),
                alt.Tooltip("value:Q", format=",.3f"),
                alt.Tooltip("baseline:Q", format=",.3f"),
                alt.Tooltip("diff_pct:Q", title="%", format="+.1f"),
            ],
        )
        .properties(width=WIDTH - 400, height=130)
    )
    return finish(
        chart, "Run vs baseline", "latency up or throughput down beyond the threshold is a regression"
    )


def _field(name: str) -> str:
    """A nominal field shorthand with Vega-Lite's special characters escaped."""
    return name.replace("\\", "\\\\").replace(".", "\\.").replace("[", "\\[").replace("]", "\\]") + ":N"
