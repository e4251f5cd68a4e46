"""What the latency-percentile report shows: loading runs, tables, findings and chart frames.

The notebook (``notebooks/latency_percentiles.ipynb``) only calls these. Text from the
cluster or the runs (labels, run ids, client settings) reaches the page through
:mod:`workbench.report.notebook`'s escaping helpers or Altair's script-safe JSON.
"""

from __future__ import annotations

import json

import polars as pl

from workbench.analyze.latency import percentiles as la
from workbench.errors import NotFoundError

SUMMARY_FORMATS = {
    "min": ",.3f",
    "mean": ",.3f",
    "p50": ",.3f",
    "p90": ",.3f",
    "p95": ",.3f",
    "p99": ",.3f",
    "p99.9": ",.3f",
    "p99.99": ",.3f",
    "max": ",.3f",
}


#: How a compared metric is named in sentences and charts.
METRIC_NAMES = {"records_per_s": "records/s", "mean_ms": "mean ms", "p50_ms": "p50 ms", "p99_ms": "p99 ms",
                "p999_ms": "p99.9 ms", "max_ms": "max ms"}  # fmt: skip


def _or_unknown(column: str, fmt: str) -> pl.Expr:
    """``column`` formatted with ``fmt``; null (the source did not say) shows as ``unknown``."""
    return (
        pl.col(column)
        .map_elements(lambda v: format(v, fmt), return_dtype=pl.String, skip_nulls=True)
        .fill_null("unknown")
    )


def summary_table(summary: pl.DataFrame) -> pl.DataFrame:
    """One row per run (producer runs, then consumer runs): where it ran, what it delivered,
    errors, success rate, throughput and target; an unknown count says ``unknown``."""
    target = pl.col("target_throughput")
    return summary.sort("kind", "ts", descending=[True, False]).select(
        pl.col("label").alias("run"),
        pl.col("run_id").alias("run id"),
        pl.col("kind"),
        pl.col("cluster").fill_null("unknown"),
        pl.col("ts").dt.strftime("%Y-%m-%d %H:%M").alias("start (UTC)"),
        pl.col("source"),
        _or_unknown("records", ",").alias("records"),
        _or_unknown("errors", ",").alias("errors"),
        _or_unknown("success_pct", ".2f").alias("success %"),
        _or_unknown("records_per_s", ",.0f").alias("records/s"),
        pl.when(target < 0)
        .then(pl.lit("unthrottled"))
        .otherwise(target.map_elements(lambda v: format(v, ",.0f"), return_dtype=pl.String, skip_nulls=True))
        .fill_null("unknown")
        .alias("target msg/s"),
        _or_unknown("mb_per_s", ",.2f").alias("MiB/s"),
    )


def percentile_table(summary: pl.DataFrame) -> pl.DataFrame:
    """One row per run: the latency shown and its statistics in ms, min to max (p95 included)."""
    return summary.sort("kind", "ts", descending=[True, False]).select(
        pl.col("label").alias("run"),
        pl.col("run_id").alias("run id"),
        pl.col("latency").str.replace_all("_", "-"),
        pl.col("min_ms").alias("min"),
        pl.col("mean_ms").alias("mean"),
        pl.col("p50_ms").alias("p50"),
        pl.col("p90_ms").alias("p90"),
        pl.col("p95_ms").alias("p95"),
        pl.col("p99_ms").alias("p99"),
        pl.col("p999_ms").alias("p99.9"),
        pl.col("p9999_ms").alias("p99.99"),
        pl.col("max_ms").alias("max"),
    )


def latency_title(summary: pl.DataFrame, latency: str) -> str:
    """The latency the charts show: ``latency``, or for ``auto`` the kinds it picked."""
    if latency != "auto":
        return latency.replace("_", "-")
    kinds = summary["latency"].unique(maintain_order=True).to_list()
    return " / ".join(str(k).replace("_", "-") for k in kinds) + " (auto: intended-to-ack for open-loop runs)"


def settings_table(runs: pl.DataFrame) -> pl.DataFrame:
    """Where and how each run ran: topic layout, brokers, client settings (masked), versions."""
    return runs.select(
        pl.col("run_id").alias("run id"),
        pl.col("tool"),
        pl.col("topic"),
        pl.col("partitions"),
        pl.col("replication"),
        pl.col("brokers"),
        pl.col("record_size").alias("record size"),
        pl.col("client_config").map_elements(_settings_text, return_dtype=pl.String).alias("client settings"),
        pl.col("librdkafka_version").alias("librdkafka"),
        pl.col("host"),
    )


def _settings_text(value: str | None) -> str:
    if not value:
        return ""
    conf = json.loads(value)
    return ", ".join(f"{k}={v}" for k, v in conf.items() if k != "bootstrap.servers")


def comparison(summary: pl.DataFrame, baseline_run: str | None, threshold_pct: float) -> pl.DataFrame:
    """Run-vs-baseline comparison; :class:`NotFoundError` for an unknown ``baseline_run``."""
    try:
        return la.compare_runs(summary, baseline_run, threshold_pct)
    except KeyError:
        raise NotFoundError(
            f"parameter baseline_run: no run {baseline_run!r} among the selected runs"
        ) from None


def headline(
    runs: pl.DataFrame,
    intervals: pl.DataFrame,
    summary: pl.DataFrame,
    latency: str,
    baseline_run: str | None,
    threshold_pct: float,
) -> list[tuple[str, str]]:
    """(level, sentence) pairs at the shared severities (info, warning, critical): runs of
    several clusters mixed, the best producer and consumer runs (ranked apart), runs that fell
    behind their schedule, regressions, delivery errors."""
    out = _mixed_clusters(summary)
    for kind, runs_of_kind in summary.group_by("kind", maintain_order=True):
        out.extend(_best(runs_of_kind, str(kind[0])))
    out.extend(_behind_schedule(runs, intervals, summary, latency))
    out.extend(_regressions(comparison(summary, baseline_run, threshold_pct), threshold_pct))
    for row in summary.filter(pl.col("errors") > 0).iter_rows(named=True):
        out.append(("warning", f"{row['label']} ({row['run_id']}): {row['errors']:,} delivery errors."))
    return out


