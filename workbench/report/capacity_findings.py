"""Deprecated import path; use :mod:`workbench.analyze.capacity`. Removed in 0.3."""

from __future__ import annotations

import os
from collections.abc import Sequence

from workbench.analyze.capacity import CapacityInputs, PartitionCapacity
from workbench.analyze.capacity import findings as _findings
from workbench.analyze.capacity.findings import (
    Finding,
    capacity_note,
    consumer_findings,
    consumer_sentences,
    disk_limit,
    disk_sentences,
    headline,
    make_params,
    what_if_sentences,
)
from workbench.analyze.capacity.sizing import GB
from workbench.frames.bench import load_capacity_runs
from workbench.frames.capacity import load_capacity_frames


def load_inputs(
    data_dir: str | os.PathLike[str], cluster: str | None = None, since: str | None = "7d"
) -> tuple[str, CapacityInputs]:
    """The old signature: the cluster name and the plan's inputs."""
    frames = load_capacity_frames(data_dir, cluster, since)
    return frames.cluster, _findings.capacity_inputs(frames)


def bench_capacities(
    data_dir: str | os.PathLike[str],
    cluster: str,
    run_ids: str | Sequence[str] | None,
    producer_mb_s: float | None,
    consumer_mb_s: float | None,
) -> tuple[PartitionCapacity, PartitionCapacity | None]:
    """The old signature: P and C from the parameters or the stored benchmark runs."""
    bench = load_capacity_runs(data_dir, cluster, run_ids)
    return _findings.bench_capacities(bench, producer_mb_s, consumer_mb_s)


__all__ = [
    "GB",
    "Finding",
    "bench_capacities",
    "capacity_note",
    "consumer_findings",
    "consumer_sentences",
    "disk_limit",
    "disk_sentences",
    "headline",
    "load_inputs",
    "make_params",
    "what_if_sentences",
]
