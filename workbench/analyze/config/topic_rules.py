"""Config health rules about topics, replication state, config drift and disk balance.

Same contract as :mod:`workbench.analyze.config.broker_rules`; :mod:`~workbench.analyze.config.registry`
registers these after the broker rules.
"""

from __future__ import annotations

import polars as pl

from workbench.analyze.config.model import (
    ConfigView,
    Finding,
    Findings,
    Rule,
    RuleSettings,
    _int,
    _true,
    retention_ms,
)
from workbench.scalars import as_float
from workbench.units import bytes_iec as _bytes


def _topic_rf(view: ConfigView) -> pl.DataFrame:
    """Per topic: partitions, replication factor (the smallest replica list), internal flag."""
    if view.partitions.is_empty():
        return pl.DataFrame(schema={"topic": pl.String, "partitions": pl.UInt32, "rf": pl.UInt32})
    return (
        view.partitions.group_by("topic")
        .agg(
            partitions=pl.len(),
            rf=pl.col("replicas").list.len().min(),
            internal=pl.col("is_internal").any(),
        )
        .sort("topic")
    )


# -- topic settings --------------------------------------------------------------------------------
def replication_factor(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: topics with replication factor 1 or below min_replication_factor."""
    # 1. RF 1: critical (one disk failure loses data). 2. RF below min_replication_factor: warning.
    need = int(s.t("min_replication_factor"))
    for topic, _, rf, _ in _topic_rf(view).iter_rows():
        if rf < need:
            yield Finding(
                "topic.replication-factor",
                "critical" if rf == 1 else "warning",
                "topic",
                topic,
                f"replication factor {rf}" + (": one broker or disk failure loses data" if rf == 1 else ""),
                "reassign the partitions to 3 replicas (kafka-reassign-partitions) on 3 brokers or more",
                rf,
                need,
            )


def topic_min_insync(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: a topic's min.insync.replicas against its replication factor and the threshold."""
    # 1. min.insync.replicas > RF: critical, acks=all writes always fail.
    # 2. min.insync.replicas == RF (RF > 1): warning, one broker down stops acks=all writes.
    # 3. min.insync.replicas below the threshold with RF > 1: warning.
    for topic, _, rf, _ in _topic_rf(view).iter_rows():
        mis = _int(view.topic_configs.get(topic, {}).get("min.insync.replicas"))
        if mis is None or (rf == 1 and mis <= rf):
            continue
        if mis > rf:
            sev, msg = "critical", f"min.insync.replicas {mis} > RF {rf}: acks=all writes always fail"
        elif mis == rf:
            sev, msg = (
                "warning",
                f"min.insync.replicas {mis} = RF {rf}: one broker down blocks acks=all writes",
            )
        elif mis < s.t("min_insync_replicas"):
            sev, msg = (
                "warning",
                f"min.insync.replicas {mis} with RF {rf}: acks=all is acknowledged by one copy",
            )
        else:
            continue
        yield Finding(
            "topic.min-insync-replicas",
            sev,
            "topic",
            topic,
            msg,
            "use min.insync.replicas = RF - 1 (2 with RF 3)",
            mis,
            f"2..{rf - 1}" if rf > 2 else 2,
        )


def topic_unclean_election(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: a topic override enabling unclean leader election."""
    # 1. a topic override unclean.leader.election.enable=true: critical (broker-wide is its own rule).
    for topic, cfg in sorted(view.topic_configs.items()):
        source = view.topic_sources.get(topic, {}).get("unclean.leader.election.enable")
        if _true(cfg.get("unclean.leader.election.enable")) and source == "DYNAMIC_TOPIC_CONFIG":
            yield Finding(
                "topic.unclean-leader-election",
                "critical",
                "topic",
                topic,
                "unclean.leader.election.enable=true on this topic: a failover may silently drop messages",
                "remove the override (kafka-configs --alter --delete-config unclean.leader.election.enable)",
                "true",
                "false",
            )


def partition_count(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: topics with more than max_topic_partitions partitions."""
    # 1. a topic with more than max_topic_partitions partitions: warning.
    limit = s.t("max_topic_partitions")
    for topic, n, _, _ in _topic_rf(view).iter_rows():
        if n > limit:
            yield Finding(
                "topic.partition-count",
                "warning",
                "topic",
                topic,
                f"{n:,} partitions",
                "size partitions to the consumers' parallelism; many partitions slow failover and recovery",
                n,
                int(limit),
            )


def partitions_per_broker(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: brokers holding more than max_partitions_per_broker replicas."""
    # 1. a broker holding more than max_partitions_per_broker replicas: warning.
    limit = s.t("max_partitions_per_broker")
    for broker, n in _per_broker(view.partitions.select(pl.col("replicas").explode().alias("b"))).items():
        if n > limit:
            yield Finding(
                "cluster.partitions-per-broker",
                "warning",
                "broker",
                broker,
                f"{n:,} partition replicas on this broker",
                "add brokers or reduce partitions: failover time grows with replicas per broker",
                n,
                int(limit),
            )


def _per_broker(ids: pl.DataFrame) -> dict[str, int]:
    if ids.is_empty():
        return {}
    counts = ids.drop_nulls().group_by("b").len().sort("b")
    return {str(b): int(n) for b, n in counts.iter_rows()}


def topic_retention(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: topic retention unlimited, or shorter than the thresholds for its cleanup policy."""
    # 1. delete policy with retention.ms=-1 and retention.bytes=-1: warning (grows forever).
    # 2. compact,delete with retention under min_compact_delete_retention_ms: warning.
    # 3. delete with retention under min_retention_ms: warning.
    for topic, cfg in sorted(view.topic_configs.items()):
        policy = {p.strip() for p in str(cfg.get("cleanup.policy") or "delete").split(",")}
        ms, size = retention_ms(cfg, prefix=""), _int(cfg.get("retention.bytes"))
        if "delete" not in policy or ms is None or topic.startswith("__"):
            continue
        if ms < 0 and (size is None or size < 0):
            msg, rec, limit = (
                "cleanup.policy delete with retention.ms=-1 and no size limit: the topic grows forever",
                "set retention.ms or retention.bytes, or use cleanup.policy=compact if it is a changelog",
                None,
            )
        elif "compact" in policy and 0 <= ms < s.t("min_compact_delete_retention_ms"):
            msg, rec, limit = (
                f"compact,delete with retention.ms={ms:,}: old keys vanish before compaction keeps them",
                "give compact,delete topics at least a day of retention, or use compact alone",
                int(s.t("min_compact_delete_retention_ms")),
            )
        elif 0 <= ms < s.t("min_retention_ms"):
            msg, rec, limit = (
                f"retention.ms={ms:,}: messages are deleted within the hour",
                "keep at least a few hours so a consumer outage does not lose data",
                int(s.t("min_retention_ms")),
            )
        else:
            continue
        yield Finding("topic.retention", "warning", "topic", topic, msg, rec, ms, limit)


# -- replication state -----------------------------------------------------------------------------
def _partition_state(view: ConfigView) -> pl.DataFrame:
    mis = {t: _int(c.get("min.insync.replicas")) or 1 for t, c in view.topic_configs.items()}
    return view.partitions.with_columns(
        n_isr=pl.col("isr").list.len(),
        n_rep=pl.col("replicas").list.len(),
        mis=pl.col("topic").replace_strict(mis, default=1, return_dtype=pl.Int64),
    )


def _per_topic(frame: pl.DataFrame) -> list[tuple[str, int, int]]:
    """(topic, affected partitions, total partitions) for every topic with any row in ``frame``."""
    if frame.is_empty():
        return []
    return [
        (t, int(n), int(m))
        for t, n, m in frame.group_by("topic").agg(pl.len(), pl.col("of").first()).sort("topic").iter_rows()
    ]


def offline_partitions(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: partitions without a leader."""
    # 1. any partition without a leader: critical (it can neither be written nor read).
    state = _partition_state(view).with_columns(of=pl.len().over("topic"))
    for topic, n, total in _per_topic(state.filter(pl.col("offline"))):
        yield Finding(
            "replication.offline",
            "critical",
            "topic",
            topic,
            f"{n} of {total} partitions have no leader (offline)",
            "bring the brokers holding their replicas back; check kafka-topics --unavailable-partitions",
            n,
            0,
        )


def under_replicated(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: online partitions with fewer in-sync replicas than replicas."""
    # 1. an online partition with fewer in-sync replicas than replicas: warning.
    state = _partition_state(view).with_columns(of=pl.len().over("topic"))
    urp = state.filter(~pl.col("offline") & (pl.col("n_isr") < pl.col("n_rep")))
    for topic, n, total in _per_topic(urp):
        yield Finding(
            "replication.under-replicated",
            "warning",
            "topic",
            topic,
            f"{n} of {total} partitions are under-replicated (ISR smaller than the replica set)",
            "check the brokers missing from the ISR: down, slow disk or network "
            "(kafka-topics --under-replicated-partitions)",
            n,
            0,
        )


def below_min_isr(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: online partitions whose ISR is smaller than their min.insync.replicas."""
    # 1. an online partition whose ISR is smaller than its min.insync.replicas: critical (acks=all fails).
    state = _partition_state(view).with_columns(of=pl.len().over("topic"))
    low = state.filter(~pl.col("offline") & (pl.col("n_isr") < pl.col("mis")))
    for topic, n, total in _per_topic(low):
        yield Finding(
            "replication.below-min-isr",
            "critical",
            "topic",
            topic,
            f"{n} of {total} partitions have fewer in-sync replicas than min.insync.replicas: "
            "acks=all writes fail",
            "restore the missing replicas; lowering min.insync.replicas trades durability for availability",
            n,
            0,
        )


def leader_skew(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: a broker leading far more partitions than the mean."""
    # 1. with 2+ brokers and enough partitions, a broker leading > max_leader_skew × the mean: warning.
    leaders = _per_broker(view.partitions.select(pl.col("leader").alias("b")))
    ids = [str(b) for b in view.brokers["broker_id"].to_list()] if view.brokers.height else []
    counts = {b: leaders.get(b, 0) for b in ids}
    total = sum(counts.values())
    if len(counts) < 2 or total < s.t("min_partitions_for_skew"):
        return
    mean = total / len(counts)
    for broker, n in sorted(counts.items()):
        if n > s.t("max_leader_skew") * mean:
            yield Finding(
                "replication.leader-skew",
                "warning",
                "broker",
                broker,
                f"leads {n} of {total} partitions ({n / mean:.1f}× the mean of {mean:.1f})",
                "run a preferred leader election "
                "(kafka-leader-election --election-type PREFERRED --all-topic-partitions)",
                round(n / mean, 2),
                s.t("max_leader_skew"),
            )


# -- config drift ----------------------------------------------------------------------------------
def config_drift(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: a cluster-wide key with differing values across brokers."""
    # 1. a key (not per-broker, not sensitive) present on every broker with differing values: warning.
    if len(view.broker_configs) < 2:
        return
    keys = set.intersection(*(set(c) for c in view.broker_configs.values())) - s.drift_ignore
    for key in sorted(keys):
        values = {b: c[key] for b, c in sorted(view.broker_configs.items())}
        if any(v is None for v in values.values()) or len(set(values.values())) < 2:
            continue
        text = ", ".join(f"broker {b}: {v}" for b, v in values.items())
        yield Finding(
            "drift.broker-config",
            "warning",
            "config",
            key,
            f"{key} differs between brokers ({text})",
            "set the same value on every broker (kafka-configs --entity-default, or each server.properties)",
            text,
            None,
        )


# -- disk balance ----------------------------------------------------------------------------------
def broker_disk_skew(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: a broker holding far more bytes on disk than the mean."""
    # 1. a broker holding more than max_broker_disk_skew × the mean bytes (cluster > min_disk_bytes): warning.
    disk = view.log_dirs.filter(~pl.col("is_future"))
    if disk.is_empty() or disk["size_bytes"].sum() < s.t("min_disk_bytes"):
        return
    per = disk.group_by("broker").agg(pl.col("size_bytes").sum()).sort("broker")
    if per.height < 2:
        return
    mean = as_float(per["size_bytes"].mean()) or 0.0
    for broker, size in per.iter_rows():
        if size > s.t("max_broker_disk_skew") * mean:
            yield Finding(
                "disk.broker-skew",
                "warning",
                "broker",
                str(broker),
                f"holds {_bytes(size)}, {size / mean:.1f}× the mean of {_bytes(mean)} per broker",
                "move replicas of the largest partitions away (kafka-reassign-partitions, or Cruise Control)",
                round(size / mean, 2),
                s.t("max_broker_disk_skew"),
            )


def partition_disk_skew(view: ConfigView, s: RuleSettings) -> Findings:
    """Rule: a partition far larger than the mean of its topic."""
    # 1. in a topic larger than min_disk_bytes, a partition over max_partition_disk_skew × the mean: warning.
    disk = view.log_dirs.filter(~pl.col("is_future"))
    if disk.is_empty():
        return
    sizes = disk.group_by("topic", "partition").agg(pl.col("size_bytes").max())
    stats = sizes.group_by("topic").agg(
        total=pl.col("size_bytes").sum(),
        mean=pl.col("size_bytes").mean(),
        top=pl.col("size_bytes").max(),
        which=pl.col("partition").sort_by("size_bytes").last(),
        n=pl.len(),
    )
    hot = stats.filter(
        (pl.col("n") > 1)
        & (pl.col("total") >= s.t("min_disk_bytes"))
        & (pl.col("top") > s.t("max_partition_disk_skew") * pl.col("mean"))
    ).sort("topic")
    for topic, _, mean, top, which, _ in hot.iter_rows():
        yield Finding(
            "disk.partition-skew",
            "warning",
            "topic",
            topic,
            f"partition {which} holds {_bytes(top)}, {top / mean:.1f}× the topic's mean "
            f"partition ({_bytes(mean)})",
            "check the producer's key distribution (a hot key); a better key or partitioner spreads the load",
            round(top / mean, 2),
            s.t("max_partition_disk_skew"),
        )


RULES: tuple[Rule, ...] = (
    Rule(
        "topic.replication-factor",
        "topic",
        "replication factor below min_replication_factor",
        replication_factor,
    ),
    Rule(
        "topic.min-insync-replicas", "topic", "min.insync.replicas out of range for the RF", topic_min_insync
    ),
    Rule(
        "topic.unclean-leader-election",
        "topic",
        "unclean leader election enabled on a topic",
        topic_unclean_election,
    ),
    Rule("topic.partition-count", "topic", "partition count above max_topic_partitions", partition_count),
    Rule(
        "topic.retention", "topic", "retention unbounded or too short for the cleanup policy", topic_retention
    ),
    Rule("cluster.partitions-per-broker", "cluster", "too many replicas on a broker", partitions_per_broker),
    Rule("replication.offline", "replication", "partitions without a leader", offline_partitions),
    Rule("replication.under-replicated", "replication", "ISR smaller than the replica set", under_replicated),
    Rule("replication.below-min-isr", "replication", "ISR smaller than min.insync.replicas", below_min_isr),
    Rule("replication.leader-skew", "replication", "leaders unevenly spread over brokers", leader_skew),
    Rule("drift.broker-config", "drift", "same key set differently on brokers", config_drift),
    Rule("disk.broker-skew", "disk", "bytes unevenly spread over brokers", broker_disk_skew),
    Rule(
        "disk.partition-skew", "disk", "bytes unevenly spread over a topic's partitions", partition_disk_skew
    ),
)
