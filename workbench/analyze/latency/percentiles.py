"""Latency percentiles of benchmark runs: pure functions over ``bench_runs``/``bench_intervals``.

**Percentile definition.** Every percentile here is HdrHistogram's *value at percentile*: for
``p`` in (0, 100] over ``N`` recorded values, take the rank ``r = max(1, round(p/100 * N))``
(half up) and report the smallest recorded value ``v`` with at least ``r`` values ``<= v``, as
the highest value equivalent to ``v`` in the histogram (its bucket's upper edge; buckets are
0.1 % wide at 3 significant digits). On the raw samples that is numpy's
``np.percentile(values, p, method="inverted_cdf")`` (rank ``ceil(p/100 * N)``) whenever
``p/100 * N`` is a whole number; otherwise (and when floating point makes ``99.9/100 * 1000``
``999.0000000000001``) the two may pick neighbouring samples.
:func:`exact_percentile` is that numpy reference; the tests check both agree within the
histogram's precision. Kafka's perf tools use ``floor(p * N)`` on sorted samples (integer ms).

**Merging.** Percentiles of several intervals or runs come from the histogram holding all of
their counts (:func:`workbench.hdr.merge`), never from averaging their percentiles. Rows without
a histogram (imported summaries) keep the percentiles the tool printed.

Units: histograms hold microseconds; every ``*_ms`` column is milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from workbench import hdr
from workbench.hdr import PERCENTILES, STAT_COLUMNS, summarize, values_at_percentiles
from workbench.scalars import as_float, span_seconds

if TYPE_CHECKING:
    from polars._typing import SchemaDict

#: Metrics compared run to run, and whether a higher value is worse.
COMPARED: dict[str, bool] = {
    "records_per_s": False,
    "mean_ms": True,
    "p50_ms": True,
    "p99_ms": True,
    "p999_ms": True,
    "max_ms": True,
}
MIB = 1024 * 1024


def exact_percentile(values: Sequence[float] | np.ndarray, p: float) -> float:
    """The reference on raw samples: numpy's ``inverted_cdf`` percentile (see the module doc)."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), p, method="inverted_cdf"))


def merged_stats(encoded: Iterable[str | None]) -> dict[str, float | int | None]:
    """:func:`summarize` of the merge of ``encoded`` histograms, plus ``min_ms`` (the lowest
    recorded value's bucket; None when empty)."""
    hist = hdr.merge(encoded)
    low = hist.get_lowest_equivalent_value(hist.get_min_value()) / 1000 if hist.get_total_count() else None
    return {**summarize(hist), "min_ms": low}


# -- per run ---------------------------------------------------------------------------------
def run_summary(
    runs: pl.DataFrame, intervals: pl.DataFrame, latency: str = "send_to_ack", phase: str = "steady"
) -> pl.DataFrame:
    """One row per run: throughput of the ``phase`` and its ``latency`` statistics.

    Latency comes from the merged interval histograms of the phase, else the cumulative row's
    histogram, else the statistics the tool printed. Throughput comes from the cumulative row
    (records / its duration), else the sum over intervals.
    """
    rows = []
    for run in runs.sort("ts").iter_rows(named=True):
        mine = intervals.filter((pl.col("run_id") == run["run_id"]) & (pl.col("phase") == phase))
        kind = resolve_latency(mine, latency)
        rows.append(
            {**_run_columns(run), **_throughput(mine, run), "latency": kind, **_latency_stats(mine, kind)}
        )
    schema: SchemaDict = {
        "run_id": pl.String,
        "label": pl.String,
        "kind": pl.String,
        "cluster": pl.String,
        "source": pl.String,
        "ts": pl.Datetime("us", "UTC"),
        "sweep": pl.String,
        "target_throughput": pl.Float64,
        "records": pl.Int64,
        "duration_s": pl.Float64,
        "records_per_s": pl.Float64,
        "mb_per_s": pl.Float64,
        "errors": pl.Int64,
        "latency": pl.String,
        "count": pl.Int64,
        **{c: pl.Float64 for c in STAT_COLUMNS[1:]},
        "min_ms": pl.Float64,
    }
    frame = pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema, orient="row")
    sent = pl.col("records") + pl.col("errors")
    return frame.with_columns(success_pct=pl.when(sent > 0).then(100.0 * pl.col("records") / sent))


