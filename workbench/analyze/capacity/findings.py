"""What the capacity report shows: its inputs, parameters and sentences (pure; loading is in
:mod:`workbench.frames.capacity` and :mod:`workbench.frames.bench`).

The notebook (``notebooks/capacity.ipynb``) only calls these. Every sentence is computed from
the plan; text from the cluster (topic and group names) reaches the page through
:mod:`workbench.report.notebook`'s escaping helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from workbench import units
from workbench.analyze.capacity import plan as cap
from workbench.analyze.capacity import sizing as sz
from workbench.analyze.config.history import topic_table
from workbench.analyze.config.model import ConfigView
from workbench.analyze.latency.percentiles import run_summary
from workbench.errors import ConfigError

if TYPE_CHECKING:
    from workbench.frames.capacity import CapacityFrames

Finding = tuple[str, str]


def capacity_inputs(frames: CapacityFrames) -> cap.CapacityInputs:
    """The plan's inputs from the stored frames (:func:`workbench.frames.capacity.load_capacity_frames`):
    the newest config snapshot's topics and placement, the brokers."""
    view = ConfigView.of(frames.newest)
    brokers = sorted(int(b) for b in frames.newest["brokers"]["broker_id"].to_list())
    return cap.CapacityInputs(
        frames.partition_offsets,
        pl.DataFrame(),
        frames.log_dirs,
        topic_table(view),
        frames.newest["topic_partitions"],
        brokers,
        frames.volumes,
        frames.size_marks,
    )


def measured_disk(inputs: cap.CapacityInputs) -> float | None:
    """The smallest broker's disk (Σ total bytes of its log-dir volumes, DescribeLogDirs v4) when every
    broker reported one; None otherwise (then only a given ``broker_disk_gb`` counts)."""
    v = inputs.volumes
    if v is None or v.is_empty() or v["total_bytes"].null_count():
        return None
    per = v.unique(["broker", "log_dir"]).group_by("broker").agg(pl.col("total_bytes").sum())
    if set(per["broker"].to_list()) < set(inputs.brokers):
        return None
    return float(per["total_bytes"].min())  # type: ignore[arg-type]


def bench_capacities(
    bench: tuple[pl.DataFrame, pl.DataFrame] | None,
    producer_mb_s: float | None,
    consumer_mb_s: float | None,
) -> tuple[sz.PartitionCapacity, sz.PartitionCapacity | None]:
    """P and C per partition: the parameters when given, else the best of the benchmark runs
    ``bench`` (runs and intervals, from :func:`workbench.frames.bench.load_capacity_runs`)."""
    p_name, c_name = "producer_mb_s_per_partition", "consumer_mb_s_per_partition"
    try:
        producer = sz.given_capacity(_float(p_name, producer_mb_s), p_name)
        consumer = sz.given_capacity(_float(c_name, consumer_mb_s), c_name)
    except ValueError as exc:
        raise ConfigError(f"parameter {exc}") from None
    if producer is not None and consumer is not None:
        return producer, consumer
    if bench is None:
        return producer or sz.PartitionCapacity(None, None, "no benchmark runs"), consumer
    runs, intervals = bench
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
    measured_disk_bytes: float | None = None,
) -> cap.CapacityParams:
    """Check the report parameters (errors name them) and build :class:`CapacityParams`. A measured
    disk size (:func:`measured_disk`) wins over ``broker_disk_gb``, which counts only without one."""
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
    for name, given in (("broker_disk_gb", broker_disk_gb), ("broker_nic_mb_s", broker_nic_mb_s)):
        if given is not None and given <= 0:
            raise ConfigError(f"parameter {name}: must be positive (leave it out when unknown)")
    return cap.CapacityParams(
        producer,
        consumer,
        horizon_days,
        headroom,
        growth_override,
        retention_override_h,
        fill_target,
        broker_disk_bytes=measured_disk_bytes or (broker_disk_gb * sz.GB if broker_disk_gb else None),
        broker_nic_bytes_per_s=broker_nic_mb_s * sz.MB if broker_nic_mb_s else None,
        disk_basis="measured" if measured_disk_bytes else (GIVEN if broker_disk_gb else "unknown"),
        nic_basis=GIVEN if broker_nic_mb_s else "unknown",
    )


