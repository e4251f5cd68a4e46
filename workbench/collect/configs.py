"""One config-health snapshot: cluster, brokers, broker and topic configs, partition metadata
and log-dir sizes, stamped with one UTC timestamp.

Requests run concurrently: DescribeCluster and Metadata first (they name the brokers and
topics), then every DescribeConfigs and DescribeTopics in flight at once while kafka-python's
DescribeLogDirs runs in a worker thread. Sensitive config values never leave Kafka (it sends
null for them), and the workbench keeps them null.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import polars as pl

from workbench.collect.kafka import ClusterInfo, ConfigInfo, KafkaAdmin, PartitionInfo
from workbench.collect.logdirs import (
    LogDirsClient,
    LogDirVolume,
    ReplicaDir,
    parse_log_dirs,
    parse_log_volumes,
)
from workbench.collect.loop import LoopPlan, LoopResult, run_schedule
from workbench.errors import WorkbenchError
from workbench.schema import DATASETS, conform
from workbench.store import Store

log = logging.getLogger(__name__)

SOURCE = "collect"
#: The datasets one snapshot writes, in the order they are written.
CONFIG_DATASETS = ("cluster_info", "brokers", "configs", "topic_partitions", "log_dirs", "log_dir_volumes")


@dataclass(frozen=True)
class ConfigSnapshot:
    """The frames of one config-health snapshot, keyed by dataset name (see :data:`CONFIG_DATASETS`)."""

    ts: dt.datetime
    frames: dict[str, pl.DataFrame]
    duration_s: float

    def __getitem__(self, dataset: str) -> pl.DataFrame:
        return self.frames[dataset]

    def line(self, cluster: str) -> str:
        """``"2026-11-27T14:00:00Z prod: 3 brokers, 812 configs, 45 partitions, 135 replicas ..."``."""
        f = self.frames
        return (
            f"{self.ts:%Y-%m-%dT%H:%M:%SZ} {cluster}: {f['brokers'].height} brokers, "
            f"{f['configs'].height} config entries, {f['topic_partitions'].height} partitions, "
            f"{f['log_dirs'].height} replicas on disk in {self.duration_s:.2f}s"
        )


def snapshot_configs(
    admin: KafkaAdmin,
    cluster: str,
    log_dirs: LogDirsClient | None = None,
    topics: Sequence[str] | None = None,
) -> ConfigSnapshot:
    """Take one snapshot. ``topics`` limits topic configs, partitions and log dirs to those names."""
    started = time.monotonic()
    ts = dt.datetime.now(dt.UTC)
    metadata = admin.metadata()
    info = admin.resolve_cluster(admin.submit_describe_cluster())
    names = sorted(metadata.topics) if topics is None else [t for t in topics if t in metadata.topics]
    missing = sorted(set(topics or ()) - set(metadata.topics))
    if missing:
        log.warning("topics not in the cluster: %s", ", ".join(missing))
    broker_ids = [b.broker_id for b in info.brokers]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="logdirs") as pool:
        disk = pool.submit(_log_dirs, log_dirs, broker_ids) if log_dirs is not None else None
        configs_f = admin.submit_describe_configs(broker_ids, names)
        topics_f = admin.submit_describe_topics(names)
        configs = admin.resolve_configs(configs_f)
        partitions = admin.resolve_topics(topics_f)
        answers = disk.result() if disk is not None else []
    replicas, volumes = parse_log_dirs(answers), parse_log_volumes(answers)
    if topics is not None:
        replicas = [r for r in replicas if r.topic in set(names)]
    frames = snapshot_frames(ts, cluster, info, configs, partitions, replicas, volumes=volumes)
    return ConfigSnapshot(ts, frames, time.monotonic() - started)


def _log_dirs(client: LogDirsClient, brokers: list[int]) -> list:
    """Log dirs of every broker (kafka-python's answers), or none (logged) when it cannot get them."""
    try:
        return client.answers(brokers)
    except WorkbenchError as exc:
        log.warning("log dirs unavailable, disk rules will have no data: %s", exc)
        return []


def snapshot_frames(
    ts: dt.datetime,
    cluster: str,
    info: ClusterInfo,
    configs: list[ConfigInfo],
    partitions: list[PartitionInfo],
    replicas: list[ReplicaDir],
    source: str = SOURCE,
    volumes: list[LogDirVolume] | None = None,
) -> dict[str, pl.DataFrame]:
    """The six datasets of one snapshot from the seam's plain records."""
    stamp = {"ts": ts, "cluster": cluster, "source": source}
    cluster_row = {
        "cluster_id": info.cluster_id,
        "controller_id": info.controller_id,
        "broker_count": len(info.brokers),
        **stamp,
    }
    brokers = [
        {**asdict(b), "is_controller": b.broker_id == info.controller_id, **stamp} for b in info.brokers
    ]
    config_rows = [{**_config_row(c), **stamp} for c in configs]
    part_rows = [
        {**asdict(p), "replicas": list(p.replicas), "isr": list(p.isr), "offline": p.leader is None, **stamp}
        for p in partitions
    ]
    disk_rows = [{**asdict(r), **stamp} for r in replicas]
    rows: dict[str, list[dict]] = {
        "cluster_info": [cluster_row],
        "brokers": brokers,
        "configs": config_rows,
        "topic_partitions": part_rows,
        "log_dirs": disk_rows,
        "log_dir_volumes": [{**asdict(v), **stamp} for v in volumes or []],
    }
    return {name: _frame(rows[name], name) for name in CONFIG_DATASETS}


def _config_row(c: ConfigInfo) -> dict[str, object]:
    row = asdict(c)
    row["config_source"] = row.pop("source")
    if c.is_sensitive:
        row["value"] = None
    return row


def _frame(rows: list[dict], dataset: str) -> pl.DataFrame:
    schema = DATASETS[dataset][0]
    if not rows:
        return pl.DataFrame(schema=schema)
    return conform(
        pl.DataFrame(rows, schema_overrides={k: schema[k] for k in rows[0] if k in schema}), dataset
    )


def write_snapshot(store: Store, snap: ConfigSnapshot) -> int:
    """Append every frame of ``snap`` to ``store``; returns the number of files written."""
    return sum(len(store.append(name, snap[name])) for name in CONFIG_DATASETS)


def collections_row(cluster: str, snap: ConfigSnapshot | None, ts: dt.datetime, error: str | None) -> dict:
    """The ``collections`` record of one attempt (kind ``configs``)."""
    return {
        "ts": ts,
        "cluster": cluster,
        "kind": "configs",
        "ok": error is None,
        "error": error,
        "partitions": snap["topic_partitions"].height if snap else None,
        "duration_ms": snap.duration_s * 1000 if snap else None,
    }


def run_config_loop(
    snapshot: Callable[[], ConfigSnapshot],
    store: Store,
    cluster: str,
    plan: LoopPlan,
    report: Callable[[str], None],
    stop: threading.Event,
) -> LoopResult:
    """Snapshot, write, report every ``plan.interval`` (:func:`workbench.collect.loop.run_schedule`).

    Authentication failures end the loop; other failures are recorded in ``collections`` and
    retried at the next interval.
    """

    def record(snap: ConfigSnapshot | None, ts: dt.datetime, error: str | None) -> None:
        row = collections_row(cluster, snap, ts, error)
        store.append("collections", conform(pl.DataFrame([row]), "collections"))

    def attempt() -> str:
        snap = snapshot()
        write_snapshot(store, snap)
        record(snap, snap.ts, None)
        return snap.line(cluster)

    return run_schedule(cluster, attempt, lambda now, err: record(None, now, str(err)), plan, report, stop)
