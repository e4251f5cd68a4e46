"""Sizing math: partitions, consumers, disk, network, brokers (docs/capacity-sizing.md §1).

Units, everywhere: bytes and bytes per second (``MB`` in parameter names is 10⁶ bytes, the unit
of the published examples; figures are shown in IEC units by :mod:`workbench.units`), messages
per second, seconds; ``headroom`` and ``overhead`` are factors.
The formulas, with worked examples, are in docs/capacity-sizing.md §1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from workbench import units

MB = units.MB  # parameters only (``*_mb_s``); shown figures are IEC
GB = units.GB  # parameters only (``broker_disk_gb``)
MIB = units.MIB


def partitions_needed(
    target: float,
    producer_per_partition: float,
    consumer_per_partition: float | None = None,
    headroom: float = 1.0,
) -> int:
    """``ceil(max(T/P, T/C) × headroom)``, at least 1. ``C`` None: the producer side alone."""
    if producer_per_partition <= 0 or (consumer_per_partition is not None and consumer_per_partition <= 0):
        raise ValueError("per-partition throughput must be positive")
    ratio = target / producer_per_partition
    if consumer_per_partition is not None:
        ratio = max(ratio, target / consumer_per_partition)
    return max(1, math.ceil(round(ratio * headroom, 9)))


def disk_bytes(
    ingress_bytes_per_s: float,
    retention_s: float,
    replication: int,
    overhead: float = 0.15,
    fill_target: float = 1.0,
) -> float:
    """Disk to provision, bytes: ``ingress × retention × RF × (1 + overhead) / fill_target``."""
    if not 0 < fill_target <= 1:
        raise ValueError("fill_target must be in (0, 1]")
    return ingress_bytes_per_s * retention_s * replication * (1 + overhead) / fill_target


def cluster_network(
    ingress_bytes_per_s: float, replication: int, consumer_groups: int
) -> tuple[float, float]:
    """``(NW_IN, NW_OUT)`` of the whole cluster in bytes/s for one topic's ingress."""
    nw_in = ingress_bytes_per_s * replication
    nw_out = ingress_bytes_per_s * (replication - 1) + ingress_bytes_per_s * consumer_groups
    return nw_in, nw_out


def consumers_needed(target: float, per_instance: float, partitions: int, headroom: float = 1.0) -> int:
    """``ceil(T × headroom / per_instance)`` consumer instances, at least 1, at most ``partitions``."""
    if per_instance <= 0:
        raise ValueError("per-instance consume rate must be positive")
    return min(max(1, math.ceil(round(target * headroom / per_instance, 9))), max(partitions, 1))


def brokers_needed(
    disk_total: float,
    disk_per_broker: float | None,
    fill_target: float,
    nw_in: float,
    nw_out: float,
    nic_per_broker: float | None,
    nw_threshold: float = 0.8,
    min_brokers: int = 1,
) -> dict[str, int]:
    """Brokers for disk (at ``fill_target``), inbound and outbound network (at ``nw_threshold``, Cruise
    Control's default 0.8), and ``min_brokers`` (the largest RF). Bytes and bytes/s; a capacity of
    None leaves its line out. Key ``brokers`` is the maximum."""
    out = {"replication": min_brokers}
    if disk_per_broker:
        out["disk"] = math.ceil(disk_total / (disk_per_broker * fill_target))
    if nic_per_broker:
        out["network_in"] = math.ceil(nw_in / (nic_per_broker * nw_threshold))
        out["network_out"] = math.ceil(nw_out / (nic_per_broker * nw_threshold))
    out["brokers"] = max(out.values())
    return out


# -- measured per-partition capacity from benchmark runs ----------------------------------------
@dataclass(frozen=True)
class PartitionCapacity:
    """Throughput one partition sustains: ``bytes_per_s`` and ``records_per_s`` (None: unknown).

    ``lower_bound`` is true when the best run kept up with its target rate (an open-loop run that
    is not saturated shows only that the partition can do *at least* this much).
    """

    bytes_per_s: float | None
    records_per_s: float | None
    source: str
    lower_bound: bool = False

    @property
    def known(self) -> bool:
        """A byte rate is available."""
        return self.bytes_per_s is not None and self.bytes_per_s > 0


