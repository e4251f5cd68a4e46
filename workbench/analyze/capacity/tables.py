"""The capacity report's tables: display columns with units, formulas, cluster totals, and the
Cruise Control ``capacity.json``. Computed from the plan; the notebook only shows them through
:mod:`workbench.report.notebook`'s escaping helpers.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from workbench import units
from workbench.analyze.capacity import plan as cap
from workbench.analyze.capacity import sizing as sz
from workbench.analyze.capacity.findings import GIVEN, capacity_basis, given_disk, given_nic
from workbench.errors import ConfigError


def formula_table(params: cap.CapacityParams) -> pl.DataFrame:
    """The formulas with this report's inputs and units."""
    o, f, h = params.overhead, params.fill_target, params.headroom
    growth = "none" if params.growth_per_week is None else f"{params.growth_per_week:g} per week"
    rows = [
        (
            "partitions",
            "ceil(max(T/P, T/C) × headroom)",
            f"T topic p99 ingress, P and C per partition (MiB/s); headroom {h:g}",
        ),
        ("utilization", "T × skew ÷ partitions ÷ P", "skew = hottest ÷ mean partition rate"),
        (
            "bytes per message",
            "Σ(Δsize + Δlog_start × size/retained msgs) ÷ Σ Δlog_end",
            "log-dir sizes vs offsets, per partition",
        ),
        (
            "disk per replica",
            f"mean ingress (B/s) × retention (s) × (1 + {o:g})",
            "compacted or unlimited topics: bytes on disk now",
        ),
        ("disk to provision", f"Σ replicas on the broker ÷ {f:g} (fill target)", "GiB"),
        (
            "NW_IN per broker",
            "Σ peak ingress of every replica it holds",
            "leader: producers; follower: replica fetches",
        ),
        ("NW_OUT per broker", "Σ over partitions it leads: peak × (RF − 1 + consumer groups)", "MiB/s"),
        ("consumer instances", "ceil(peak × headroom ÷ (max consume rate ÷ members)), ≤ partitions", "msg/s"),
        (
            "forecast",
            "least squares: level + trend + seasonal profile; band ± 1.96 σ √(1 + leverage)",
            f"horizon {params.horizon_days:g} days; growth override {growth}",
        ),
        ("brokers", f"max(disk ÷ (capacity × {f:g}), NW ÷ (NIC × 0.8), largest RF)", "per resource"),
    ]
    return pl.DataFrame(rows, schema=["quantity", "formula", "inputs and units"], orient="row")


TOPIC_FORMATS = {
    "partitions": ",",
    "MiB/s mean": ",.2f",
    "MiB/s p99": ",.2f",
    "MiB/s forecast": ",.2f",
    "msg/s p99": ",.0f",
    "B/msg": ",.0f",
    "skew": ".2f",
    "capacity MiB/s": ",.2f",
    "util %": ",.0f",
    "days to full": ",.0f",
    "partitions needed now": ",",
    "partitions needed at horizon": ",",
}


def topic_display(topics: pl.DataFrame) -> pl.DataFrame:
    """The headroom table with report column names (MiB = 2²⁰ bytes)."""
    mb = 1 / units.MIB
    return topics.select(
        "topic",
        "partitions",
        (pl.col("p99_msg_per_s")).alias("msg/s p99"),
        pl.col("bytes_per_msg").alias("B/msg"),
        (pl.col("mean_bytes_per_s") * mb).alias("MiB/s mean"),
        (pl.col("p99_bytes_per_s") * mb).alias("MiB/s p99"),
        (pl.col("forecast_peak_bytes_per_s") * mb).alias("MiB/s forecast"),
        "skew",
        (pl.col("capacity_bytes_per_s") * mb).alias("capacity MiB/s"),
        (pl.col("utilization") * 100).alias("util %"),
        "status",
        pl.col("days_until_full").alias("days to full"),
        pl.col("partitions_now").alias("partitions needed now"),
        pl.col("partitions_at_horizon").alias("partitions needed at horizon"),
    )


def broker_display(brokers: pl.DataFrame) -> pl.DataFrame:
    """The per-broker table: bytes (shown in IEC units by the report's tables) and MiB/s."""
    return brokers.select(
        "broker",
        "replicas",
        "leaders",
        pl.col("used_bytes"),
        pl.col("retention_bytes").alias("retention_now_bytes"),
        pl.col("retention_bytes_horizon").alias("retention_at_horizon_bytes"),
        pl.col("disk_needed").alias("to_provision_bytes"),
        (pl.col("nw_in") / units.MIB).alias("NW in MiB/s"),
        (pl.col("nw_out") / units.MIB).alias("NW out MiB/s"),
        pl.col("days_until_fill").alias("days to fill target"),
    )


def consumer_display(consumers: pl.DataFrame) -> pl.DataFrame:
    """The consumer table."""
    if consumers.is_empty():
        return consumers
    return consumers.select(
        "group",
        "topic",
        "members",
        "partitions",
        pl.col("max_msg_per_s").alias("max consume msg/s"),
        pl.col("p99_in").alias("ingress p99 msg/s"),
        pl.col("forecast_peak_msg_per_s").alias("forecast peak msg/s"),
        "state",
        pl.col("instances_needed").alias("instances needed"),
    )


