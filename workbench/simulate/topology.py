"""The simulated cluster's shape: topics, partitions, consumer groups and their members.

One table of topics and one of groups describe both scales: ``full`` (about a thousand
partitions, 40 groups) and ``sample`` (the small history shipped in ``data/sample``). Every
random choice (partition skew, member ids, hosts) comes from a generator seeded by the run's
seed and the thing's name, so the same seed always builds the same cluster.
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass, replace

import numpy as np

from workbench.errors import ConfigError

SCALES = ("full", "sample")


@dataclass(frozen=True)
class TopicSpec:
    """One topic: partitions per scale, traffic shape and retention.

    ``rate`` is the mean produce rate (msg/s) of a weekday at the start of the window;
    ``diurnal`` the depth of the daily swing (0 flat, 1 full); ``weekend`` the weekend factor;
    ``hot`` maps partition numbers to extra weight (hot keys); ``grows_to`` the partition count
    after the mid-week expansion, per scale.
    """

    name: str
    partitions: tuple[int, int]
    rate: float
    diurnal: float = 0.8
    weekend: float = 0.75
    retention_h: int = 72
    hot: tuple[tuple[int, float], ...] = ()
    grows_to: tuple[int, int] | None = None


@dataclass(frozen=True)
class GroupSpec:
    """One consumer group: the topics it subscribes to and its member count per scale."""

    name: str
    topics: tuple[str, ...]
    members: tuple[int, int]
    in_sample: bool = True


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec("clickstream", (200, 16), 20_000, diurnal=1.0, weekend=0.85, hot=((17, 4.0),)),
    TopicSpec("metrics-raw", (192, 8), 12_000, diurnal=0.15, weekend=0.97, retention_h=24),
    TopicSpec("search-index", (128, 8), 2_500, diurnal=0.6, weekend=0.8),
    TopicSpec("email-events", (96, 8), 1_800, diurnal=0.9, weekend=0.5),
    TopicSpec("orders", (96, 8), 900, diurnal=0.9, weekend=0.7, hot=((3, 3.0),)),
    TopicSpec("payments", (48, 6), 450, diurnal=0.9, weekend=0.7),
    TopicSpec("inventory-updates", (32, 4), 1_500, diurnal=0.5, weekend=0.6, grows_to=(48, 6)),
    TopicSpec("fraud-scores", (48, 6), 450, diurnal=0.9, weekend=0.7),
    TopicSpec("notifications", (48, 6), 700, diurnal=0.9, weekend=0.8),
    TopicSpec("user-profile", (24, 4), 120, diurnal=0.8, weekend=0.6, hot=((0, 2.5),)),
    TopicSpec("shipments", (12, 3), 60, diurnal=0.7, weekend=0.4),
    TopicSpec("audit-log", (16, 4), 300, diurnal=0.5, weekend=0.5, retention_h=168),
    TopicSpec("exchange-rates", (3, 1), 1.0, diurnal=0.0, weekend=1.0),
    TopicSpec("config-changes", (1, 1), 0.0, diurnal=0.0, weekend=1.0, retention_h=168),
    TopicSpec("dead-letter", (6, 2), 0.5, diurnal=0.5, weekend=1.0, retention_h=168),
)

GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec("analytics-etl", ("clickstream",), (8, 2)),
    GroupSpec("clickstream-sessionizer", ("clickstream",), (20, 3)),
    GroupSpec("recommendations-trainer", ("clickstream",), (10, 2), in_sample=False),
    GroupSpec("clickstream-archiver", ("clickstream",), (4, 1), in_sample=False),
    GroupSpec("metrics-ingest", ("metrics-raw",), (16, 2)),
    GroupSpec("metrics-rollup", ("metrics-raw",), (8, 2), in_sample=False),
    GroupSpec("anomaly-detector", ("metrics-raw",), (6, 1), in_sample=False),
    GroupSpec("search-indexer", ("search-index",), (8, 2)),
    GroupSpec("search-replica-sync", ("search-index",), (4, 1), in_sample=False),
    GroupSpec("email-analytics", ("email-events",), (6, 1)),
    GroupSpec("email-bounce-handler", ("email-events",), (4, 1), in_sample=False),
    GroupSpec("crm-sync", ("email-events",), (3, 1), in_sample=False),
    GroupSpec("orders-svc", ("orders",), (12, 3)),
    GroupSpec("order-fulfillment", ("orders",), (8, 2)),
    GroupSpec("orders-analytics", ("orders",), (4, 1), in_sample=False),
    GroupSpec("orders-cdc-sink", ("orders",), (4, 1), in_sample=False),
    GroupSpec("payments-ledger", ("payments",), (6, 2)),
    GroupSpec("fraud-detector", ("payments",), (6, 2)),
    GroupSpec("legacy-billing-export", ("payments",), (1, 1)),
    GroupSpec("payments-reconciler", ("payments",), (2, 1), in_sample=False),
    GroupSpec("kpi-aggregator", ("payments",), (2, 1), in_sample=False),
    GroupSpec("fraud-case-manager", ("fraud-scores",), (4, 2)),
    GroupSpec("risk-dashboard", ("fraud-scores",), (2, 1), in_sample=False),
    GroupSpec("inventory-svc", ("inventory-updates",), (8, 2)),
    GroupSpec("warehouse-sync", ("inventory-updates",), (4, 1)),
    GroupSpec("pricing-engine", ("inventory-updates", "exchange-rates"), (4, 2)),
    GroupSpec("notifications-sender", ("notifications",), (6, 2)),
    GroupSpec("push-gateway", ("notifications",), (4, 1), in_sample=False),
    GroupSpec("profile-cache-warmer", ("user-profile",), (3, 1)),
    GroupSpec("user-profile-indexer", ("user-profile",), (2, 1), in_sample=False),
    GroupSpec("gdpr-eraser", ("user-profile",), (1, 1), in_sample=False),
    GroupSpec("session-store", ("user-profile",), (2, 1), in_sample=False),
    GroupSpec("shipment-tracker", ("shipments",), (2, 1)),
    GroupSpec("customer-notifier", ("shipments",), (2, 1), in_sample=False),
    GroupSpec("audit-archiver", ("audit-log",), (2, 1)),
    GroupSpec("siem-forwarder", ("audit-log",), (4, 1), in_sample=False),
    GroupSpec("config-watcher", ("config-changes",), (3, 2)),
    GroupSpec("config-watcher-old", ("config-changes",), (1, 1)),
    GroupSpec("currency-cache", ("exchange-rates",), (1, 1), in_sample=False),
    GroupSpec("data-lake-loader", ("orders", "payments", "shipments"), (6, 2), in_sample=False),
)


def stable_rng(seed: int, *names: str) -> np.random.Generator:
    """A generator that depends only on ``seed`` and ``names`` (not on call order)."""
    keys = [zlib.crc32(n.encode()) for n in names]
    return np.random.default_rng([seed & 0xFFFFFFFF, *keys])


@dataclass(frozen=True)
class Member:
    """One consumer instance of a group (a new generation gets new member ids)."""

    member_id: str
    client_id: str
    host: str


@dataclass(frozen=True)
class Topology:
    """The cluster flattened into arrays, one entry per partition (``p_*``) or group-partition.

    Partitions that appear mid-window (the expansion) are included with ``p_created`` > 0
    (the snapshot step they appear at); every other partition has ``p_created`` 0.
    """

    topics: tuple[TopicSpec, ...]
    groups: tuple[GroupSpec, ...]
    scale: int  # index into SCALES: which column of the partition/member counts applies
    p_topic: np.ndarray  # topic index per partition
    p_num: np.ndarray  # partition number
    p_weight: np.ndarray  # share of its topic's traffic (normalized over the final partition set)
    p_created: np.ndarray  # step from which the partition exists
    gp_group: np.ndarray  # group index per group-partition
    gp_part: np.ndarray  # partition index per group-partition

    @property
    def n_partitions(self) -> int:
        """Number of partitions (including those created mid-window)."""
        return len(self.p_topic)

    def member_count(self, group: int) -> int:
        """Members of group index ``group`` at this scale."""
        return self.groups[group].members[self.scale]

    def topic_index(self, name: str) -> int:
        """Index of the topic called ``name``."""
        return next(i for i, t in enumerate(self.topics) if t.name == name)

    def group_index(self, name: str) -> int:
        """Index of the group called ``name``."""
        return next(i for i, g in enumerate(self.groups) if g.name == name)


def resized(scale: str, partitions: int | None, groups: int | None) -> tuple[tuple[TopicSpec, ...], tuple]:
    """The topics and groups of ``scale`` resized: every topic's partition count scaled so the
    cluster has about ``partitions`` (at least one each); the first ``groups`` groups, or, for more,
    copies of them named ``<group>-2``, ``<group>-3``... reading the same topics (no incidents)."""
    k = SCALES.index(scale)
    topics, chosen = TOPICS, tuple(g for g in GROUPS if k == 0 or g.in_sample)
    if partitions is not None:
        if partitions < len(TOPICS):
            raise ConfigError(
                f"--partitions must be at least {len(TOPICS)} (one per topic), got {partitions}"
            )
        factor = partitions / sum(t.partitions[k] for t in TOPICS)

        def scaled(n: int) -> int:
            return max(1, round(n * factor))

        topics = tuple(
            replace(
                t,
                partitions=_at(t.partitions, k, scaled(t.partitions[k])),
                grows_to=_at(t.grows_to, k, max(scaled(t.grows_to[k]), scaled(t.partitions[k]) + 1))
                if t.grows_to
                else None,
            )
            for t in TOPICS
        )
    if groups is not None:
        if groups < 1:
            raise ConfigError(f"--groups must be at least 1, got {groups}")
        base = chosen
        chosen = tuple(
            base[i % len(base)]
            if i < len(base)
            else replace(base[i % len(base)], name=f"{base[i % len(base)].name}-{i // len(base) + 1}")
            for i in range(groups)
        )
    return topics, chosen


def _at(pair: tuple[int, int], k: int, value: int) -> tuple[int, int]:
    return (value, pair[1]) if k == 0 else (pair[0], value)


def build_topology(
    scale: str, seed: int, growth_step: int, partitions: int | None = None, groups: int | None = None
) -> Topology:
    """Build the cluster for ``scale``, optionally resized (:func:`resized`); the expanding topic
    gains partitions at ``growth_step``."""
    if scale not in SCALES:
        raise ConfigError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    k = SCALES.index(scale)
    topic_specs, groups_ = resized(scale, partitions, groups)
    cols: dict[str, list] = {"topic": [], "num": [], "weight": [], "created": []}
    for ti, spec in enumerate(topic_specs):
        first = spec.partitions[k]
        final = spec.grows_to[k] if spec.grows_to else first
        weights = _partition_weights(spec, final, seed)
        for p in range(final):
            cols["topic"].append(ti)
            cols["num"].append(p)
            cols["weight"].append(weights[p])
            cols["created"].append(0 if p < first else growth_step)
    p_topic = np.asarray(cols["topic"], dtype=np.int64)
    gp_group, gp_part = [], []
    for gi, g in enumerate(groups_):
        for name in g.topics:
            ti = next(i for i, t in enumerate(topic_specs) if t.name == name)
            idx = np.flatnonzero(p_topic == ti)
            gp_group.extend([gi] * len(idx))
            gp_part.extend(idx.tolist())
    return Topology(
        topics=topic_specs,
        groups=groups_,
        scale=k,
        p_topic=p_topic,
        p_num=np.asarray(cols["num"], dtype=np.int32),
        p_weight=np.asarray(cols["weight"], dtype=np.float64),
        p_created=np.asarray(cols["created"], dtype=np.int64),
        gp_group=np.asarray(gp_group, dtype=np.int64),
        gp_part=np.asarray(gp_part, dtype=np.int64),
    )


def _partition_weights(spec: TopicSpec, n: int, seed: int) -> np.ndarray:
    """Mildly uneven key distribution plus the topic's hot-key partitions, summing to 1."""
    rng = stable_rng(seed, "weights", spec.name)
    w = rng.lognormal(0.0, 0.12, size=n)
    for p, mult in spec.hot:
        if p < n:
            w[p] *= mult
    return w / w.sum()


def members(seed: int, group: str, count: int, generation: int) -> list[Member]:
    """The ``count`` members of ``group`` in a generation: ids like kafka clients make them."""
    rng = stable_rng(seed, "members", group, str(generation))
    out = []
    for n in range(1, count + 1):
        uid = uuid.UUID(bytes=rng.bytes(16), version=4)
        client = f"consumer-{group}-{n}"
        a, b, c = (int(x) for x in rng.integers(1, 255, size=3))
        out.append(Member(member_id=f"{client}-{uid}", client_id=client, host=f"/10.{a}.{b}.{c}"))
    return out


def round_robin(parts: np.ndarray, p_topic: np.ndarray, p_num: np.ndarray, count: int) -> np.ndarray:
    """Member number (0-based) per partition: sorted by (topic, partition), dealt in turn."""
    order = np.lexsort((p_num[parts], p_topic[parts]))
    owner = np.empty(len(parts), dtype=np.int64)
    owner[order] = np.arange(len(parts)) % max(count, 1)
    return owner
