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
    "mean": ",.3f",
    "p50": ",.3f",
    "p90": ",.3f",
    "p95": ",.3f",
    "p99": ",.3f",
    "p99.9": ",.3f",
    "p99.99": ",.3f",
    "max": ",.3f",
}


def _or_unknown(column: str, fmt: str) -> pl.Expr:
    """``column`` formatted with ``fmt``; null (the source did not say) shows as ``unknown``."""
    return (
        pl.col(column)
        .map_elements(lambda v: format(v, fmt), return_dtype=pl.String, skip_nulls=True)
        .fill_null("unknown")
    )


def summary_table(summary: pl.DataFrame) -> pl.DataFrame:
    """The per-run table as shown (ms, records/s, MiB/s); an unknown count says ``unknown``."""
    return summary.select(
        pl.col("label").alias("run"),
        pl.col("run_id").alias("run id"),
        pl.col("ts").dt.strftime("%Y-%m-%d %H:%M").alias("start (UTC)"),
        pl.col("source"),
        _or_unknown("records", ",").alias("records"),
        _or_unknown("records_per_s", ",.0f").alias("records/s"),
        _or_unknown("mb_per_s", ",.2f").alias("MiB/s"),
        pl.col("latency").str.replace_all("_", " "),
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
        return latency
    kinds = summary["latency"].unique(maintain_order=True).to_list()
    return " / ".join(str(k) for k in kinds) + " (auto: intended-to-ack for open-loop runs)"


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
        pl.when(pl.col("target_throughput") < 0)
        .then(pl.lit("unthrottled"))
        .otherwise(pl.col("target_throughput").round(0).cast(pl.Int64).cast(pl.String))
        .alias("target msg/s"),
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
    """(level, sentence) pairs: best runs, runs that fell behind their schedule, regressions."""
    out: list[tuple[str, str]] = []
    rated = summary.drop_nulls("records_per_s")
    if rated.height:
        top = rated.sort("records_per_s", descending=True).row(0, named=True)
        out.append(("INFO", f"Highest throughput: {top['label']} at {top['records_per_s']:,.0f} records/s."))
    timed = summary.drop_nulls("p99_ms")
    if timed.height:
        low = timed.sort("p99_ms").row(0, named=True)
        out.append(("INFO", f"Lowest p99 {low['latency']}: {low['label']} at {low['p99_ms']:,.2f} ms."))
    out.extend(_behind_schedule(runs, intervals, summary, latency))
    out.extend(_regressions(comparison(summary, baseline_run, threshold_pct), threshold_pct))
    for row in summary.filter(pl.col("errors") > 0).iter_rows(named=True):
        out.append(("WARN", f"{row['label']} ({row['run_id']}): {row['errors']:,} delivery errors."))
    return out


def _behind_schedule(
    runs: pl.DataFrame, intervals: pl.DataFrame, summary: pl.DataFrame, latency: str
) -> list[tuple[str, str]]:
    delay = la.run_summary(runs, intervals, "schedule_delay")
    out = []
    for d, s in zip(delay.iter_rows(named=True), summary.iter_rows(named=True), strict=True):
        if d["p99_ms"] is None or s["p99_ms"] is None or d["p99_ms"] <= max(s["p99_ms"], 10.0):
            continue
        shown = s["latency"]
        if shown.startswith("intended"):  # measured from the intended time: the wait is in it
            out.append(
                (
                    "WARN",
                    f"{s['label']} ({s['run_id']}) fell behind its schedule: schedule delay "
                    f"p99 {d['p99_ms']:,.1f} ms, included in its {shown} p99 {s['p99_ms']:,.1f} ms.",
                )
            )
            continue
        out.append((
            "WARN",
            f"{s['label']} ({s['run_id']}) fell behind its schedule: "
            f"schedule delay p99 {d['p99_ms']:,.1f} ms "
            f"against {shown} p99 {s['p99_ms']:,.1f} ms. Its {shown} figures hide that wait "
            "(coordinated omission): measured from the intended send time, latency is far worse.",
        ))  # fmt: skip
    return out


def _regressions(comp: pl.DataFrame, threshold_pct: float) -> list[tuple[str, str]]:
    bad = comp.filter(pl.col("regression"))
    if comp.height and bad.is_empty():
        return [("OK", f"No metric moved more than {threshold_pct:g} % the wrong way against its baseline.")]
    return [
        ("REGRESSION", f"{r['label']} ({r['run_id']}): {r['metric']} {r['value']:,.2f} "
         f"vs {r['baseline']:,.2f} in {r['baseline_run_id']} "
         f"({r['diff_pct']:+.1f} %, threshold {threshold_pct:g} %).")
        for r in bad.iter_rows(named=True)
    ]  # fmt: skip
