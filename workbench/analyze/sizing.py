"""Deprecated import path; use :mod:`workbench.analyze.capacity.sizing`. Removed in 0.3."""

from workbench.analyze.capacity.sizing import (
    MB,
    MIB,
    PartitionCapacity,
    bench_capacity,
    brokers_needed,
    cluster_network,
    consumers_needed,
    cruise_control_capacity,
    disk_bytes,
    given_capacity,
    partitions_needed,
)

__all__ = [
    "MB",
    "MIB",
    "PartitionCapacity",
    "bench_capacity",
    "brokers_needed",
    "cluster_network",
    "consumers_needed",
    "cruise_control_capacity",
    "disk_bytes",
    "given_capacity",
    "partitions_needed",
]
