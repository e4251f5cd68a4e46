"""What the capacity report shows: loading its inputs, parameters, tables and sentences.

The notebook (``notebooks/capacity.ipynb``) only calls these. Every sentence is computed from
the plan; text from the cluster (topic and group names) reaches the page through
:mod:`workbench.report.notebook`'s escaping helpers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import polars as pl

from workbench.analyze import capacity as cap
from workbench.analyze import sizing as sz
from workbench.analyze.config_history import topic_table
from workbench.analyze.config_rules import ConfigView
from workbench.analyze.latency import run_summary
from workbench.errors import ConfigError, NotFoundError
from workbench.report import humanize as hz

Finding = tuple[str, str]
GB = 1e9


def load_inputs(
    data_dir: str | os.PathLike[str], cluster: str | None = None, since: str | None = "7d"
) -> tuple[str, cap.CapacityInputs]:
    """The cluster name and the frames of the window: offsets, partition offsets, log dirs, the
    newest config snapshot's topics and placement."""
    from workbench.frames import load_offsets, load_partition_offsets
    from workbench.frames.configs import load_config_history, split_snapshot
    from workbench.store import Store

    store = Store(data_dir)
    if not store.clusters("partition_offsets"):
        raise NotFoundError(f"{data_dir}: no partition_offsets: collect with `workbench collect offsets`")
    po = load_partition_offsets(data_dir, cluster, since)
    name = str(po["cluster"][0]) if po.height else str(cluster)  # type: ignore[index]
    offsets = load_offsets(data_dir, name, since) if store.clusters("offsets") else pl.DataFrame()
    history = load_config_history(data_dir, name, since) if name in store.clusters("cluster_info") else None
    if history is None:
        raise NotFoundError(f"{data_dir}: no config snapshots of {name}: run `workbench collect configs`")
    newest = split_snapshot(history, history["cluster_info"]["ts"].max())
    view = ConfigView.of(newest)
    brokers = sorted(int(b) for b in newest["brokers"]["broker_id"].to_list())
    inputs = cap.CapacityInputs(
        po,
        offsets,
        history["log_dirs"],
        topic_table(view),
        newest["topic_partitions"],
        brokers,  # type: ignore[arg-type]
    )
    return name, inputs


def _ids(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    return [i.strip() for i in items if i.strip()] or None


def bench_capacities(
    data_dir: str | os.PathLike[str],
    cluster: str,
    run_ids: str | Sequence[str] | None,
    producer_mb_s: float | None,
    consumer_mb_s: float | None,
) -> tuple[sz.PartitionCapacity, sz.PartitionCapacity | None]:
    """P and C per partition: the parameters when given, else the best stored benchmark runs."""
    from workbench.store import Store

    p_name, c_name = "producer_mb_s_per_partition", "consumer_mb_s_per_partition"
    try:
        producer = sz.given_capacity(_float(p_name, producer_mb_s), p_name)
        consumer = sz.given_capacity(_float(c_name, consumer_mb_s), c_name)
    except ValueError as exc:
        raise ConfigError(f"parameter {exc}") from None
    if producer is not None and consumer is not None:
        return producer, consumer
    store = Store(data_dir)
    runs = store.read("bench_runs", cluster=cluster) if cluster in store.clusters("bench_runs") else None
    wanted = _ids(run_ids)
    if runs is not None and wanted is not None:
        missing = sorted(set(wanted) - set(runs["run_id"].to_list()))
        if missing:
            raise NotFoundError(f"parameter bench_run_ids: no run {', '.join(missing)} in {data_dir}")
        runs = runs.filter(pl.col("run_id").is_in(wanted))
    if runs is None or runs.is_empty():
        return producer or sz.PartitionCapacity(None, None, "no benchmark runs"), consumer
    intervals = store.read("bench_intervals", cluster=cluster).filter(pl.col("run_id").is_in(runs["run_id"]))
    summary = run_summary(runs, intervals)
    measured_c = sz.bench_capacity(summary, runs, "consumer")
    return (
        producer or sz.bench_capacity(summary, runs, "producer"),
        consumer or (measured_c if measured_c.known else None),
    )


def make_params(
    producer: sz.PartitionCapacity,
    consumer: sz.PartitionCapacity | None,
    horizon_days: float,
    headroom: float,
    growth_override: float | None,
    retention_override_h: float | None,
    fill_target: float,
    broker_disk_gb: float | None,
    broker_nic_mb_s: float | None,
) -> cap.CapacityParams:
    """Check the report parameters (errors name them) and build :class:`CapacityParams`."""
    growth_override = _float("growth_override", growth_override)
    retention_override_h = _float("retention_override_h", retention_override_h)
    broker_disk_gb = _float("broker_disk_gb", broker_disk_gb)
    broker_nic_mb_s = _float("broker_nic_mb_s", broker_nic_mb_s)
    checks = (
        ("horizon_days", horizon_days, 1, 3650),
        ("headroom", headroom, 1.0, 10.0),
        ("fill_target", fill_target, 0.05, 1.0),
    )
    for name, value, low, high in checks:
        if not low <= value <= high:
            raise ConfigError(f"parameter {name}: {value} is outside [{low}, {high}]")
    if retention_override_h is not None and retention_override_h <= 0:
        raise ConfigError("parameter retention_override_h: must be positive hours")
    return cap.CapacityParams(
        producer,
        consumer,
        horizon_days,
        headroom,
        growth_override,
        retention_override_h,
        fill_target,
        broker_disk_bytes=broker_disk_gb * GB if broker_disk_gb else None,
        broker_nic_bytes_per_s=broker_nic_mb_s * sz.MB if broker_nic_mb_s else None,
    )


def _float(name: str, value: object) -> float | None:
    """An optional numeric parameter (papermill may pass text); ConfigError naming it otherwise."""
    if value is None:
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"parameter {name}: {value!r} is not a number") from None


