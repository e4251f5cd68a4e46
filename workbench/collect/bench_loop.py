"""The benchmark's hot loops: an open-loop producer and a consumer.

**Open loop.** At ``throughput`` msg/s record ``i`` has an *intended* send time
``start + i / throughput``. The loop sends it then (or as soon as it can when behind) and never
waits for an ack, so a stall shows up as schedule delay and in the latency measured from the
intended time (no coordinated omission). The latencies (see ``docs/benchmark-floor.md``):

Details: docs/benchmarks.md (`workbench.collect.bench_loop`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import random
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from workbench.collect.bench_recorder import Recorder

#: Header carrying the produce() wall-clock time in µs (big-endian int64) for end-to-end latency.
SEND_HEADER = "wb_send_us"
#: Header carrying the intended send time (wall clock, µs) of an open-loop e2e record.
INTENDED_HEADER = "wb_intended_us"
#: The GIL switch interval while a benchmark runs (Python's default is 5 ms).
SWITCH_INTERVAL_S = 0.0002
#: Slack before an intended send time that the loop spends on a histogram-building step.
STEP_SLACK_NS = 100_000
_PACK = struct.Struct(">q")


@contextlib.contextmanager
def quiet_runtime() -> Iterator[None]:
    """While the loop runs: no cyclic GC pauses (objects so far frozen, collection off) and a
    short GIL switch interval so the histogram worker never holds the send loop for long."""
    was_enabled, interval = gc.isenabled(), sys.getswitchinterval()
    gc.collect()
    gc.freeze()
    gc.disable()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def payloads(record_size: int, count: int = 64, seed: int = 0) -> list[bytes]:
    """``count`` random payloads of ``record_size`` bytes, generated once before the run."""
    rng = random.Random(seed)
    return [rng.randbytes(record_size) for _ in range(count)]


@dataclass
class ProducerLoop:
    """Send ``num_records`` records open-loop at ``throughput`` msg/s (<= 0: as fast as possible).

    ``max_pause_ns`` is the loop's own longest pause: from one produce() returning to the next
    iteration (interval rotation and bookkeeping; waiting for the schedule excluded).
    """

    producer: Any
    topic: str
    num_records: int
    record_size: int
    throughput: float
    recorder: Recorder
    interval_s: float = 1.0
    warmup_records: int = 0
    warmup_s: float = 0.0
    record_latency: bool = True
    with_header: bool = False
    buffer_full: int = 0
    sent: int = 0
    max_pause_ns: int = 0
    backlog_fn: Callable[[], int] | None = None

    def on_delivery(self, err: Any, msg: Any) -> None:
        """Delivery callback (runs inside poll()): count, and sample produce() -> ack."""
        rec = self.recorder
        if err is not None:
            rec.errors += 1
            return
        rec.records += 1
        rec.bytes += self.record_size
        if self.record_latency:
            lat = msg.latency()
            if lat is not None:
                rec.samples["send_to_ack"].append(lat)

    def on_delivery_from(self, delay_ns: int, err: Any, msg: Any) -> None:
        """Open-loop delivery callback: also samples intended -> ack (``delay_ns`` + send -> ack)."""
        rec = self.recorder
        if err is not None:
            rec.errors += 1
            return
        rec.records += 1
        rec.bytes += self.record_size
        lat = msg.latency()
        if lat is not None:
            rec.samples["send_to_ack"].append(lat)
            rec.samples["intended_to_ack"].append(lat + delay_ns / 1e9)

    def run(self) -> None:
        """The loop: wait for each record's intended time, produce(), poll(0); close intervals."""
        bodies = payloads(self.record_size)
        period = 1e9 / self.throughput if self.throughput > 0 else 0.0
        timed = bool(period) and self.record_latency
        # a throttled loop builds the histograms in its own slack: no thread competes for the GIL
        self.recorder.cooperative = bool(period)
        with quiet_runtime():
            self._run(bodies, period, timed)

    def _run(self, bodies: list[bytes], period: float, timed: bool) -> None:
        rec, mask = self.recorder, len(bodies) - 1
        start = done = time.perf_counter_ns()
        rec.begin(start)
        self._tick = start + int(self.interval_s * 1e9)
        self._warm_until = start + int(self.warmup_s * 1e9)
        warm_pending = self.warmup_s > 0
        for i in range(self.num_records):
            now = time.perf_counter_ns()
            self.max_pause_ns = max(self.max_pause_ns, now - done)
            if period:
                intended = start + int(i * period)
                if now < intended:
                    now = self._wait_until(intended)
            if timed:
                delay = now - intended
                rec.samples["schedule_delay"].append(delay)
                self._send(bodies[i & mask], functools.partial(self.on_delivery_from, delay), intended)
            else:
                self._send(bodies[i & mask])
            done = time.perf_counter_ns()
            self.sent = i + 1
            if now >= self._tick or i + 1 == self.warmup_records:
                self._close(now, self.sent)
            elif warm_pending and now >= self._warm_until:
                warm_pending = False
                self._close(now, self.sent, "warmup")

    def _send(self, body: bytes, callback: Callable[..., None] | None = None, intended: int = 0) -> None:
        kw: dict[str, Any] = {} if callback is None else {"on_delivery": callback}
        while True:
            try:
                if self.with_header:
                    kw["headers"] = self._headers(intended)
                self.producer.produce(self.topic, body, **kw)
                break
            except BufferError:
                self.buffer_full += 1
                self.producer.poll(0.005)
        self.producer.poll(0)

    def _headers(self, intended_ns: int) -> list[tuple[str, bytes]]:
        out = [(SEND_HEADER, _PACK.pack(time.time_ns() // 1000))]
        if intended_ns:
            out.append((INTENDED_HEADER, _PACK.pack(self.recorder.wall_us(intended_ns))))
        return out

    def _wait_until(self, target_ns: int) -> int:
        """Build histograms and serve delivery reports while waiting; the last ~200 µs spin."""
        step = self.recorder.step
        while True:
            now = time.perf_counter_ns()
            left = target_ns - now
            if left <= 0:
                return now
            if left > STEP_SLACK_NS and step(now):
                continue
            self.producer.poll((left - 200_000) / 1e9 if left > 1_200_000 else 0)

    def phase(self, now_ns: int, sent: int) -> str:
        """``warmup`` until --warmup-records were sent and --warmup-seconds passed, then ``steady``."""
        warm = sent <= self.warmup_records if self.warmup_records else False
        return "warmup" if warm or now_ns < self._warm_until else "steady"

    def _close(self, now: int, sent: int, phase: str | None = None) -> None:
        phase = phase or self.phase(now, sent)
        backlog = self.backlog_fn() if self.backlog_fn else len(self.producer)
        self.recorder.close(now, phase, backlog)
        self._tick = now + int(self.interval_s * 1e9)

    def drain(self, timeout_s: float, done: Callable[[], bool] | None = None) -> None:
        """After the last send: poll until every record is acked (and ``done()``), closing
        intervals on schedule, or ``timeout_s`` passes."""
        deadline = time.perf_counter_ns() + int(timeout_s * 1e9)
        while True:
            # keep building in this thread while acks trickle in (no GIL hand-offs to the worker)
            self.producer.poll(0 if self.recorder.step(time.perf_counter_ns()) else 0.05)
            now = time.perf_counter_ns()
            finished = len(self.producer) == 0 and (done is None or done())
            if finished or now >= deadline:
                self._close(now, self.sent)
                return
            if now >= self._tick:
                self._close(now, self.sent)


@dataclass
class ConsumerLoop:
    """Consume until ``expected`` records arrived (or ``stop``), counting bytes and, with the
    producer's header, sampling end-to-end latency. Runs in the caller's thread or its own."""

    consumer: Any
    recorder: Recorder
    expected: int
    idle_timeout_s: float = 10.0
    end_to_end: bool = False
    consumed: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    error: str | None = None

    def run(self, tick: Callable[[int], None] | None = None) -> None:
        """Consume in batches; ``tick(now_ns)`` is called after each batch (interval closing)."""
        rec = self.recorder
        last_data = time.monotonic()
        # consume() waits for a full batch or the timeout: small batches keep e2e latency honest
        size, wait = (50, 0.002) if self.end_to_end else (500, 0.1)
        while self.consumed < self.expected and not self.stop.is_set():
            batch = self.consumer.consume(size, wait)
            now_us = time.time_ns() // 1000
            samples = rec.samples.get("end_to_end") if self.end_to_end else None
            from_intended = rec.samples.get("intended_end_to_end") if self.end_to_end else None
            for msg in batch:
                if msg.error() is not None:
                    rec.errors += 0 if self.end_to_end else 1
                    continue
                self.consumed += 1
                if not self.end_to_end:  # in e2e mode the producer side owns the counters
                    rec.bytes += len(msg.value() or b"") + len(msg.key() or b"")
                if samples is not None:
                    sent, intended = _sent_us(msg)
                    samples.append(now_us - sent)
                    if from_intended is not None and intended is not None:
                        from_intended.append(now_us - intended)
            if self.end_to_end is False:
                rec.records = self.consumed
            if batch:
                last_data = time.monotonic()
            elif time.monotonic() - last_data > self.idle_timeout_s:
                self.error = (
                    f"no record for {self.idle_timeout_s:g}s after {self.consumed} of {self.expected}"
                )
                return
            if tick is not None:
                tick(time.perf_counter_ns())


def _sent_us(msg: Any) -> tuple[int, int | None]:
    """The record's produce() time (header, else its timestamp) and intended time (µs)."""
    found = {k: _PACK.unpack(v)[0] for k, v in msg.headers() or () if v is not None and len(v) == 8}
    sent = found.get(SEND_HEADER, msg.timestamp()[1] * 1000)
    return sent, found.get(INTENDED_HEADER)