def _run_columns(run: dict[str, Any]) -> dict[str, Any]:
    keys = ("run_id", "label", "kind", "cluster", "source", "ts", "sweep", "target_throughput")
    return {k: run.get(k) for k in keys}


def _throughput(rows: pl.DataFrame, run: dict[str, Any]) -> dict[str, Any]:
    cum = rows.filter(pl.col("cumulative"))
    per = rows.filter(~pl.col("cumulative"))
    src = cum if cum.height else per
    one = src.filter(pl.col("latency") == src["latency"].min()) if src.height else src
    records = _known_sum(one["records"]) if one.height else run.get("records")
    bytes_ = _known_sum(one["bytes"]) if one.height else run.get("bytes")
    errors = _known_sum(one["errors"]) if one.height else run.get("errors")
    duration = span_seconds(one["ts"], one["end"]) if one.height else run.get("duration_s")
    rate = records / duration if records is not None and duration else None
    mb = bytes_ / MIB / duration if bytes_ is not None and duration else None
    return {
        "records": records,
        "duration_s": duration,
        "records_per_s": rate,
        "mb_per_s": mb,
        "errors": errors,
    }


def _known_sum(column: pl.Series) -> int | None:
    """The sum, or None (unknown) when any value is unknown: an unknown count is never 0."""
    return None if column.null_count() else int(column.sum())


#: What ``auto`` picks, in order: the first latency the run measured.
AUTO_ORDER = ("intended_to_ack", "send_to_ack", "end_to_end")


def resolve_latency(rows: pl.DataFrame, latency: str) -> str:
    """``latency``, or for ``auto`` the latency an open-loop user sees: intended-to-ack when the
    run measured it (it ran on a schedule), else send-to-ack, else end-to-end."""
    if latency != "auto":
        return latency
    measured = set(rows.filter((pl.col("count") > 0) | pl.col("p50_ms").is_not_null())["latency"].to_list())
    return next((k for k in AUTO_ORDER if k in measured), "send_to_ack")


def _latency_stats(rows: pl.DataFrame, latency: str) -> dict[str, Any]:
    mine = rows.filter(pl.col("latency") == latency)
    per = mine.filter(~pl.col("cumulative") & pl.col("histogram").is_not_null())
    cum = mine.filter(pl.col("cumulative"))
    if per.height:
        return merged_stats(per["histogram"].to_list())
    if cum.height and cum["histogram"][0] is not None:
        return merged_stats(cum["histogram"].to_list())
    if cum.height:
        return {c: cum[c][0] for c in STAT_COLUMNS}  # printed figures: min unknown
    return dict.fromkeys(STAT_COLUMNS)


# -- shapes for charts -----------------------------------------------------------------------
def distribution(
    runs: pl.DataFrame, intervals: pl.DataFrame, latency: str = "send_to_ack", phase: str = "steady"
) -> pl.DataFrame:
    """The percentile curve of each run: ``run_id, label, percentile, value_ms``.

    From the merged histogram: 60 percentiles from 0 to 99.999 evenly spaced in ``log 1/(1-p)``
    (plus 100 = max); from the printed statistics where there is no histogram.
    """
    ticks = 100 * (1 - np.logspace(0, -5, 61)[1:])
    parts: list[dict[str, object]] = []
    for run in runs.sort("ts").iter_rows(named=True):
        mine = intervals.filter((pl.col("run_id") == run["run_id"]) & (pl.col("phase") == phase))
        points = _curve_points(mine.filter(pl.col("latency") == resolve_latency(mine, latency)), ticks)
        parts.extend({"run_id": run["run_id"], "label": run["label"], **pt} for pt in points)
    return pl.DataFrame(
        parts,
        schema={"run_id": pl.String, "label": pl.String, "percentile": pl.Float64, "value_ms": pl.Float64},
    )


