"""Broker resources: network in/out and request-handler idle per broker, against limits the user
gave, and when each broker's forecast reaches them (the capacity report's broker section).

Input: the ``broker_metrics`` dataset (``workbench import prometheus``). Network is node_exporter's
NIC traffic when the broker's host has exactly one broker and node metrics, else the JMX
exporter's BytesIn/BytesOut (client traffic; replication not included, said). Request-handler
idle is turned into busy (1 − idle) so every resource reaches its limit from below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from workbench import units
from workbench.analyze.capacity import forecast as fc
from workbench.errors import ConfigError


@dataclass(frozen=True)
class ResourceLimits:
    """Per-broker limits and where they come from (``given by you``, ``measured``, ``unknown``)."""

    nic_bytes_per_s: float | None
    nic_basis: str
    idle_min: float | None  # the lowest request-handler idle ratio the user accepts
    idle_basis: str
    #: network limits measured by benchmarks: broker, resource, limit, basis (see bench_limits)
    bench: pl.DataFrame | None = None


#: (resource, node_exporter metric, JMX metric): network from the NIC when known, else JMX.
NETWORK = (
    ("network in", "network_receive_bytes_per_s", "bytes_in_per_s"),
    ("network out", "network_transmit_bytes_per_s", "bytes_out_per_s"),
)
IDLE = "request-handler busy"
_TS = pl.Datetime("us", "UTC")
_TABLE = pl.Schema(
    {
        "broker": pl.String(),
        "resource": pl.String(),
        "source": pl.String(),
        "p99": pl.Float64(),
        "limit": pl.Float64(),
        "basis": pl.String(),
        "utilization": pl.Float64(),
        "reached_at": _TS,
        "days": pl.Float64(),
        "forecast": pl.String(),
    }
)
_COLS = pl.Schema(
    {"broker": pl.String(), "resource": pl.String(), "source": pl.String(), "ts": _TS, "value": pl.Float64()}
)


def resource_series(metrics: pl.DataFrame | None) -> pl.DataFrame:
    """Hourly peaks per (broker, resource): ``broker, resource, source, ts, value`` (busy as 0..1)."""
    if metrics is None or metrics.is_empty():
        return pl.DataFrame(schema=_COLS)
    jmx = metrics.filter(pl.col("source") == "prometheus:jmx")
    brokers = jmx.select("instance", "host").unique()
    single = brokers.group_by("host").agg(pl.len()).filter(pl.col("len") == 1)["host"]
    parts = []
    for resource, node_metric, jmx_metric in NETWORK:
        node = metrics.filter((pl.col("metric") == node_metric) & pl.col("host").is_in(single.implode()))
        node = node.group_by("host", "ts").agg(pl.col("value").sum()).join(brokers, on="host")
        node = node.with_columns(source=pl.lit("NIC (node_exporter)"))
        via_jmx = jmx.filter(
            (pl.col("metric") == jmx_metric) & ~pl.col("instance").is_in(node["instance"].implode())
        )
        via_jmx = via_jmx.with_columns(source=pl.lit("JMX BytesIn/Out (clients, no replication)"))
        cols = ["instance", "ts", "value", "source"]
        parts.append(
            pl.concat([node.select(cols), via_jmx.select(cols)]).with_columns(resource=pl.lit(resource))
        )
    busy = jmx.filter(pl.col("metric") == "request_handler_idle").with_columns(
        value=1.0 - pl.col("value"), source=pl.lit("JMX RequestHandlerAvgIdlePercent"), resource=pl.lit(IDLE)
    )
    parts.append(busy.select("instance", "ts", "value", "source", "resource"))
    frame = pl.concat(parts).rename({"instance": "broker"})
    hourly = frame.group_by("broker", "resource", "source", pl.col("ts").dt.truncate("1h")).agg(
        pl.col("value").max()
    )
    return hourly.select(list(_COLS)).sort("broker", "resource", "ts")


def resource_limits(
    nic_bytes_per_s: float | None, nic_basis: str, idle_min: float | None, bench: pl.DataFrame | None = None
) -> ResourceLimits:
    """The limits from the report parameters (``idle_min`` in (0, 1) when given) and, for network
    without a given NIC capacity, from benchmarks (:func:`bench_limits`)."""
    if idle_min is not None and not 0 < float(idle_min) < 1:
        raise ConfigError(f"parameter request_handler_idle_min: {idle_min} is outside (0, 1)")
    idle_basis = "given by you" if idle_min is not None else "unknown"
    idle = None if idle_min is None else float(idle_min)
    return ResourceLimits(nic_bytes_per_s, nic_basis, idle, idle_basis, bench)


#: benchmark kind -> (resource it measures, JMX metric)
_BENCH = {"producer": ("network in", "bytes_in_per_s"), "consumer": ("network out", "bytes_out_per_s")}


def bench_limits(runs: pl.DataFrame | None, metrics: pl.DataFrame | None, cluster: str) -> pl.DataFrame:
    """Per broker, the highest JMX bytes in (producer runs) or out (consumer runs) during an
    unthrottled benchmark run of ``cluster`` (its start to its end plus a minute, the rate window's
    lag): what the broker carried at full load. ``broker, resource, limit, basis``."""
    schema = pl.Schema({"broker": pl.String, "resource": pl.String, "limit": pl.Float64, "basis": pl.String})
    if runs is None or metrics is None or runs.is_empty() or metrics.is_empty():
        return pl.DataFrame(schema=schema)
    full = runs.filter(
        (pl.col("cluster") == cluster)
        & pl.col("kind").is_in(list(_BENCH))
        & (pl.col("target_throughput").is_null() | (pl.col("target_throughput") <= 0))
        & pl.col("duration_s").is_not_null()
    )
    rows = []
    for run in full.iter_rows(named=True):
        resource, metric = _BENCH[run["kind"]]
        end = run["ts"] + dt.timedelta(seconds=run["duration_s"] + 60)
        seen = metrics.filter((pl.col("metric") == metric) & pl.col("ts").is_between(run["ts"], end))
        for broker, peak in seen.group_by("instance").agg(pl.col("value").max()).iter_rows():
            rows.append({"broker": broker, "resource": resource, "limit": peak,
                         "basis": f"measured (benchmark {run['label'] or run['run_id']})"})  # fmt: skip
    frame = pl.DataFrame(rows, schema=schema)
    return frame.sort("limit", descending=True).unique(["broker", "resource"], keep="first").sort("broker")


def _limit(broker: str, resource: str, limits: ResourceLimits) -> tuple[float | None, str]:
    if resource == IDLE:
        return (None if limits.idle_min is None else 1.0 - limits.idle_min), limits.idle_basis
    if limits.nic_bytes_per_s is None and limits.bench is not None:
        found = limits.bench.filter((pl.col("broker") == broker) & (pl.col("resource") == resource))
        if found.height and found["limit"][0] > 0:
            return float(found["limit"][0]), str(found["basis"][0])
    return limits.nic_bytes_per_s, limits.nic_basis


def broker_resources(series: pl.DataFrame, limits: ResourceLimits, horizon_days: float) -> pl.DataFrame:
    """One row per (broker, resource): p99 now, limit and basis, utilization, when it is reached."""
    rows = []
    for (broker, resource, source), frame in series.group_by(
        "broker", "resource", "source", maintain_order=True
    ):
        limit, basis = _limit(str(broker), str(resource), limits)
        frame = frame.sort("ts")
        now = float(frame["value"].quantile(0.99) or 0.0)
        row = {
            "broker": broker,
            "resource": resource,
            "source": source,
            "p99": now,
            "limit": limit,
            "basis": basis if limit is not None else "unknown",
            "utilization": now / limit if limit else None,
        }
        row.update(_crossing(frame, limit, horizon_days))
        rows.append(row)
    return pl.DataFrame(rows, schema=_TABLE)


def _crossing(frame: pl.DataFrame, limit: float | None, horizon_days: float) -> dict[str, object]:
    """When the forecast of ``frame`` reaches ``limit``: reached_at, days, and what was done."""
    if limit is None:
        return {"reached_at": None, "days": None, "forecast": "limit unknown"}
    allowed = fc.allowed_horizon(frame["ts"], horizon_days)
    if allowed is None or frame.height < 3:
        return {"reached_at": None, "days": None, "forecast": "history too short"}
    projected, _ = fc.forecast(frame, "value", allowed)
    hit = fc.days_until(projected, limit)
    note = (
        "already at the limit"
        if hit.already
        else (f"within {allowed:.0f} d" if hit.at else f"not within {allowed:.0f} d")
    )
    return {"reached_at": hit.at, "days": hit.days, "forecast": note}


def first_to_run_out(table: pl.DataFrame) -> dict[str, Any] | None:
    """The (broker, resource) row whose limit is reached soonest, or None."""
    hits = table.filter(pl.col("days").is_not_null()).sort("days")
    return hits.row(0, named=True) if hits.height else None


def resource_sentences(
    table: pl.DataFrame, limits: ResourceLimits, horizon_days: float
) -> list[tuple[str, str]]:
    """The section's findings: which broker runs out first and when, or why that is unknown."""
    if table.is_empty():
        return [("info", "No broker metrics in the window: import them from Prometheus with `workbench "
                 "import prometheus` (JMX exporter, node_exporter; docs/prometheus.md).")]  # fmt: skip
    out: list[tuple[str, str]] = []
    net = table.filter(pl.col("resource") != IDLE)
    if net.filter(pl.col("limit").is_null()).height:
        out.append(("info", "Network limit unknown (no broker_nic_mb_s, no unthrottled benchmark run seen "
                    "in the broker metrics): network shows load, not headroom."))  # fmt: skip
    if limits.idle_min is None:
        out.append(("info", "Request-handler limit unknown: set request_handler_idle_min (e.g. the idle "
                    "ratio below which you add brokers); it shows load, not headroom."))  # fmt: skip
    first = first_to_run_out(table)
    if first is not None:
        level = "critical" if first["days"] == 0 else "warning"
        when = (
            "now"
            if first["days"] == 0
            else f"around {first['reached_at']:%Y-%m-%d} (in {first['days']:.0f} days)"
        )
        out.append((level, f"Broker {first['broker']} runs out first: its {first['resource']} reaches "
                    f"{_limit_text(first)} ({first['basis']}) {when}."))  # fmt: skip
        return out
    known = table.filter(pl.col("limit").is_not_null())
    if known.filter(pl.col("forecast") != "history too short").height:
        out.append(("ok", f"No broker's forecast reaches a known limit within {horizon_days:g} days "
                    "(or as far as the history allows: see the table)."))  # fmt: skip
    elif known.height:
        out.append(("info", "No broker-resource forecast: under a day of broker metrics "
                    f"(at least {fc.MIN_HISTORY_DAYS:g} day needed); the table shows load now."))  # fmt: skip
    return out


