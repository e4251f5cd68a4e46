"""The record contract: one Polars schema (and a version) per stored dataset.

Every stage meets here. Collectors, importers and the simulator produce frames in these
schemas; the store writes and reads them; frames and analytics consume them. A dataset's
schema changes only together with its version number.

Timestamps are UTC, microsecond resolution. Offsets are Int64; a committed offset that does
not exist is null, never 0 and never librdkafka's -1001.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from polars._typing import SchemaDict

UTC_TS = pl.Datetime("us", "UTC")


def _schema(columns: SchemaDict) -> pl.Schema:
    """A schema from a typed column mapping (a dict literal mixing dtype classes and instances
    would be inferred as ``dict[str, object]``)."""
    return pl.Schema(columns)


#: Consumer-group offsets: one row per (snapshot, group, topic, partition) that the group
#: committed or is assigned.
OFFSETS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "group": pl.String,
        "group_state": pl.String,
        "topic": pl.String,
        "partition": pl.Int32,
        "committed_offset": pl.Int64,
        "log_start_offset": pl.Int64,
        "log_end_offset": pl.Int64,
        "member_id": pl.String,
        "client_id": pl.String,
        "host": pl.String,
        "source": pl.String,
    }
)

#: Every topic partition of the cluster at a snapshot, read or not: ingress needs them all.
PARTITION_OFFSETS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "topic": pl.String,
        "partition": pl.Int32,
        "log_start_offset": pl.Int64,
        "log_end_offset": pl.Int64,
        "source": pl.String,
    }
)

#: Offset commits read from ``__consumer_offsets`` (``workbench collect commits``): ``ts`` is the
#: commit timestamp the coordinator wrote; ``committed_offset`` null marks a tombstone (the offset
#: was deleted). ``offsets_partition``/``offsets_offset`` are the record's position in
#: ``__consumer_offsets`` (Burrow's commit order; duplicates after a re-read share it). The log end
#: at commit time is joined from ``partition_offsets`` when read (:mod:`workbench.frames.commits`).
COMMITS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "group": pl.String,
        "topic": pl.String,
        "partition": pl.Int32,
        "committed_offset": pl.Int64,
        "leader_epoch": pl.Int32,
        "offsets_partition": pl.Int32,
        "offsets_offset": pl.Int64,
        "source": pl.String,
    }
)

#: Classic group metadata from ``__consumer_offsets``: one row per (record, member, assigned
#: partition); ``event`` is ``members``, ``empty`` (no member: ``member_id`` null) or ``removed``
#: (tombstone). ``ts`` is the record's timestamp.
GROUP_MEMBERS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "group": pl.String,
        "event": pl.String,
        "generation": pl.Int32,
        "protocol_type": pl.String,
        "member_id": pl.String,
        "client_id": pl.String,
        "host": pl.String,
        "topic": pl.String,
        "partition": pl.Int32,
        "offsets_partition": pl.Int32,
        "offsets_offset": pl.Int64,
        "source": pl.String,
    }
)

#: Where ``workbench collect commits`` stopped reading: the next offset of each partition of
#: ``__consumer_offsets``, written after the rows before it.
OFFSETS_TOPIC_POSITIONS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "partition": pl.Int32,
        "next_offset": pl.Int64,
    }
)

#: The last stable offset (ListOffsets with read_committed) of every partition at a snapshot, same
#: ``ts`` as ``partition_offsets``: a read_committed consumer reads nothing at or past it. Below the
#: log end while a transaction is open. A dataset of its own, so ``partition_offsets`` (v1) stays.
STABLE_OFFSETS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "topic": pl.String,
        "partition": pl.Int32,
        "last_stable_offset": pl.Int64,
        "source": pl.String,
    }
)

#: An open transaction on a partition whose last stable offset was stuck below the log end: one
#: row per (partition, producer) from DescribeProducers, named by ListTransactions and
#: DescribeTransactions where the broker answers them (null otherwise). ``ts`` is the snapshot's.
OPEN_TRANSACTIONS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "topic": pl.String,
        "partition": pl.Int32,
        "producer_id": pl.Int64,
        "producer_epoch": pl.Int32,
        "start_offset": pl.Int64,
        "last_timestamp": UTC_TS,
        "transactional_id": pl.String,
        "state": pl.String,
        "start_time": UTC_TS,
        "timeout_ms": pl.Int64,
        "source": pl.String,
    }
)

#: One row per collection attempt, successful or not: the collector's own log as data.
#: ``error`` on an ``ok`` row is a note: groups that did not answer, or a clock flag. A note
#: starting with CLOCK_FLAG_PREFIX marks a snapshot whose clock stepped back or whose gap to the
#: previous one is under a tenth of the interval: its rows are kept but left out of rates.
CLOCK_FLAG_PREFIX = "clock: "
COLLECTIONS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "kind": pl.String,
        "ok": pl.Boolean,
        "error": pl.String,
        "groups": pl.Int32,
        "group_rows": pl.Int32,
        "partitions": pl.Int32,
        "duration_ms": pl.Float64,
    }
)

# -- config health (issue 4): cluster, brokers, configs, partition metadata, log dirs ---------------
# ``source`` is where the row came from (``collect``, ``simulate``), as in the datasets above;
# a config's own origin in Kafka (DYNAMIC_BROKER_CONFIG, DEFAULT_CONFIG, ...) is ``config_source``.

#: The cluster at a snapshot: one row per (snapshot, cluster).
CLUSTER_INFO = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "cluster_id": pl.String,
        "controller_id": pl.Int32,
        "broker_count": pl.Int32,
        "source": pl.String,
    }
)

#: The live brokers at a snapshot.
BROKERS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "broker_id": pl.Int32,
        "host": pl.String,
        "port": pl.Int32,
        "rack": pl.String,
        "is_controller": pl.Boolean,
        "source": pl.String,
    }
)

#: Every config entry of every broker and topic at a snapshot. ``value`` is null when Kafka marks
#: the entry sensitive: the workbench never stores (or asks for) a secret.
CONFIGS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "resource_type": pl.String,
        "resource_name": pl.String,
        "name": pl.String,
        "value": pl.String,
        "config_source": pl.String,
        "is_default": pl.Boolean,
        "is_read_only": pl.Boolean,
        "is_sensitive": pl.Boolean,
        "source": pl.String,
    }
)

#: Partition metadata: leader (null when none), replica and in-sync replica broker ids.
TOPIC_PARTITIONS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "topic": pl.String,
        "partition": pl.Int32,
        "is_internal": pl.Boolean,
        "leader": pl.Int32,
        "replicas": pl.List(pl.Int32),
        "isr": pl.List(pl.Int32),
        "offline": pl.Boolean,
        "source": pl.String,
    }
)

#: DescribeLogDirs: one row per (snapshot, broker, log dir, replica).
LOG_DIRS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "broker": pl.Int32,
        "log_dir": pl.String,
        "topic": pl.String,
        "partition": pl.Int32,
        "size_bytes": pl.Int64,
        "offset_lag": pl.Int64,
        "is_future": pl.Boolean,
        "source": pl.String,
    }
)

#: DescribeLogDirs v4+ (KIP-827, Kafka 3.3+): one row per (snapshot, broker, log dir) with the
#: volume's total and usable bytes (null when the broker is older and does not say).
LOG_DIR_VOLUMES = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "broker": pl.Int32,
        "log_dir": pl.String,
        "total_bytes": pl.Int64,
        "usable_bytes": pl.Int64,
        "source": pl.String,
    }
)

#: Broker and node metrics imported from Prometheus (``workbench import prometheus``), long format:
#: one row per (ts, instance, metric, detail). ``instance`` is Prometheus' label (``host:port`` of
#: the exporter), ``host`` its host part; ``metric`` a workbench name (``bytes_in_per_s``...,
#: docs/prometheus.md), ``detail`` the request type or mount point/device, empty when none.
BROKER_METRICS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "instance": pl.String,
        "host": pl.String,
        "metric": pl.String,
        "detail": pl.String,
        "value": pl.Float64,
        "source": pl.String,
    }
)

#: One row per benchmark run (``workbench bench`` or an imported tool output). ``params``,
#: ``client_config`` and ``sweep`` are JSON objects; ``client_config`` is masked
#: (:meth:`workbench.config.ClientSettings.describe`): it never holds a secret. ``ts`` is the
#: run's start. Sizes in bytes, throughput in records/s; null when the source does not say.
BENCH_RUNS = _schema(
    {
        "ts": UTC_TS,
        "cluster": pl.String,
        "run_id": pl.String,
        "kind": pl.String,
        "label": pl.String,
        "source": pl.String,
        "tool": pl.String,
        "params": pl.String,
        "sweep": pl.String,
        "sweep_id": pl.String,
        "client_config": pl.String,
        "librdkafka_version": pl.String,
        "topic": pl.String,
        "partitions": pl.Int32,
        "replication": pl.Int32,
        "brokers": pl.Int32,
        "record_size": pl.Int64,
        "num_records": pl.Int64,
        "target_throughput": pl.Float64,
        "warmup_records": pl.Int64,
        "host": pl.String,
        "duration_s": pl.Float64,
        "records": pl.Int64,
        "bytes": pl.Int64,
        "errors": pl.Int64,
        "buffer_full": pl.Int64,
    }
)

#: Per-interval series of a benchmark run, one row per (interval, latency kind). ``latency`` is
#: ``send_to_ack`` (produce() -> delivery report), ``schedule_delay`` (intended send time ->
#: actual send), ``end_to_end`` (send -> consumed) or ``none`` (throughput only). A row with
#: ``cumulative`` true covers the whole ``phase`` (the run's summary). ``histogram`` is an
#: encoded HdrHistogram (V2, base64, values in microseconds; see :mod:`workbench.hdr`), null
#: when the source printed only summary statistics; the ``*_ms`` columns are milliseconds.
BENCH_INTERVALS = _schema(
    {
        "ts": UTC_TS,
        "end": UTC_TS,
        "cluster": pl.String,
        "run_id": pl.String,
        "phase": pl.String,
        "cumulative": pl.Boolean,
        "latency": pl.String,
        "records": pl.Int64,
        "bytes": pl.Int64,
        "errors": pl.Int64,
        "backlog": pl.Int64,
        "count": pl.Int64,
        "mean_ms": pl.Float64,
        "p50_ms": pl.Float64,
        "p75_ms": pl.Float64,
        "p90_ms": pl.Float64,
        "p95_ms": pl.Float64,
        "p99_ms": pl.Float64,
        "p999_ms": pl.Float64,
        "p9999_ms": pl.Float64,
        "max_ms": pl.Float64,
        "histogram": pl.String,
    }
)

#: Rollups of ``offsets`` per 5 minutes and per hour (``offsets_5m``, ``offsets_1h``): one row per
#: (bucket, group, topic, partition), the bucket's last snapshot in the offsets columns (so an
#: analysis reads a rollup as a history sampled once a bucket), plus what happened inside it.
OFFSETS_ROLLUP = _schema(
    {
        **OFFSETS,
        "first_ts": UTC_TS,
        "snapshots": pl.Int32,
        "lag_first": pl.Int64,
        "lag_min": pl.Int64,
        "lag_max": pl.Int64,
        "committed_delta": pl.Int64,
        "log_end_delta": pl.Int64,
        "empty_snapshots": pl.Int32,
    }
)

#: Rollups of ``partition_offsets`` (``partition_offsets_5m``, ``partition_offsets_1h``): the
#: bucket's last snapshot, its first time, snapshot count, log-end delta and how often the log end
#: fell from one reading to the next inside the bucket (``log_end_falls``; null in rows written
#: by schema version 1: unknown).
PARTITION_OFFSETS_ROLLUP = _schema(
    {
        **PARTITION_OFFSETS,
        "first_ts": UTC_TS,
        "snapshots": pl.Int32,
        "log_end_delta": pl.Int64,
        "log_end_falls": pl.Int32,
    }
)

#: Rollup resolutions: name suffix -> bucket length.
ROLLUPS: dict[str, str] = {"5m": "5m", "1h": "1h"}

#: dataset name -> (schema, version). The store refuses frames that do not match.
DATASETS: dict[str, tuple[pl.Schema, int]] = {
    "offsets": (OFFSETS, 1),
    "partition_offsets": (PARTITION_OFFSETS, 1),
    "stable_offsets": (STABLE_OFFSETS, 1),
    "open_transactions": (OPEN_TRANSACTIONS, 1),
    "collections": (COLLECTIONS, 1),
    "commits": (COMMITS, 1),
    "group_members": (GROUP_MEMBERS, 1),
    "offsets_topic_positions": (OFFSETS_TOPIC_POSITIONS, 1),
    "cluster_info": (CLUSTER_INFO, 1),
    "brokers": (BROKERS, 1),
    "configs": (CONFIGS, 1),
    "topic_partitions": (TOPIC_PARTITIONS, 1),
    "log_dirs": (LOG_DIRS, 1),
    "log_dir_volumes": (LOG_DIR_VOLUMES, 1),
    "broker_metrics": (BROKER_METRICS, 1),
    "bench_runs": (BENCH_RUNS, 1),
    "bench_intervals": (BENCH_INTERVALS, 1),
    **{f"offsets_{r}": (OFFSETS_ROLLUP, 1) for r in ROLLUPS},
    **{f"partition_offsets_{r}": (PARTITION_OFFSETS_ROLLUP, 2) for r in ROLLUPS},
}


def empty(dataset: str) -> pl.DataFrame:
    """An empty frame with the dataset's schema."""
    return pl.DataFrame(schema=DATASETS[dataset][0])


def conform(frame: pl.DataFrame, dataset: str) -> pl.DataFrame:
    """Select and cast ``frame``'s columns to the dataset schema, in schema order.

    Missing nullable columns are added as nulls; extra columns are dropped. Casting is strict,
    so a value that does not fit (text in an offset column) raises instead of becoming null.
    """
    schema = DATASETS[dataset][0]
    cols = []
    for name, dtype in schema.items():
        if name in frame.columns:
            cols.append(pl.col(name).cast(dtype, strict=True))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(cols)