def _mixed_clusters(summary: pl.DataFrame) -> list[tuple[str, str]]:
    clusters = sorted(summary["cluster"].drop_nulls().unique().to_list())
    if len(clusters) < 2:
        return []
    return [("warning", f"The selected runs come from {len(clusters)} clusters ({', '.join(clusters)}): "
             "their figures are not comparable; set the cluster parameter to compare one.")]  # fmt: skip


def _best(summary: pl.DataFrame, kind: str) -> list[tuple[str, str]]:
    """The highest-throughput and lowest-p99 run among runs of one ``kind`` (producer, consumer)."""
    out = []
    rated = summary.drop_nulls("records_per_s")
    if rated.height:
        top = rated.sort("records_per_s", descending=True).row(0, named=True)
        out.append(("info", f"Highest {kind} throughput: {top['label']} ({top['run_id']}) at "
                    f"{top['records_per_s']:,.0f} records/s."))  # fmt: skip
    timed = summary.drop_nulls("p99_ms")
    for lat, of_lat in timed.group_by("latency", maintain_order=True):
        low = of_lat.sort("p99_ms").row(0, named=True)
        out.append(("info", f"Lowest {kind} p99 {str(lat[0]).replace('_', '-')}: {low['label']} "
                    f"({low['run_id']}) at {low['p99_ms']:,.2f} ms."))  # fmt: skip
    return out


def _behind_schedule(
    runs: pl.DataFrame, intervals: pl.DataFrame, summary: pl.DataFrame, latency: str
) -> list[tuple[str, str]]:
    delay = la.run_summary(runs, intervals, "schedule_delay")
    acked = la.run_summary(runs, intervals, "send_to_ack")
    out = []
    rows = zip(
        delay.iter_rows(named=True), acked.iter_rows(named=True), summary.iter_rows(named=True), strict=True
    )
    for d, a, s in rows:
        if d["p99_ms"] is None or s["p99_ms"] is None or d["p99_ms"] <= max(a["p99_ms"] or 0.0, 10.0):
            continue
        shown = s["latency"].replace("_", "-")
        if shown.startswith("intended"):  # measured from the intended time: the wait is in it
            out.append(
                (
                    "warning",
                    f"{s['label']} ({s['run_id']}) fell behind its schedule: schedule delay "
                    f"p99 {d['p99_ms']:,.1f} ms, included in its {shown} p99 {s['p99_ms']:,.1f} ms.",
                )
            )
            continue
        out.append((
            "warning",
            f"{s['label']} ({s['run_id']}) fell behind its schedule: "
            f"schedule delay p99 {d['p99_ms']:,.1f} ms "
            f"against {shown} p99 {s['p99_ms']:,.1f} ms. Its {shown} figures hide that wait "
            "(coordinated omission): measured from the intended send time, latency is far worse.",
        ))  # fmt: skip
    return out


def _regressions(comp: pl.DataFrame, threshold_pct: float) -> list[tuple[str, str]]:
    bad = comp.filter(pl.col("regression"))
    if comp.height and bad.is_empty():
        return [("ok", f"No metric moved more than {threshold_pct:g} % the wrong way against its baseline.")]
    return [
        ("warning", f"Regression: {r['label']} ({r['run_id']}): "
         f"{METRIC_NAMES.get(r['metric'], r['metric'])} {r['value']:,.2f} "
         f"vs {r['baseline']:,.2f} in {r['baseline_run_id']} "
         f"({r['diff_pct']:+.1f} %, threshold {threshold_pct:g} %).")
        for r in bad.iter_rows(named=True)
    ]  # fmt: skip


#: Figures the Kafka tools print that the runs table has no column for, and how they show.
PRINTED_NAMES = {
    "fetch.time.ms": "fetch time (ms)",
    "fetch.MB.sec": "fetch MB/s",
    "fetch.nMsg.sec": "fetch msg/s",
    "rebalance.time.ms": "rebalance time (ms)",
    "data.consumed.in.MB": "consumed MB",
    "MB.sec": "MB/s",
    "nMsg.sec": "msg/s",
}


def printed_table(runs: pl.DataFrame) -> pl.DataFrame:
    """One row per imported run whose tool printed figures of its own (ConsumerPerformance's
    fetch time and fetch rates, rebalance time): the final printed row as printed, plus the
    import's notes; a figure the tool did not print says ``unknown``."""
    rows = []
    for run in runs.iter_rows(named=True):
        params = json.loads(run["params"]) if run.get("params") else {}
        printed = params.get("printed")
        if isinstance(printed, list):
            printed = printed[-1] if printed else None
        if not isinstance(printed, dict):
            continue
        figures = {name: _figure(printed.get(key)) for key, name in PRINTED_NAMES.items()}
        notes = "; ".join(str(n) for n in params.get("notes", []))
        rows.append({"run": run["label"], "run id": run["run_id"], "tool": run["tool"], **figures,
                     "notes": notes or "none"})  # fmt: skip
    schema = {"run": pl.String, "run id": pl.String, "tool": pl.String}
    schema |= dict.fromkeys(PRINTED_NAMES.values(), pl.String) | {"notes": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _figure(value: object) -> str:
    if value is None:
        return "unknown"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