GIVEN = "given by you"


def given_disk(params: cap.CapacityParams) -> str:
    """``": 1000 GB"`` when the disk capacity is the user's ``broker_disk_gb``, else ``""``."""
    given = params.broker_disk_bytes if params.disk_basis == GIVEN else None
    return "" if given is None else f": {given / sz.GB:g} GB"


def given_nic(params: cap.CapacityParams) -> str:
    """``": 125 MB/s"`` when the NIC capacity is the user's ``broker_nic_mb_s``, else ``""``."""
    given = params.broker_nic_bytes_per_s if params.nic_basis == GIVEN else None
    return "" if given is None else f": {given / sz.MB:g} MB/s"


def capacity_basis(capacity: sz.PartitionCapacity | None) -> str:
    """Where P or C comes from: ``given by you``, ``measured`` (a benchmark run) or ``unknown``."""
    if capacity is None or not capacity.known:
        return "unknown"
    return GIVEN if capacity.source.startswith("parameter ") else "measured"


def _float(name: str, value: object) -> float | None:
    """An optional numeric parameter (papermill may pass text); ConfigError naming it otherwise."""
    if value is None:
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"parameter {name}: {value!r} is not a number") from None


def _mb(v: float | None) -> str:
    return units.rate_iec(v)


def _gb(v: float | None) -> str:
    return units.bytes_iec(v) if v is not None else "unknown"  # one unit system: IEC, as every report


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


