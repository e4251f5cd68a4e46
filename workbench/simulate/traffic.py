"""The produce side: per-partition message rates, log-end and log-start offsets.

Rates follow a daily curve (peak 15:00, trough 03:00 cluster-local time, UTC+1), quieter
weekends, a few percent of growth a week and smooth noise (sums of slow sinusoids, so a
snapshot's value does not depend on how the window is chunked). Log-end offsets are the running
sum of the messages produced, so they never decrease. Log-start offsets follow retention: the
log end of ``retention`` ago, rounded down to the hourly segment roll.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.simulate.topology import Topology, stable_rng

LOCAL_UTC_OFFSET_S = 3600  # the cluster's users live in UTC+1
PEAK_HOUR = 15.0  # local
WEEKLY_GROWTH = 0.03
SEGMENT_S = 3600
_DIURNAL_MEAN = 0.2 + 3 / 8  # mean of 0.2 + ((1 + cos x) / 2)**2 over a day
_PREHISTORY_FACTOR = 0.8  # mean rate over a past week relative to a weekday


@dataclass(frozen=True)
class Clock:
    """The snapshot grid: ``n_steps`` snapshots ``interval_s`` apart from ``start_s`` (Unix)."""

    start_s: int
    interval_s: int
    n_steps: int

    def seconds(self, t0: int, t1: int, offset: float = 0.0) -> np.ndarray:
        """Unix seconds of steps [t0, t1), shifted by ``offset`` steps."""
        return self.start_s + (np.arange(t0, t1, dtype=np.float64) + offset) * self.interval_s


def topic_factor(topo: Topology, clock: Clock, secs: np.ndarray, seed: int) -> np.ndarray:
    """Rate multiplier per (time, topic): diurnal × weekly × growth × (1 + noise)."""
    local = secs + LOCAL_UTC_OFFSET_S
    hour = (local / 3600.0) % 24.0
    shape = (0.2 + ((1 + np.cos(2 * np.pi * (hour - PEAK_HOUR) / 24.0)) / 2) ** 2) / _DIURNAL_MEAN
    dow = (local / 86400.0 + 3.0) % 7.0  # 0 = Monday 00:00 local (1970-01-01 was a Thursday)
    weekend = _sigmoid(24 * (dow - 5)) * _sigmoid(-24 * (dow - 7)) + _sigmoid(-24 * dow)
    weeks = (secs - clock.start_s) / (7 * 86400.0)
    growth = (1 + WEEKLY_GROWTH) ** weeks
    out = np.empty((len(secs), len(topo.topics)))
    for k, spec in enumerate(topo.topics):
        diurnal = 1 + spec.diurnal * (shape - 1)
        weekly = 1 - (1 - spec.weekend) * weekend
        noise = _smooth_noise(secs, stable_rng(seed, "topic-noise", spec.name), 4, 0.03, (1200, 28800))
        out[:, k] = diurnal * weekly * growth * (1 + noise)
    return out


def partition_rates(topo: Topology, clock: Clock, t0: int, t1: int, seed: int) -> np.ndarray:
    """Mean produce rate (msg/s) per (step interval, partition) for the intervals ending at [t0, t1).

    The interval ending at step ``t`` is (t-1, t]; rates are taken at its midpoint. A partition
    produces nothing before it exists.
    """
    secs = clock.seconds(t0, t1, offset=-0.5)
    factor = topic_factor(topo, clock, secs, seed)  # (T, K)
    base = np.array([s.rate for s in topo.topics])
    steps = np.arange(t0, t1, dtype=np.float64)[:, None] - 0.5
    exists = steps >= topo.p_created[None, :]
    share = topo.p_weight[None, :] * exists
    onehot = np.zeros((topo.n_partitions, len(topo.topics)))
    onehot[np.arange(topo.n_partitions), topo.p_topic] = 1.0
    topic_sum = share @ onehot  # (T, K): weight of the partitions that exist
    share = share / np.where(topic_sum > 0, topic_sum, 1.0)[:, topo.p_topic]
    rates = (factor * base[None, :])[:, topo.p_topic] * share
    return rates * (1 + _partition_noise(topo, secs, seed))


def _partition_noise(topo: Topology, secs: np.ndarray, seed: int) -> np.ndarray:
    rng = stable_rng(seed, "partition-noise")
    n = topo.n_partitions
    periods = rng.uniform(600, 10800, size=(2, n))
    phases = rng.uniform(0, 2 * np.pi, size=(2, n))
    x = secs[:, None]
    return 0.03 * (
        np.sin(2 * np.pi * x / periods[0] + phases[0]) + np.sin(2 * np.pi * x / periods[1] + phases[1])
    )


def _smooth_noise(
    secs: np.ndarray, rng: np.random.Generator, parts: int, amp: float, period_range: tuple[float, float]
) -> np.ndarray:
    periods = rng.uniform(*period_range, size=parts)
    phases = rng.uniform(0, 2 * np.pi, size=parts)
    return amp * np.sin(2 * np.pi * secs[:, None] / periods[None, :] + phases[None, :]).sum(axis=1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


@dataclass
class ProduceHistory:
    """Log-end offsets of every partition at every snapshot, plus what retention needs."""

    leo: np.ndarray  # (n_steps, P) int64
    leo0: np.ndarray  # (P,) log end at step 0
    mean_rate: np.ndarray  # (P,) mean rate before the window (for log starts before it)
    max_inc: np.ndarray  # (P,) most messages produced in one interval


def initial_offsets(topo: Topology, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(log end at the window's start, mean rate before it) per partition: topics are months old."""
    rng = stable_rng(seed, "initial-offsets")
    base = np.array([s.rate for s in topo.topics])[topo.p_topic]
    mean_rate = base * topo.p_weight * _PREHISTORY_FACTOR * (topo.p_created == 0)
    age_s = rng.uniform(20, 400, size=len(base))[topo.p_topic] * 86400
    leftover = rng.integers(1_000, 50_000, size=len(base))  # idle topics keep an old offset
    leo0 = np.floor(mean_rate * age_s).astype(np.int64) + leftover * (topo.p_created == 0)
    return leo0, mean_rate


