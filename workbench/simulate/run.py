"""``simulate()``: the whole flow. Build the cluster, generate the produce side, then per day
compute commits and write ``offsets``, ``partition_offsets`` and ``collections``."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from workbench.errors import ConfigError
from workbench.schema import ROLLUPS
from workbench.simulate.configs import CONFIG_DATASETS, write_config_history
from workbench.simulate.consumers import commit, plan_groups
from workbench.simulate.incidents import Incident, Timeline
from workbench.simulate.rows import (
    SOURCE,
    Chunk,
    collections_frame,
    offsets_frame,
    partition_offsets_frame,
)
from workbench.simulate.topology import Topology, build_topology
from workbench.simulate.traffic import Clock, log_start, produce
from workbench.store import Store
from workbench.units import parse_duration

#: The default end of the window: fixed, so the same seed always writes the same bytes of data.
DEFAULT_END = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
#: Snapshot interval per scale when none is given.
DEFAULT_INTERVAL = {"full": "1m", "sample": "5m"}
DATASETS = ("offsets", "partition_offsets", "collections")
ROLLUP_DATASETS = tuple(f"{ds}_{r}" for ds in DATASETS[:2] for r in ROLLUPS)
_MAX_CHUNK_ROWS = 6_000_000
_MAX_CELLS = 400_000_000  # snapshots × partitions held in memory as log-end history


@dataclass(frozen=True)
class SimulationSummary:
    """What :func:`simulate` wrote."""

    cluster: str
    scale: str
    seed: int
    data_dir: Path | str
    start: dt.datetime
    last: dt.datetime
    interval_s: int
    snapshots: int
    rows: dict[str, int]
    files: int
    seconds: float
    incidents: list[Incident] = field(default_factory=list)

    def line(self) -> str:
        """A one-line human summary."""
        rows = ", ".join(f"{n:,} {ds}" for ds, n in self.rows.items())
        return (
            f"simulated cluster {self.cluster!r} ({self.scale}, seed {self.seed}): "
            f"{self.snapshots:,} snapshots every {self.interval_s}s "
            f"from {self.start:%Y-%m-%dT%H:%MZ} to {self.last:%Y-%m-%dT%H:%MZ}; "
            f"{rows} rows in {self.files} files, {self.seconds:.1f}s -> {self.data_dir}"
        )


def simulate(
    store_or_dir: Store | str | os.PathLike[str],
    cluster: str = "sample",
    days: float = 7,
    interval: str | float | dt.timedelta | None = None,
    scale: str = "full",
    seed: int = 0,
    end: dt.datetime | str | None = DEFAULT_END,
    force: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    partitions: int | None = None,
    groups: int | None = None,
) -> SimulationSummary:
    """Write a deterministic synthetic history of a Kafka cluster into a data directory; returns a
    :class:`SimulationSummary` (incidents and their times in ``summary.incidents``). Arguments:

        store_or_dir, cluster: a :class:`~workbench.store.Store` or data directory; the cluster name.
        days, end: the window ``[end - days, end)``; ``end`` a UTC datetime, ISO text or ``"now"``.
        interval: between snapshots (``"1m"``, ``"5m"``, seconds; default 1m full, 5m sample).
        scale, partitions, groups: ``"full"`` (~1,000 partitions, 40 groups) or ``"sample"`` (~90, 20);
            resized to about ``partitions`` and exactly ``groups`` (``topology.resized``).
        seed, force: same seed, window and scale give identical data; replace earlier data.
        progress: called after each written chunk with (chunks done, chunks, "N rows").
    """
    began = time.perf_counter()
    store = store_or_dir if isinstance(store_or_dir, Store) else Store(store_or_dir)
    if scale not in DEFAULT_INTERVAL:
        raise ConfigError(f"unknown scale {scale!r}: use one of {', '.join(DEFAULT_INTERVAL)}")
    clock, timeline = make_window(days, interval or DEFAULT_INTERVAL[scale], end)
    topo = build_topology(scale, seed, timeline.growth, partitions, groups)
    if clock.n_steps * topo.n_partitions > _MAX_CELLS:
        raise ConfigError(
            f"window too large ({clock.n_steps:,} snapshots × {topo.n_partitions} partitions): "
            "use fewer --days or a longer --interval"
        )
    clear_cluster(store, cluster, force)
    chunks = day_chunks(clock, max(1, _MAX_CHUNK_ROWS // max(len(topo.gp_group), 1)))
    rows, files = _write_chunks(store, cluster, topo, clock, timeline, seed, chunks, progress)
    config_rows, config_files = write_config_history(store, cluster, topo, timeline)
    rows, files = {**rows, **config_rows}, files + config_files
    return SimulationSummary(
        cluster=cluster,
        scale=scale,
        seed=seed,
        data_dir=store.root,
        start=timeline.start,
        last=timeline.ts(clock.n_steps - 1),
        interval_s=clock.interval_s,
        snapshots=clock.n_steps,
        rows=rows,
        files=files,
        seconds=time.perf_counter() - began,
        incidents=timeline.incidents(),
    )


def _write_chunks(
    store: Store,
    cluster: str,
    topo: Topology,
    clock: Clock,
    timeline: Timeline,
    seed: int,
    chunks: list[tuple[int, int]],
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[dict[str, int], int]:
    """Generate the produce side, then commit and write chunk by chunk. Returns (rows, files)."""
    hist = produce(topo, clock, seed, chunks)
    plan = plan_groups(topo, timeline, hist, seed)
    rows = dict.fromkeys(DATASETS, 0)
    files = 0
    last_commit: np.ndarray | None = None
    for done, (t0, t1) in enumerate(chunks, 1):
        committed = commit(topo, timeline, plan, hist, last_commit, t0, t1, seed)
        last_commit = committed[-1]
        chunk = Chunk(t0, t1, hist.leo[t0:t1], log_start(topo, clock, hist, t0, t1), committed)
        frames = {
            "offsets": offsets_frame(topo, timeline, plan, chunk, cluster),
            "partition_offsets": partition_offsets_frame(topo, timeline, chunk, cluster),
            "collections": collections_frame(topo, timeline, chunk, cluster),
        }
        for name, frame in frames.items():
            files += len(store.append(name, frame))
            rows[name] += frame.height
        if progress is not None:
            progress(done, len(chunks), f"{sum(rows.values()):,} rows")
    return rows, files


def make_window(
    days: float, interval: str | float | dt.timedelta, end: dt.datetime | str | None
) -> tuple[Clock, Timeline]:
    """Validate the window and return its snapshot grid and incident timeline."""
    step = parse_duration(interval, "interval").total_seconds()
    if step < 1 or step != int(step) or step > 86400:
        raise ConfigError(f"bad interval {interval!r}: use whole seconds between 1s and 1d, e.g. 1m or 5m")
    if not days or days <= 0 or days > 366:
        raise ConfigError(f"bad days {days!r}: use a number of days between 1 and 366")
    n_steps = int(days * 86400 // step)
    if n_steps < 2:
        raise ConfigError(f"{days} days at {interval} is fewer than 2 snapshots: use more --days")
    stop = _end_instant(end, int(step))
    start = stop - dt.timedelta(seconds=n_steps * step)
    clock = Clock(start_s=int(start.timestamp()), interval_s=int(step), n_steps=n_steps)
    return clock, Timeline(start=start, interval_s=int(step), n_steps=n_steps)


def _end_instant(end: dt.datetime | str | None, step: int) -> dt.datetime:
    """The window's end: a fixed default, ``"now"`` rounded down to the interval, or ISO text."""
    if end is None:
        return DEFAULT_END
    if isinstance(end, dt.datetime):
        value = end
    elif end.strip().lower() == "now":
        now = int(dt.datetime.now(dt.UTC).timestamp())
        return dt.datetime.fromtimestamp(now // step * step, dt.UTC)
    else:
        try:
            value = dt.datetime.fromisoformat(end.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"bad end {end!r}: use ISO 8601 (2026-11-20T00:00Z) or 'now'") from None
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0)