def _topic_crossing(r: dict[str, Any], params: cap.CapacityParams) -> str:
    return (
        f"{r['topic']}: its hottest partition (p{r['hottest']}) reaches the measured "
        f"{_mb(params.producer.bytes_per_s)} per partition in {r['days_until_full']:.0f} days "
        f"({units.instant(r['full_at'])}); {r['partitions_at_horizon']} partitions keep "
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
        return [
            (
                "info",
                "Broker disk capacity unknown (not measured: collect log dirs from Kafka 3.3+, "
                "or set broker_disk_gb): no disk verdict, the table shows need, not headroom.",
            )
        ]
    limit = params.broker_disk_bytes * params.fill_target
    basis = f" ({params.disk_basis}{given_disk(params)})"
    for r in b.iter_rows(named=True):
        used = r["used_bytes"] or 0
        pct = used / params.broker_disk_bytes
        if r["days_until_fill"] == 0:
            out.append(
                (
                    "critical",
                    f"Broker {r['broker']} holds {_gb(used)} "
                    f"({pct:.0%} of {_gb(params.broker_disk_bytes)}{basis}), "
                    f"above the {params.fill_target:.0%} fill target.",
                )
            )
        elif r["days_until_fill"] is not None:
            out.append(
                (
                    "warning",
                    f"Broker {r['broker']} holds {_gb(used)} ({pct:.0%}); its forecast reaches "
                    f"the {params.fill_target:.0%} fill target ({_gb(limit)}{basis}) in "
                    f"{r['days_until_fill']:.0f} days "
                    f"({units.instant(r['fill_at'])}).",
                )
            )
    if not out and plan.disk_forecasts is None:
        used = max((r["used_bytes"] or 0 for r in b.iter_rows(named=True)), default=0)
        out.append(
            (
                "info",
                f"No disk forecast yet (too little history): the fullest broker holds {_gb(used)} of "
                f"{_gb(params.broker_disk_bytes)}{basis}; "
                f"no verdict on the {params.horizon_days:g} days ahead.",
            )
        )
    if not out:
        out.append(
            (
                "ok",
                f"No broker's disk forecast reaches {params.fill_target:.0%} of "
                f"{_gb(params.broker_disk_bytes)}{basis} within {params.horizon_days:g} days.",
            )
        )
    return out


def consumer_sentences(plan: cap.CapacityPlan) -> list[Finding]:
    """Groups bound by their own consume rate, and how many instances they need."""
    c = plan.consumers
    if c.is_empty():
        return []
    out: list[Finding] = []
    for r in c.filter(pl.col("state") == "stopped").iter_rows(named=True):
        out.append(
            (
                "info",
                f"{r['group']} on {r['topic']} is stopped (no members, no progress in the newest "
                "interval): its consume rate says nothing about capacity.",
            )
        )
    for r in c.filter(pl.col("bound")).iter_rows(named=True):
        need = r["instances_needed"]
        extra = f"; {need} instances (now {r['members']}) keep up with the forecast peak" if need else ""
        capped = (
            " (capped at the partition count: add partitions too)" if need and need >= r["partitions"] else ""
        )
        out.append(
            (
                "warning",
                f"{r['group']} on {r['topic']} tops out at {units.rate(r['max_msg_per_s'])} and falls "
                f"{r['behind']:.0%} short of the p99 ingress of its partitions "
                f"({units.rate(r['p99_in'])}){extra}{capped}.",
            )
        )
    return out


def consumer_findings(plan: cap.CapacityPlan) -> list[Finding]:
    """:func:`consumer_sentences`, or one "ok" line when no group is bound by its consume rate."""
    return consumer_sentences(plan) or [("ok", "No consumer group is bound by its own consume rate.")]


def section_notes(plan: cap.CapacityPlan, section: str) -> list[str]:
    """The sentence saying a section has too little data (or a shortened horizon), if any."""
    if section == "ingress" and plan.topic_rates.is_empty():
        return ["No ingress rates yet: they need two offset snapshots of a topic."]
    note = plan.notes.get(section)
    return [note] if note else []


def bench_runs_considered(
    runs: pl.DataFrame, cluster: str, run_ids: list[str] | None, params: cap.CapacityParams
) -> pl.DataFrame:
    """Every stored benchmark run and why it gave P or C or was skipped (other cluster, not in
    ``bench_run_ids``, no partition count, a given value instead, not the best run of its kind)."""
    schema = {
        "run": pl.String,
        "cluster": pl.String,
        "kind": pl.String,
        "partitions": pl.Int64,
        "verdict": pl.String,
    }
    if runs.is_empty():
        return pl.DataFrame(schema=schema)
    sources = {"producer": params.producer, "consumer": params.consumer}
    rows = []
    for r in runs.sort("ts").iter_rows(named=True):
        rows.append(
            {
                "run": r["run_id"],
                "cluster": r["cluster"],
                "kind": r["kind"],
                "partitions": r["partitions"],
                "verdict": _run_verdict(r, cluster, run_ids, sources.get(str(r["kind"]))),
            }
        )
    return pl.DataFrame(rows, schema=schema)


def _run_verdict(
    r: dict[str, Any], cluster: str, run_ids: list[str] | None, used: sz.PartitionCapacity | None
) -> str:
    """Why one run gave a per-partition capacity or not, in a few words."""
    letter = "P" if r["kind"] == "producer" else "C"
    if r["cluster"] != cluster:
        return f"skipped: other cluster ({r['cluster']})"
    if run_ids is not None and r["run_id"] not in run_ids:
        return "skipped: not in bench_run_ids"
    if r["kind"] not in ("producer", "consumer"):
        return f"skipped: a {r['kind']} run gives no throughput per partition"
    if not r["partitions"]:
        return "skipped: no partition count (import perf-test runs with --partitions)"
    if used is not None and capacity_basis(used) == GIVEN:
        return f"not used: {letter} given by you"
    if used is not None and f"run {r['run_id']} (" in used.source:
        return f"used: gives {letter}"
    return f"not used: a faster {r['kind']} run gives {letter}"


def capacity_note(params: cap.CapacityParams) -> str:
    """Where P and C come from, in one sentence."""
    p, c = params.producer, params.consumer
    text = f"P = {_mb(p.bytes_per_s)} per partition ({capacity_basis(p)}) from {p.source}"
    if p.lower_bound:
        text += (
            " (a lower bound: that run kept up with its target rate; 'above tested' means: benchmark higher)"
        )
    text += (
        f"; C = {_mb(c.bytes_per_s)} ({capacity_basis(c)}) from {c.source}"
        if c is not None
        else "; C unknown (producer side only)"
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