def produce(topo: Topology, clock: Clock, seed: int, chunks: list[tuple[int, int]]) -> ProduceHistory:
    """Generate the log-end offsets of the whole window, chunk by chunk."""
    leo0, mean_rate = initial_offsets(topo, seed)
    leo = np.empty((clock.n_steps, topo.n_partitions), dtype=np.int64)
    cum = np.zeros(topo.n_partitions)
    max_inc = np.zeros(topo.n_partitions)
    for t0, t1 in chunks:
        msgs = partition_rates(topo, clock, t0, t1, seed) * clock.interval_s
        if t0 == 0:
            msgs[0] = 0.0  # step 0 is the starting point
        running = cum + np.cumsum(msgs, axis=0)
        leo[t0:t1] = leo0 + np.floor(running).astype(np.int64)
        cum = running[-1]
        max_inc = np.maximum(max_inc, msgs.max(axis=0))
    return ProduceHistory(leo=leo, leo0=leo0, mean_rate=mean_rate, max_inc=max_inc)


def log_start(topo: Topology, clock: Clock, hist: ProduceHistory, t0: int, t1: int) -> np.ndarray:
    """Log-start offsets (T, P) for steps [t0, t1): the log end of one retention ago, segment-rounded."""
    ret_steps = np.array([s.retention_h * 3600 // clock.interval_s for s in topo.topics])[topo.p_topic]
    seg = max(1, SEGMENT_S // clock.interval_s)
    steps = np.arange(t0, t1)[:, None]
    idx = np.floor_divide(steps - ret_steps[None, :], seg) * seg
    inside = np.take_along_axis(hist.leo, np.clip(idx, 0, None), axis=0)
    before = hist.leo0[None, :] - np.floor(hist.mean_rate[None, :] * (-idx) * clock.interval_s).astype(
        np.int64
    )
    return np.where(idx >= 0, inside, np.maximum(before, 0))
