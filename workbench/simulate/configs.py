"""Hourly config-health snapshots of the simulated cluster (datasets ``cluster_info``, ``brokers``,
``configs``, ``topic_partitions``, ``log_dirs``).

Three brokers in three racks, realistic broker and topic configs, and a few deliberate problems
(hour marks refer to the 7-day reference window and scale with it, as the lag incidents do):

* ``exchange-rates`` has replication factor 1 (its one replica on broker 2, min.insync.replicas 1);
* ``clickstream`` has RF 2 with every partition on broker 1 (placed by hand): broker 1 holds
  far more bytes than the others (disk skew);
* ``metrics-raw`` overrides ``unclean.leader.election.enable=true``;
* from hour 106 broker 3 lacks the dynamic ``num.replica.fetchers=4`` the others have (drift);
* hours 122-124 broker 2 is down: its partitions are under-replicated, ``exchange-rates`` is
  offline, broker 2 is missing from the brokers, configs and log dirs;
* ``orders`` partition 3 holds about 2.2× the topic's mean partition (a hot key).

Every broker has a sensitive ``listener.name.internal.ssl.key.password`` whose value is null,
as Kafka reports it. Nothing here is random: the same window always gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

from workbench.schema import conform
from workbench.simulate.incidents import REFERENCE_HOURS, Timeline
from workbench.simulate.rows import SOURCE
from workbench.simulate.topology import Topology
from workbench.store import Store

CONFIG_DATASETS = ("cluster_info", "brokers", "configs", "topic_partitions", "log_dirs")
BROKERS = (1, 2, 3)
CLUSTER_ID = "q7Xb2YkLTm2sWc1pZ0fN4g"
DRIFT_FROM_H, OUTAGE_FROM_H, OUTAGE_TO_H = 106.0, 122.0, 124.5
DOWN_BROKER, RF1_TOPIC, RF2_TOPIC, UNCLEAN_TOPIC = 2, "exchange-rates", "clickstream", "metrics-raw"
SENSITIVE_KEY = "listener.name.internal.ssl.key.password"
_S, _D, _DD, _DB = (
    "STATIC_BROKER_CONFIG",
    "DEFAULT_CONFIG",
    "DYNAMIC_DEFAULT_BROKER_CONFIG",
    "DYNAMIC_BROKER_CONFIG",
)

#: (name, value, source, read-only) of every simulated broker config; per-broker values use {id}.
BROKER_CONFIGS: tuple[tuple[str, str | None, str, bool], ...] = (
    ("broker.id", "{id}", _S, True),
    ("node.id", "{id}", _S, True),
    ("broker.rack", "eu-west-1{rack}", _S, True),
    ("process.roles", "broker,controller", _S, True),
    (
        "listeners",
        "INTERNAL://kafka-{id}.sample.internal:9092,CONTROLLER://kafka-{id}.sample.internal:9093",
        _S,
        False,
    ),
    ("advertised.listeners", "INTERNAL://kafka-{id}.sample.internal:9092", _S, False),
    ("log.dirs", "/var/lib/kafka/data", _S, True),
    ("num.network.threads", "8", _S, False),
    ("num.io.threads", "16", _S, False),
    ("num.replica.fetchers", "4", _DB, False),
    ("socket.send.buffer.bytes", "1048576", _S, False),
    ("socket.receive.buffer.bytes", "1048576", _S, False),
    ("socket.request.max.bytes", "104857600", _D, True),
    ("default.replication.factor", "3", _S, True),
    ("min.insync.replicas", "2", _DD, False),
    ("unclean.leader.election.enable", "false", _D, False),
    ("auto.create.topics.enable", "false", _S, True),
    ("auto.leader.rebalance.enable", "true", _D, True),
    ("log.retention.hours", "72", _S, True),
    ("log.retention.ms", None, _D, False),
    ("log.retention.bytes", "-1", _D, False),
    ("log.segment.bytes", "1073741824", _D, False),
    ("log.cleanup.policy", "delete", _D, False),
    ("log.cleaner.threads", "1", _D, False),
    ("compression.type", "producer", _D, False),
    ("message.max.bytes", "1048588", _D, False),
    ("replica.lag.time.max.ms", "30000", _D, True),
    ("offsets.topic.replication.factor", "3", _S, True),
    ("transaction.state.log.replication.factor", "3", _S, True),
    ("transaction.state.log.min.isr", "2", _S, True),
    ("group.initial.rebalance.delay.ms", "3000", _D, True),
    ("num.partitions", "6", _S, True),
    ("inter.broker.listener.name", "INTERNAL", _S, True),
    ("controller.listener.names", "CONTROLLER", _S, True),
    (SENSITIVE_KEY, None, _DB, False),
)

#: Average message size in bytes, per topic (for log-dir sizes).
MESSAGE_BYTES = {
    "clickstream": 1000,
    "metrics-raw": 250,
    "search-index": 2000,
    "email-events": 1200,
    "orders": 1500,
    "payments": 1000,
    "inventory-updates": 400,
    "fraud-scores": 300,
    "notifications": 800,
    "user-profile": 3000,
    "shipments": 900,
    "audit-log": 700,
    "exchange-rates": 200,
    "config-changes": 500,
    "dead-letter": 2000,
}


def snapshot_times(timeline: Timeline) -> list[dt.datetime]:
    """One snapshot an hour over the window (the first at its start)."""
    hours = math.ceil(timeline.n_steps * timeline.interval_s / 3600)
    return [timeline.start + dt.timedelta(hours=h) for h in range(hours)]


def _hour_mark(timeline: Timeline, hours: float) -> dt.datetime:
    span = timeline.n_steps * timeline.interval_s
    return timeline.start + dt.timedelta(seconds=hours / REFERENCE_HOURS * span)


def write_config_history(
    store: Store, cluster: str, topo: Topology, timeline: Timeline
) -> tuple[dict[str, int], int]:
    """Write every hourly snapshot; returns (rows per dataset, files written)."""
    drift = _hour_mark(timeline, DRIFT_FROM_H)
    outage = (_hour_mark(timeline, OUTAGE_FROM_H), _hour_mark(timeline, OUTAGE_TO_H))
    parts: dict[str, list[pl.DataFrame]] = {name: [] for name in CONFIG_DATASETS}
    for ts in snapshot_times(timeline):
        up = [b for b in BROKERS if not (b == DOWN_BROKER and outage[0] <= ts < outage[1])]
        frames = snapshot(ts, cluster, topo, timeline, up, drift_on=ts >= drift)
        for name, frame in frames.items():
            parts[name].append(frame)
    rows, files = {}, 0
    for name in CONFIG_DATASETS:
        frame = conform(pl.concat(parts[name]), name)
        files += len(store.append(name, frame))
        rows[name] = frame.height
    return rows, files


def snapshot(
    ts: dt.datetime, cluster: str, topo: Topology, timeline: Timeline, up: list[int], drift_on: bool
) -> dict[str, pl.DataFrame]:
    """The five frames of one snapshot with brokers ``up`` alive."""
    stamp = {"ts": ts, "cluster": cluster, "source": SOURCE}
    partitions = _partitions(ts, topo, timeline, up)
    return {
        "cluster_info": pl.DataFrame(
            [{**stamp, "cluster_id": CLUSTER_ID, "controller_id": 1, "broker_count": len(up)}]
        ),
        "brokers": pl.DataFrame([_broker(b, stamp) for b in up]),
        "configs": pl.DataFrame(
            _broker_configs(up, drift_on) + _topic_configs(topo), orient="row"
        ).with_columns(**{k: pl.lit(v) for k, v in stamp.items()}),
        "topic_partitions": pl.DataFrame(partitions).with_columns(**{k: pl.lit(v) for k, v in stamp.items()}),
        "log_dirs": _log_dirs(ts, topo, timeline, partitions, up).with_columns(
            **{k: pl.lit(v) for k, v in stamp.items()}
        ),
    }


def _broker(b: int, stamp: dict) -> dict:
    rack = "eu-west-1" + "abc"[b - 1]
    host = f"kafka-{b}.sample.internal"
    return {**stamp, "broker_id": b, "host": host, "port": 9092, "rack": rack, "is_controller": b == 1}


_CONFIG_COLUMNS = [
    "resource_type",
    "resource_name",
    "name",
    "value",
    "config_source",
    "is_default",
    "is_read_only",
    "is_sensitive",
]


def _broker_configs(up: list[int], drift_on: bool) -> list[dict]:
    rows = []
    for b in up:
        for name, value, source, read_only in BROKER_CONFIGS:
            if drift_on and b == 3 and name == "num.replica.fetchers":
                value, source = "1", _D
            text = None if value is None else value.format(id=b, rack="abc"[b - 1])
            sensitive = name == SENSITIVE_KEY
            row = (
                "broker",
                str(b),
                name,
                None if sensitive else text,
                source,
                source == _D,
                read_only,
                sensitive,
            )
            rows.append(dict(zip(_CONFIG_COLUMNS, row, strict=True)))
    return rows


def _topic_configs(topo: Topology) -> list[dict]:
    rows = []
    for spec in topo.topics:
        compact = spec.name == "config-changes"
        entries = [
            ("cleanup.policy", "compact" if compact else "delete", "DYNAMIC_TOPIC_CONFIG" if compact else _D),
            (
                "retention.ms",
                str(spec.retention_h * 3_600_000),
                _D if spec.retention_h == 72 else "DYNAMIC_TOPIC_CONFIG",
            ),
            ("retention.bytes", "-1", _D),
            (
                "min.insync.replicas",
                "1" if spec.name == RF1_TOPIC else "2",
                "DYNAMIC_TOPIC_CONFIG" if spec.name == RF1_TOPIC else _DD,
            ),
            ("segment.bytes", "1073741824", _D),
            ("max.message.bytes", "1048588", _D),
            ("compression.type", "producer", _D),
            (
                "unclean.leader.election.enable",
                "true" if spec.name == UNCLEAN_TOPIC else "false",
                "DYNAMIC_TOPIC_CONFIG" if spec.name == UNCLEAN_TOPIC else _D,
            ),
        ]
        for name, value, source in entries:
            row = ("topic", spec.name, name, value, source, source == _D, False, False)
            rows.append(dict(zip(_CONFIG_COLUMNS, row, strict=True)))
    return rows


def _replicas(topic: str, p: int) -> list[int]:
    """Replica assignment: RF 3 round-robin; RF 2 always with a replica on broker 1; RF 1 on broker 2."""
    if topic == RF1_TOPIC:
        return [DOWN_BROKER]
    if topic == RF2_TOPIC:
        return [1, 2] if p % 2 == 0 else [3, 1]
    return [(p + k) % 3 + 1 for k in range(3)]


def _partitions(ts: dt.datetime, topo: Topology, timeline: Timeline, up: list[int]) -> list[dict]:
    rows = []
    for i in range(topo.n_partitions):
        if timeline.ts(int(topo.p_created[i])) > ts:
            continue
        topic, p = topo.topics[int(topo.p_topic[i])].name, int(topo.p_num[i])
        replicas = _replicas(topic, p)
        isr = [b for b in replicas if b in up]
        leader = isr[0] if isr else None
        rows.append(
            {
                "topic": topic,
                "partition": p,
                "is_internal": False,
                "leader": leader,
                "replicas": replicas,
                "isr": isr,
                "offline": leader is None,
            }
        )
    return rows


def _log_dirs(
    ts: dt.datetime, topo: Topology, timeline: Timeline, partitions: list[dict], up: list[int]
) -> pl.DataFrame:
    """Replica sizes: rate × share × retained time × message size, growing 3 % a week."""
    weights = {
        (topo.topics[int(t)].name, int(n)): float(w)
        for t, n, w in zip(topo.p_topic, topo.p_num, topo.p_weight, strict=True)
    }
    specs = {s.name: s for s in topo.topics}
    age_h = (ts - timeline.start).total_seconds() / 3600
    growth = 1 + 0.03 * age_h / REFERENCE_HOURS
    rows = []
    for part in partitions:
        spec = specs[part["topic"]]
        retained_s = spec.retention_h * 3600
        size = spec.rate * weights[(part["topic"], part["partition"])] * retained_s
        size_bytes = int(size * MESSAGE_BYTES.get(spec.name, 1000) * growth)
        for b in part["replicas"]:
            if b in up:
                lag = 0 if b in part["isr"] else 1
                rows.append(
                    (b, "/var/lib/kafka/data", part["topic"], part["partition"], size_bytes, lag, False)
                )
    cols = ["broker", "log_dir", "topic", "partition", "size_bytes", "offset_lag", "is_future"]
    return pl.DataFrame(rows, schema=cols, orient="row")