def _limit_text(row: dict[str, Any]) -> str:
    if row["resource"] == IDLE:
        return f"{row['limit']:.0%} busy (idle {1 - row['limit']:.0%})"
    return units.rate_iec(row["limit"])


RESOURCE_FORMATS = {
    "p99 hourly peak (MiB/s or % busy)": ",.2f",
    "limit": ",.1f",
    "utilization %": ",.1f",
}


def resource_display(table: pl.DataFrame) -> pl.DataFrame:
    """The table as the report shows it: MiB/s (2²⁰ bytes per second) for network, percent for busy."""
    is_idle = pl.col("resource") == IDLE
    scale = pl.when(is_idle).then(100.0).otherwise(1 / units.MIB)
    return table.select(
        "broker", "resource",
        (pl.col("p99") * scale).alias("p99 hourly peak (MiB/s or % busy)"),
        (pl.col("limit") * scale).alias("limit"),
        "basis",
        (pl.col("utilization") * 100).alias("utilization %"),
        pl.col("reached_at").dt.strftime("%Y-%m-%d").alias("limit reached"),
        "forecast", pl.col("source").alias("measured by"),
    )  # fmt: skip


def window_of(series: pl.DataFrame) -> tuple[dt.datetime | None, dt.datetime | None]:
    """First and last hour of the broker series (None, None when empty)."""
    return (series["ts"].min(), series["ts"].max()) if series.height else (None, None)  # type: ignore[return-value]