def _mb(v: float | None) -> str:
    return "unknown" if v is None else f"{v / sz.MB:,.2f} MB/s"


def _gb(v: float | None) -> str:
    return "unknown" if v is None else f"{v / GB:,.0f} GB"


def headline(plan: cap.CapacityPlan, params: cap.CapacityParams) -> list[Finding]:
    """(level, sentence) pairs: topics over or near capacity, the next crossing, disk, consumers."""
    out: list[Finding] = []
    t = plan.topics
    for status, level in (("over", "critical"), ("above tested", "warning"), ("tight", "warning")):
        names = t.filter(pl.col("status") == status)["topic"].to_list()
        if names:
            out.append((level, f"{len(names)} topic(s) {status}: {', '.join(names)}."))
    soon = t.filter(pl.col("days_until_full").is_not_null() & (pl.col("days_until_full") > 0)).sort(
        "days_until_full"
    )
    for r in soon.head(3).iter_rows(named=True):
        out.append(("warning", _topic_crossing(r, params)))
    out += disk_sentences(plan, params) + consumer_sentences(plan)
    if not out:
        out.append(("ok", f"Every topic and broker stays within capacity for {params.horizon_days:g} days."))
    return out


def _topic_crossing(r: dict, params: cap.CapacityParams) -> str:
    return (
        f"{r['topic']}: its hottest partition (p{r['hottest']}) reaches the measured "
        f"{_mb(params.producer.bytes_per_s)} per partition in {r['days_until_full']:.0f} days "
        f"({hz.instant(r['full_at'])}); {r['partitions_at_horizon']} partitions keep "
        f"{params.headroom:g}× headroom at the {params.horizon_days:g}-day peak."
    )


def disk_limit(params: cap.CapacityParams) -> float | None:
    """Bytes per broker at the fill target (capacity × fill target), or None without a capacity."""
    return params.broker_disk_bytes * params.fill_target if params.broker_disk_bytes else None


