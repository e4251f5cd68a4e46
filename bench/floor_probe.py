"""Where a send loop's schedule delay comes from, measured per record (used by bench_floor.py).

A probed no-op producer notes, at every produce(), the send thread's CPU time
(``time.thread_time_ns``) and its run-queue wait (``/proc/thread-self/schedstat``, Linux); a
probed ``_wait_until`` notes the CPU time when the loop starts waiting. So each record's gap
splits into: the loop's **own work** (CPU from one produce() to the next wait: produce, poll,
delivery callbacks, interval rotation), histogram **build steps** done in the slack, time the
OS kept the thread **queued** behind other processes, and time it was **blocked** (neither
running nor queued: another Python thread holding the GIL, or the hypervisor's steal, whose
machine-wide total over the run is given too).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np


def rq_wait_ns(fd: int) -> int:
    """The thread's run-queue wait so far (ns) from its open ``schedstat`` file."""
    return int(os.pread(fd, 64, 0).split()[1])


def steal_ms() -> float:
    """CPU time the hypervisor took from this VM so far, all CPUs (``/proc/stat``), ms."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[8]) * 1000 / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def probed(mod: Any, noop_cls: type, n: int) -> tuple[type, type]:
    """A producer and a loop class (subclasses of ``mod``'s) that record per-record timings."""

    class Producer(noop_cls):  # type: ignore[misc,valid-type]
        def __init__(self, on_delivery: Any) -> None:
            super().__init__(on_delivery)
            self.wall, self.cpu, self.rq = (np.zeros(n + 1, np.int64) for _ in range(3))
            self.wait_cpu = np.full(n + 1, -1, np.int64)
            self.i, self.fd = 0, os.open("/proc/thread-self/schedstat", os.O_RDONLY)
            self.step_cpu: list[int] = []
            self.step_sum = np.zeros(n + 1, np.int64)  # steps' CPU in the wait before record i
            self.first_target = (-1, 0)  # (record, intended time) of the first wait
            self.steal0 = steal_ms()

        def produce(self, *args: Any, **kw: Any) -> None:
            i = self.i
            if i < n:
                self.cpu[i], self.rq[i] = time.thread_time_ns(), rq_wait_ns(self.fd)
                self.wall[i] = time.perf_counter_ns()
            self.i = i + 1
            super().produce(*args, **kw)

    class Loop(mod.ProducerLoop):  # type: ignore[misc,name-defined]
        def run(self) -> None:
            rec, prod = self.recorder, self.producer
            real = getattr(rec, "step", None)

            def step(now_ns: int) -> bool:
                t0 = time.thread_time_ns()
                done = real(now_ns)
                if done:
                    took = time.thread_time_ns() - t0
                    prod.step_cpu.append(took)
                    prod.step_sum[min(prod.i, n)] += took
                return done

            if real is not None:
                rec.step = step
            super().run()

        def _wait_until(self, target_ns: int) -> int:
            prod = self.producer
            if prod.i <= n:
                prod.wait_cpu[prod.i] = time.thread_time_ns()
            if prod.first_target[0] < 0:
                prod.first_target = (prod.i, target_ns)
            return super()._wait_until(target_ns)

    return Producer, Loop


def attribute(prod: Any, n: int, period_ns: float) -> dict[str, float]:
    """Per-record gap split (ms): own work, queued by the OS, blocked; their maxima and sums;
    the longest histogram-building step in the slack (CPU)."""
    wall, cpu, rq = prod.wall[:n], prod.cpu[:n], prod.rq[:n]
    wait = prod.wait_cpu[1:n]
    own = np.where(wait >= 0, wait, cpu[1:]) - cpu[:-1]
    d_wall, d_cpu, d_rq = np.diff(wall), np.diff(cpu), np.diff(rq)
    blocked = np.maximum(d_wall - d_cpu - d_rq, 0)
    late = d_wall > period_ns + 1_000_000  # gaps that made a record late by over 1 ms
    ms = 1e6
    return {
        "own_work_p999_ms": float(np.percentile(own, 99.9) / ms),
        "own_work_max_ms": float(own.max() / ms),
        "queued_by_os_max_ms": float(d_rq.max() / ms),
        "blocked_max_ms": float(blocked.max() / ms),
        "late_gaps": int(late.sum()),
        "late_gaps_own_ms": float(own[late].sum() / ms),
        "late_gaps_queued_ms": float(d_rq[late].sum() / ms),
        "late_gaps_blocked_ms": float(blocked[late].sum() / ms),
        "thread_queued_s": float((rq[-1] - rq[0]) / 1e9),
        "thread_cpu_s": float((cpu[-1] - cpu[0]) / 1e9),
        "build_step_cpu_max_ms": max(prod.step_cpu, default=0) / ms,
        "machine_steal_ms": steal_ms() - prod.steal0,
        **own_only_delay(prod, own, n, period_ns),
    }


def own_only_delay(prod: Any, own: np.ndarray, n: int, period_ns: float) -> dict[str, float]:
    """Schedule delay (ms) on a timeline where the thread only ever waits for its own CPU work
    (each gap's own work plus, conservatively, every build step in full): the OS's queueing,
    steal and GIL waits taken out."""
    first, target = prod.first_target
    if first < 0:
        return {}
    intended = target - int(first * period_ns) + (np.arange(n) * period_ns).astype(np.int64)
    delay = replay(intended, own + prod.step_sum[1:n]) / 1e6
    p99, p999, top = np.percentile(delay, [99, 99.9, 100])
    return {
        "own_only_delay_p99_ms": float(p99),
        "own_only_delay_p999_ms": float(p999),
        "own_only_delay_max_ms": float(top),
    }


def replay(intended: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Each record's delay when record ``i`` is sent at ``max(intended[i], sent[i-1] +
    cost[i-1])`` (``cost`` has one entry per gap), computed with prefix sums."""
    spent = np.concatenate(([0], np.cumsum(cost)))
    return np.maximum.accumulate(intended - spent) + spent - intended


@contextlib.contextmanager
def variant(mod: Any, name: str) -> Iterator[None]:
    """Run the new loop as a variant: ``gc-on``, ``switch-5ms`` or ``worker-thread``."""
    saved = {k: getattr(mod, k) for k in ("quiet_runtime", "SWITCH_INTERVAL_S", "STEP_SLACK_NS")}
    if name == "gc-on":

        @contextlib.contextmanager
        def gc_on() -> Iterator[None]:
            interval = sys.getswitchinterval()
            sys.setswitchinterval(mod.SWITCH_INTERVAL_S)
            gc.enable()
            try:
                yield
            finally:
                sys.setswitchinterval(interval)

        mod.quiet_runtime = gc_on
    elif name == "switch-5ms":
        mod.SWITCH_INTERVAL_S = 0.005
    elif name == "worker-thread":  # no build step in the slack: the recorder's worker builds
        mod.STEP_SLACK_NS = 10**18
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(mod, k, v)