def _curve_points(rows: pl.DataFrame, ticks: np.ndarray) -> list[dict[str, float]]:
    hists = rows.filter(pl.col("histogram").is_not_null())["histogram"].to_list()
    if hists:
        hist = hdr.merge(hists)
        if hist.get_total_count() == 0:
            return []
        cut = ticks[ticks <= 100 * (1 - 1 / hist.get_total_count())]
        vals = values_at_percentiles(hist, list(cut)) / 1000
        pts = [{"percentile": float(p), "value_ms": float(v)} for p, v in zip(cut, vals, strict=True)]
        top = as_float(summarize(hist)["max_ms"])
        return [*pts] if top is None else [*pts, {"percentile": 100.0, "value_ms": top}]
    cum = rows.filter(pl.col("cumulative"))
    if not cum.height:
        return []
    named = {**PERCENTILES, "max_ms": 100.0}
    return [
        {"percentile": p, "value_ms": float(cum[c][0])} for c, p in named.items() if cum[c][0] is not None
    ]


def interval_series(
    runs: pl.DataFrame, intervals: pl.DataFrame, latency: str = "send_to_ack"
) -> pl.DataFrame:
    """Per-interval series: ``run_id, label, phase, t_s`` (seconds since the run started),
    ``records_per_s, mb_per_s, errors, backlog`` and ``p50_ms, p99_ms, max_ms`` of ``latency``."""
    per = intervals.filter(~pl.col("cumulative"))
    chosen = {rid: resolve_latency(rows, latency) for (rid,), rows in per.group_by("run_id")}
    lat = per.filter(pl.col("latency") == pl.col("run_id").replace_strict(chosen, default=None))
    if lat.is_empty():
        lat = per.filter(pl.col("latency") == "none")
    starts = runs.select("run_id", "label", pl.col("ts").alias("run_ts"))
    secs = (pl.col("end") - pl.col("ts")).dt.total_microseconds() / 1e6
    return (
        lat.join(starts, on="run_id")
        .with_columns(
            t_s=(pl.col("end") - pl.col("run_ts")).dt.total_microseconds() / 1e6,
            records_per_s=pl.col("records") / secs,
            mb_per_s=pl.col("bytes") / MIB / secs,
        )
        .select("run_id", "label", "phase", "t_s", "records_per_s", "mb_per_s", "errors", "backlog",
                "p50_ms", "p99_ms", "max_ms")
        .sort("run_id", "t_s")
    )  # fmt: skip


def run_names(runs: pl.DataFrame) -> pl.DataFrame:
    """``run_id, run`` where ``run`` is ``"label (run id)"``: runs with the same label stay apart."""
    return runs.select("run_id", run=pl.col("label") + " (" + pl.col("run_id") + ")")


def kinds_series(runs: pl.DataFrame, intervals: pl.DataFrame) -> pl.DataFrame:
    """p50 and p99 per interval of every latency each run measured (send-to-ack, schedule
    delay, intended-to-ack, end-to-end...): ``run_id, run, phase, t_s, latency, p50_ms, p99_ms``,
    so schedule delay and intended-to-ack are charted beside send-to-ack."""
    per = intervals.filter(~pl.col("cumulative") & (pl.col("latency") != "none") & (pl.col("count") > 0))
    starts = runs.select("run_id", pl.col("ts").alias("run_ts"))
    return (
        per.join(starts, on="run_id")
        .join(run_names(runs), on="run_id")
        .with_columns(t_s=(pl.col("end") - pl.col("run_ts")).dt.total_microseconds() / 1e6,
                      latency=pl.col("latency").str.replace_all("_", "-"))
        .select("run_id", "run", "phase", "t_s", "latency", "p50_ms", "p99_ms")
        .sort("run_id", "latency", "t_s")
    )  # fmt: skip