def disk_sentences(plan: cap.CapacityPlan, params: cap.CapacityParams) -> list[Finding]:
    """Per broker: when its disk forecast reaches capacity × fill target, or that it does not."""
    out: list[Finding] = []
    b = plan.brokers
    if params.broker_disk_bytes is None:
        return [("info", "Broker disk capacity unknown (set broker_disk_gb): disk shows need, not headroom.")]
    limit = params.broker_disk_bytes * params.fill_target
    for r in b.iter_rows(named=True):
        used = r["used_bytes"] or 0
        pct = used / params.broker_disk_bytes
        if r["days_until_fill"] == 0:
            out.append(
                (
                    "critical",
                    f"Broker {r['broker']} holds {_gb(used)} ({pct:.0%} of {_gb(params.broker_disk_bytes)}), "
                    f"above the {params.fill_target:.0%} fill target.",
                )
            )
        elif r["days_until_fill"] is not None:
            out.append(
                (
                    "warning",
                    f"Broker {r['broker']} holds {_gb(used)} ({pct:.0%}); its forecast reaches "
                    f"the {params.fill_target:.0%} fill target ({_gb(limit)}) in "
                    f"{r['days_until_fill']:.0f} days "
                    f"({hz.instant(r['fill_at'])}).",
                )
            )
    if not out:
        out.append(
            (
                "ok",
                f"No broker's disk forecast reaches {params.fill_target:.0%} of "
                f"{_gb(params.broker_disk_bytes)} within {params.horizon_days:g} days.",
            )
        )
    return out


def consumer_sentences(plan: cap.CapacityPlan) -> list[Finding]:
    """Groups bound by their own consume rate, and how many instances they need."""
    c = plan.consumers
    if c.is_empty():
        return []
    out: list[Finding] = []
    for r in c.filter(pl.col("bound")).iter_rows(named=True):
        need = r["instances_needed"]
        extra = f"; {need} instances (now {r['members']}) keep up with the forecast peak" if need else ""
        capped = (
            " (capped at the partition count: add partitions too)" if need and need >= r["partitions"] else ""
        )
        out.append(
            (
                "warning",
                f"{r['group']} on {r['topic']} tops out at {hz.rate(r['max_msg_per_s'])} and falls "
                f"{r['behind']:.0%} short of the p99 ingress of its partitions "
                f"({hz.rate(r['p99_in'])}){extra}{capped}.",
            )
        )
    return out


def consumer_findings(plan: cap.CapacityPlan) -> list[Finding]:
    """:func:`consumer_sentences`, or one "ok" line when no group is bound by its consume rate."""
    return consumer_sentences(plan) or [("ok", "No consumer group is bound by its own consume rate.")]


def capacity_note(params: cap.CapacityParams) -> str:
    """Where P and C come from, in one sentence."""
    p, c = params.producer, params.consumer
    text = f"P = {_mb(p.bytes_per_s)} per partition from {p.source}"
    if p.lower_bound:
        text += (
            " (a lower bound: that run kept up with its target rate; 'above tested' means: benchmark higher)"
        )
    text += (
        f"; C = {_mb(c.bytes_per_s)} from {c.source}" if c is not None else "; C unknown (producer side only)"
    )
    return text + "."


def what_if_sentences(plan: cap.CapacityPlan, params: cap.CapacityParams) -> list[str]:
    """The parameters' scenario in sentences: growth, retention, brokers needed per resource."""
    c = plan.cluster
    growth = (
        f"ingress grows {params.growth_per_week:.1%} a week (growth_override)"
        if params.growth_per_week is not None
        else "ingress follows each topic's fitted trend"
    )
    retention = (
        f"every topic keeps {params.retention_override_h:g} h (retention_override_h)"
        if params.retention_override_h
        else "topics keep their configured retention"
    )
    need = {k.removeprefix("brokers_for_"): int(v) for k, v in c.items() if k.startswith("brokers_for_")}
    parts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in need.items())
    return [
        f"Scenario: over {params.horizon_days:g} days {growth}; {retention}; headroom {params.headroom:g}×, "
        f"disk fill target {params.fill_target:.0%}, {params.overhead:.0%} disk overhead.",
        f"Cluster ingress now: {_mb(c['ingress_mean'])} on average, "
        f"{_mb(c['ingress_peak'])} at the topics' p99 "
        f"(summed); at peak the brokers take {_mb(c['nw_in'])} in and send {_mb(c['nw_out'])} out.",
        f"Holding the horizon's retention needs {_gb(c['disk_to_hold'])} over all replicas, "
        f"{_gb(c['disk_to_hold'] / params.fill_target)} of disk at {params.fill_target:.0%} full.",
        f"Brokers needed: {int(c['brokers_needed'])} (by resource: {parts}); "
        f"the cluster has {int(c['brokers_now'])}.",
    ]