def figures(plan: cap.CapacityPlan, params: cap.CapacityParams) -> list[dict[str, Any]]:
    """Inputs and cluster totals: ``quantity, value, unit, basis, given`` (basis: measured / given
    by you / assumed / unknown; given: the parameter as the user gave it, in its own units), in
    IEC units, for the what-if table and the report's JSON."""
    c, consumer = plan.cluster, params.consumer
    measured = "measured"
    p_given = _given_rate(params.producer)
    c_given = _given_rate(consumer)
    rows = [
        ("P: producer throughput per partition", params.producer.bytes_per_s, units.MIB, "MiB/s",
         capacity_basis(params.producer), p_given),
        ("C: consumer throughput per partition", consumer.bytes_per_s if consumer else None, units.MIB,
         "MiB/s", capacity_basis(consumer), c_given),
        ("broker disk capacity", params.broker_disk_bytes, units.GIB, "GiB", params.disk_basis,
         given_disk(params)),
        ("broker NIC capacity", params.broker_nic_bytes_per_s, units.MIB, "MiB/s", params.nic_basis,
         given_nic(params)),
        ("disk overhead", params.overhead * 100, 1.0, "%", "assumed", ""),
        ("cluster ingress, mean", c.get("ingress_mean"), units.MIB, "MiB/s", measured, ""),
        ("cluster ingress, Σ topic p99", c.get("ingress_peak"), units.MIB, "MiB/s", measured, ""),
        ("NW_IN at peak, all brokers", c.get("nw_in"), units.MIB, "MiB/s", measured, ""),
        ("NW_OUT at peak, all brokers", c.get("nw_out"), units.MIB, "MiB/s", measured, ""),
        ("bytes to hold at the horizon", c.get("disk_to_hold"), units.GIB, "GiB", measured, ""),
    ]  # fmt: skip
    return [
        {
            "quantity": q,
            "value": None if v is None else v / unit,
            "unit": u,
            "basis": b if v is not None else "unknown",
            "given": g.removeprefix(": ") or None,
        }
        for q, v, unit, u, b, g in rows
    ]


def _given_rate(capacity: sz.PartitionCapacity | None) -> str:
    """``": 5 MB/s"`` for a P or C given as a parameter, else ``""``."""
    if capacity_basis(capacity) != GIVEN or capacity is None or capacity.bytes_per_s is None:
        return ""
    return f": {capacity.bytes_per_s / sz.MB:g} MB/s"


#: The columns of :func:`figures` (value in the unit of ``unit``; ``given`` null unless a parameter).
FIGURE_SCHEMA = {
    "quantity": pl.String,
    "value": pl.Float64,
    "unit": pl.String,
    "basis": pl.String,
    "given": pl.String,
}


def cluster_table(plan: cap.CapacityPlan, params: cap.CapacityParams) -> pl.DataFrame:
    """:func:`figures` as a table (for the what-if section)."""
    return pl.DataFrame(figures(plan, params), schema=FIGURE_SCHEMA)


def partition_recommendations(topics: pl.DataFrame) -> pl.DataFrame:
    """Topics whose partitions-needed (now or at the horizon) exceed their partition count."""
    return topics.filter(
        pl.col("partitions_at_horizon").is_not_null()
        & (pl.col("partitions_at_horizon") > pl.col("partitions"))
    ).select(
        "topic",
        "partitions",
        pl.col("partitions_now").alias("needed now"),
        pl.col("partitions_at_horizon").alias("needed at horizon"),
        "status",
        "skew",
    )


def cruise_control_json(
    plan: cap.CapacityPlan, inputs: cap.CapacityInputs, params: cap.CapacityParams
) -> dict[str, Any]:
    """``capacity.json`` for Cruise Control from the brokers, their log dirs and the capacity parameters."""
    missing = [
        name
        for name, value in (
            (
                "broker disk capacity (broker_disk_gb, or log-dir volume sizes from Kafka 3.3+)",
                params.broker_disk_bytes,
            ),
            ("broker NIC capacity (broker_nic_mb_s)", params.broker_nic_bytes_per_s),
        )
        if value is None
    ]
    if missing:
        raise ConfigError(
            f"Cruise Control capacity.json needs measured or given values; unknown: {'; '.join(missing)}"
        )
    disk, nic = params.broker_disk_bytes, params.broker_nic_bytes_per_s
    assert disk is not None and nic is not None  # checked above
    dirs: dict[int, list[str]] = {}
    if inputs.log_dirs.height:
        last = inputs.log_dirs.filter(pl.col("ts") == inputs.log_dirs["ts"].max())
        for broker, frame in last.group_by("broker"):
            dirs[int(broker[0])] = sorted(frame["log_dir"].unique().to_list())
    doc = (
        f"disk {units.bytes_iec(disk)} ({params.disk_basis}{given_disk(params)}), "
        f"NIC {units.rate_iec(nic)} ({params.nic_basis}{given_nic(params)}) per broker"
    )
    measured = sz.measured_disks(inputs.volumes) if params.disk_basis == "measured" else {}
    return sz.cruise_control_capacity(
        inputs.brokers,
        dirs,
        disk,
        nic,
        nic,
        doc=doc,
        measured=measured,
    )


def cruise_control_or_missing(
    plan: cap.CapacityPlan, inputs: cap.CapacityInputs, params: cap.CapacityParams
) -> dict[str, Any] | str:
    """:func:`cruise_control_json`, or the one sentence naming the unknown value it needs."""
    try:
        return cruise_control_json(plan, inputs, params)
    except ConfigError as exc:
        return f"No capacity.json: {exc}."


BROKER_FORMATS = {
    c: ",.0f"
    for c in (
        "NW in MiB/s",
        "NW out MiB/s",
        "days to fill target",
    )
}
CONSUMER_FORMATS = {"max consume msg/s": ",.0f", "ingress p99 msg/s": ",.0f", "forecast peak msg/s": ",.0f"}
SKEW_FORMATS = {"mean_msg_per_s": ",.1f", "hottest_msg_per_s": ",.1f", "skew": ".2f"}