def throughput_series(runs: pl.DataFrame, intervals: pl.DataFrame) -> pl.DataFrame:
    """Records/s per interval and each run's target rate (null when unthrottled or closed loop):
    ``run_id, run, phase, t_s, records_per_s, target_per_s``."""
    series = interval_series(runs, intervals, "auto")
    targets = runs.select(
        "run_id", target_per_s=pl.when(pl.col("target_throughput") > 0).then(pl.col("target_throughput"))
    )
    return (
        series.join(run_names(runs), on="run_id")
        .join(targets, on="run_id", how="left")
        .select("run_id", "run", "phase", "t_s", "records_per_s", "target_per_s")
    )


def sweep_curve(summary: pl.DataFrame) -> pl.DataFrame:
    """Throughput against p99 across a sweep: the summary with one column per swept parameter.

    Runs without sweep parameters are left out.
    """
    rows = []
    for run in summary.iter_rows(named=True):
        params = json.loads(run["sweep"]) if run["sweep"] else {}
        if params:
            rows.append({**{k: str(v) for k, v in params.items()}, **run})
    if not rows:
        return summary.clear().select("run_id", "label", "records_per_s", "p99_ms")
    keys = sorted({k for r in rows for k in json.loads(r["sweep"])})
    frame = pl.DataFrame(rows, infer_schema_length=None)
    return frame.select(*keys, "run_id", "label", "records_per_s", "mb_per_s", "p50_ms", "p99_ms", "max_ms")


# -- run-to-run comparison -------------------------------------------------------------------
def compare_runs(
    summary: pl.DataFrame, baseline_run: str | None = None, threshold_pct: float = 10.0
) -> pl.DataFrame:
    """Each run against its baseline: ``run_id, baseline_run_id, metric, value, baseline,
    diff_pct, regression``.

    The baseline is ``baseline_run`` for every other run when given; otherwise each run's
    latest earlier run with the same label (a rerun of the same parameters), and runs without
    one are left out. ``diff_pct = 100 * (value - baseline) / baseline``; ``regression`` is
    true when the change is worse by more than ``threshold_pct`` (latency up, throughput down).
    """
    ordered = summary.sort("ts")
    rows: list[dict[str, Any]] = []
    for i, run in enumerate(ordered.iter_rows(named=True)):
        base = _baseline(ordered, i, run, baseline_run)
        if base is None:
            continue
        for metric, higher_is_worse in COMPARED.items():
            rows.append(_compared(run, base, metric, higher_is_worse, threshold_pct))
    schema: SchemaDict = {
        "run_id": pl.String,
        "label": pl.String,
        "baseline_run_id": pl.String,
        "metric": pl.String,
        "value": pl.Float64,
        "baseline": pl.Float64,
        "diff_pct": pl.Float64,
        "regression": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _baseline(
    ordered: pl.DataFrame, i: int, run: dict[str, Any], baseline_run: str | None
) -> dict[str, Any] | None:
    if baseline_run is not None:
        if run["run_id"] == baseline_run:
            return None
        found = ordered.filter(pl.col("run_id") == baseline_run)
        if found.is_empty():
            raise KeyError(baseline_run)
        return found.row(0, named=True)
    earlier = ordered.head(i).filter(pl.col("label") == run["label"])
    return earlier.row(-1, named=True) if earlier.height else None


def _compared(
    run: dict[str, Any], base: dict[str, Any], metric: str, higher_is_worse: bool, threshold: float
) -> dict[str, Any]:
    value, ref = run[metric], base[metric]
    diff = 100.0 * (value - ref) / ref if value is not None and ref else None
    worse = diff is not None and (diff > threshold if higher_is_worse else diff < -threshold)
    return {
        "run_id": run["run_id"],
        "label": run["label"],
        "baseline_run_id": base["run_id"],
        "metric": metric,
        "value": value,
        "baseline": ref,
        "diff_pct": diff,
        "regression": worse,
    }