def day_chunks(clock: Clock, max_steps: int) -> list[tuple[int, int]]:
    """[t0, t1) step ranges that never cross a UTC midnight and hold at most ``max_steps``."""
    days = (clock.start_s + np.arange(clock.n_steps) * clock.interval_s) // 86400
    edges = [0, *(np.flatnonzero(np.diff(days)) + 1).tolist(), clock.n_steps]
    out: list[tuple[int, int]] = []
    for a, b in itertools.pairwise(edges):
        out.extend((s, min(s + max_steps, b)) for s in range(a, b, max_steps))
    return out


def clear_cluster(store: Store, cluster: str, force: bool) -> None:
    """Refuse to mix with existing data for ``cluster``; with ``force``, delete earlier simulated data.

    Data some other source wrote (a collector, an importer) is never deleted.
    """
    present = [ds for ds in DATASETS + CONFIG_DATASETS if cluster in store.clusters(ds)]
    if not present:
        return
    if not force:
        raise ConfigError(
            f"{store.root} already has data for cluster {cluster!r}: pass --force to replace it, "
            "or choose another --cluster or --data-dir"
        )
    for ds in ("offsets", "partition_offsets", *CONFIG_DATASETS):
        if ds in present:
            sources = store.scan(ds, cluster=cluster).select(pl.col("source").unique()).collect()
            others = sorted(s for s in sources["source"].to_list() if s != SOURCE)
            if others:
                raise ConfigError(
                    f"cluster {cluster!r} in {store.root} holds {ds} from {', '.join(map(str, others))}, "
                    "not only simulated data: --force replaces simulated data only; choose another --cluster"
                )
    for ds in (*present, *ROLLUP_DATASETS):  # rollups are derived from the data just deleted
        store.delete_cluster(ds, cluster)
