"""Benchmark runs from the store: the selected ``bench_runs`` and their ``bench_intervals``."""

from __future__ import annotations

import os
from collections.abc import Sequence

import polars as pl

from workbench.errors import ConfigError, NotFoundError
from workbench.store import Store

__all__ = ["LATENCIES", "load_capacity_runs", "load_runs", "split_ids"]

#: The latency kinds a benchmark interval records (``none``: throughput only), and ``auto``:
#: per run, intended-to-ack when the run was open-loop, else send-to-ack (else end-to-end).
LATENCIES = (
    "auto", "send_to_ack", "intended_to_ack", "schedule_delay", "end_to_end", "intended_end_to_end", "none",
)  # fmt: skip


def split_ids(value: str | Sequence[str] | None) -> list[str] | None:
    """Run ids from a list or a comma-separated string (None or empty: all)."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    return [i.strip() for i in items if i.strip()] or None


def load_runs(
    data_dir: str | os.PathLike[str],
    cluster: str | None = None,
    run_ids: str | Sequence[str] | None = None,
    sweep: str | None = None,
    latency: str = "auto",
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The selected ``bench_runs`` and their ``bench_intervals`` (``run_ids``: a list or a
    comma-separated string; ``sweep``: a sweep id). Errors name the bad parameter."""
    if latency not in LATENCIES:
        raise ConfigError(f"parameter latency: {latency!r} is not one of {', '.join(LATENCIES)}")
    store = Store(data_dir)
    runs = store.read("bench_runs", cluster=cluster)
    wanted = split_ids(run_ids)
    if wanted is not None:
        missing = sorted(set(wanted) - set(runs["run_id"].to_list()))
        if missing:
            raise NotFoundError(f"parameter run_ids: no run {', '.join(missing)} in {data_dir}")
        runs = runs.filter(pl.col("run_id").is_in(wanted))
    if sweep is not None:
        runs = runs.filter(pl.col("sweep_id") == sweep)
    if runs.is_empty():
        raise NotFoundError(
            f"no benchmark runs selected in {data_dir}: run `workbench bench` or `workbench import`"
        )
    intervals = store.read("bench_intervals", cluster=cluster).filter(pl.col("run_id").is_in(runs["run_id"]))
    return runs.sort("ts"), intervals


def load_all_runs(data_dir: str | os.PathLike[str]) -> pl.DataFrame:
    """Every stored benchmark run of every cluster (``bench_runs`` rows), for the capacity report's
    list of runs it considered."""
    store = Store(data_dir)
    frames = [store.read("bench_runs", cluster=c) for c in store.clusters("bench_runs")]
    return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()


def load_capacity_runs(
    data_dir: str | os.PathLike[str], cluster: str, run_ids: str | Sequence[str] | None
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The capacity report's benchmark runs (``bench_run_ids``, or every run of ``cluster``) and
    their intervals; None when the cluster has no runs."""
    store = Store(data_dir)
    runs = store.read("bench_runs", cluster=cluster) if cluster in store.clusters("bench_runs") else None
    wanted = split_ids(run_ids)
    if runs is not None and wanted is not None:
        missing = sorted(set(wanted) - set(runs["run_id"].to_list()))
        if missing:
            raise NotFoundError(f"parameter bench_run_ids: no run {', '.join(missing)} in {data_dir}")
        runs = runs.filter(pl.col("run_id").is_in(wanted))
    if runs is None or runs.is_empty():
        return None
    intervals = store.read("bench_intervals", cluster=cluster).filter(pl.col("run_id").is_in(runs["run_id"]))
    return runs, intervals