def bench_capacity(summary: pl.DataFrame, runs: pl.DataFrame, kind: str = "producer") -> PartitionCapacity:
    """The best per-partition throughput among benchmark runs of ``kind``.

    ``summary`` is :func:`workbench.analyze.latency.run_summary` (``records_per_s``, ``mb_per_s``
    in MiB/s); ``runs`` the ``bench_runs`` rows (``partitions``, ``target_throughput``). A run is
    saturated when it has no target or achieved less than 95 % of it.
    """
    rows = summary.join(runs.select("run_id", "partitions", "target_throughput"), on="run_id").filter(
        (pl.col("kind") == kind) & (pl.col("partitions") > 0) & pl.col("mb_per_s").is_not_null()
    )
    if rows.is_empty():
        return PartitionCapacity(None, None, f"no {kind} benchmark runs")
    rows = rows.with_columns(
        bps=pl.col("mb_per_s") * MIB / pl.col("partitions"),
        rps=pl.col("records_per_s") / pl.col("partitions"),
        saturated=pl.col("target_throughput").is_null()
        | (pl.col("target_throughput") <= 0)
        | (pl.col("records_per_s") < 0.95 * pl.col("target_throughput")),
    ).sort("bps", descending=True)
    best = rows.row(0, named=True)
    source = f"{kind} run {best['run_id']} ({best['label']}, {best['partitions']} partitions)"
    return PartitionCapacity(best["bps"], best["rps"], source, lower_bound=not best["saturated"])


def given_capacity(mb_per_s: float | None, what: str) -> PartitionCapacity | None:
    """A capacity from a report parameter in MB/s per partition, or None when not given."""
    if mb_per_s is None:
        return None
    if mb_per_s <= 0:
        raise ValueError(f"{what} must be positive (MB/s per partition)")
    return PartitionCapacity(mb_per_s * MB, None, f"parameter {what} = {units.given_iec(mb_per_s, 'MB/s')}")


def cruise_control_capacity(
    brokers: list[int],
    log_dirs: dict[int, list[str]] | None,
    disk_bytes_per_broker: float,
    nw_in_bytes_per_s: float,
    nw_out_bytes_per_s: float,
    cpu_percent: float = 100.0,
    doc: str = "",
    measured: dict[int, dict[str, float]] | None = None,
) -> dict[str, Any]:
    """A Cruise Control ``capacity.json``: ``{"brokerCapacities": [...]}``, a default entry
    (``brokerId`` ``"-1"``) and one per broker. DISK in MB, NW_IN/NW_OUT in KB/s, as Cruise
    Control counts them (MB = 2²⁰ bytes, KB = 2¹⁰ bytes); CPU in percent. A broker with several
    log dirs (JBOD) gets DISK as ``{log_dir: MB}`` with the capacity split evenly, or with each
    dir's measured volume when ``measured`` ({broker: {log_dir: bytes}}) has the broker."""

    measured = measured or {}

    def entry(broker: str, dirs: list[str] | None) -> dict[str, Any]:
        disk_mb = disk_bytes_per_broker / MIB
        disk: object = f"{disk_mb:.0f}"
        per_dir = measured.get(int(broker))
        if per_dir:  # the broker's own volumes: one value, or one per log dir (JBOD)
            mb = {d: f"{b / MIB:.0f}" for d, b in sorted(per_dir.items())}
            disk = mb if len(mb) > 1 else next(iter(mb.values()))
        elif dirs and len(dirs) > 1:
            disk = {d: f"{disk_mb / len(dirs):.0f}" for d in sorted(dirs)}
        capacity = {
            "DISK": disk,
            "CPU": f"{cpu_percent:g}",
            "NW_IN": f"{nw_in_bytes_per_s / 1024:.0f}",
            "NW_OUT": f"{nw_out_bytes_per_s / 1024:.0f}",
        }
        note = doc or "exported by kafka-capacity-workbench"
        return {"brokerId": broker, "capacity": capacity, "doc": f"{note}; broker {broker}"}

    dirs = log_dirs or {}
    items = [entry("-1", None)] + [entry(str(b), dirs.get(b)) for b in sorted(brokers)]
    items[0]["doc"] = "default for brokers not listed; " + (doc or "exported by kafka-capacity-workbench")
    return {"brokerCapacities": items}


def measured_disks(volumes: pl.DataFrame | None) -> dict[int, dict[str, float]]:
    """{broker: {log_dir: volume total bytes}} from ``log_dir_volumes`` rows (unknown sizes left out)."""
    if volumes is None or volumes.is_empty():
        return {}
    out: dict[int, dict[str, float]] = {}
    known = volumes.filter(pl.col("total_bytes").is_not_null()).unique(["broker", "log_dir"], keep="last")
    for broker, log_dir, total in known.select("broker", "log_dir", "total_bytes").iter_rows():
        out.setdefault(int(broker), {})[str(log_dir)] = float(total)
    return out
