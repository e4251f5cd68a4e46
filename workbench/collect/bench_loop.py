"""The benchmark's hot loops: an open-loop producer, a consumer, and the per-interval recorder.

**Open loop.** At ``throughput`` msg/s record ``i`` has an *intended* send time
``start + i / throughput``. The loop sends it then (or as soon as it can when behind) and never
waits for an ack, so a stall shows up as schedule delay (intended -> actual send) and the
latency measured from the intended time is not hidden (no coordinated omission). Three latencies:

* ``send_to_ack``: produce() -> delivery report (``Message.latency()``, evaluated inside
  poll(); the loop calls ``poll(0)`` after every produce(), so the delay to the poll is small);
* ``schedule_delay``: intended send time -> produce() call (not recorded when unthrottled);
* ``end_to_end``: produce() wall clock (a µs header) -> the consumer has the record.

Payloads are pre-generated; a full local queue (``BufferError``) is counted and the record
retried after ``poll``. Samples are appended to plain lists and turned into histograms once
per interval (:func:`workbench.hdr.record_many`), keeping the per-record cost to an append.
"""

from __future__ import annotations

import random
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workbench import hdr

#: Header carrying the produce() wall-clock time in µs (big-endian int64) for end-to-end latency.
SEND_HEADER = "wb_send_us"
#: Each latency kind's sample unit -> µs factor.
SCALE_TO_US = {"send_to_ack": 1e6, "schedule_delay": 1e-3, "end_to_end": 1.0}
_PACK = struct.Struct(">q")


def payloads(record_size: int, count: int = 64, seed: int = 0) -> list[bytes]:
    """``count`` random payloads of ``record_size`` bytes, generated once before the run."""
    rng = random.Random(seed)
    return [rng.randbytes(record_size) for _ in range(count)]


@dataclass
class Recorder:
    """Counters and latency samples of the current interval; closes intervals into rows.

    The loops bump ``records``/``bytes``/``errors`` and append samples to ``samples[kind]``
    (a consumer thread may append concurrently: :meth:`close` drains only what it saw).
    """

    kinds: tuple[str, ...]
    on_interval: Callable[[dict[str, Any]], None] | None = None
    records: int = 0
    bytes: int = 0
    errors: int = 0
    samples: dict[str, list[float]] = field(default_factory=dict)
    intervals: list[dict[str, Any]] = field(default_factory=list)
    _last: tuple[int, int, int] = (0, 0, 0)
    _start_ns: int = 0

    def __post_init__(self) -> None:
        self.samples = {k: [] for k in self.kinds}
        self.cumulative: dict[str, dict[str, Any]] = {}
        self.wall0_ns = time.time_ns()
        self.mono0_ns = time.perf_counter_ns()
        self._start_ns = self.mono0_ns

    def wall_us(self, mono_ns: int) -> int:
        """The wall-clock time (µs since the epoch) of a ``perf_counter_ns`` reading."""
        return (self.wall0_ns + mono_ns - self.mono0_ns) // 1000

    def close(self, now_ns: int, phase: str, backlog: int | None) -> None:
        """End the interval at ``now_ns``: one entry with counts and one histogram per kind."""
        rec, byt, err = self.records, self.bytes, self.errors
        hists = {}
        for kind in self.kinds:
            lst = self.samples[kind]
            n = len(lst)
            values = lst[:n]
            del lst[:n]
            scale = SCALE_TO_US[kind]
            hists[kind] = hdr.from_values([v * scale for v in values])
            self._add_cumulative(phase, kind, hists[kind])
        entry = {
            "start_us": self.wall_us(self._start_ns),
            "end_us": self.wall_us(now_ns),
            "phase": phase,
            "records": rec - self._last[0],
            "bytes": byt - self._last[1],
            "errors": err - self._last[2],
            "backlog": backlog,
            "histograms": hists,
        }
        self._last = (rec, byt, err)
        self._start_ns = now_ns
        self.intervals.append(entry)
        if self.on_interval is not None:
            self.on_interval(entry)

    def _add_cumulative(self, phase: str, kind: str, hist: Any) -> None:
        slot = self.cumulative.setdefault(phase, {})
        if kind not in slot:
            slot[kind] = hdr.new_histogram()
        slot[kind].add(hist)


@dataclass
class ProducerLoop:
    """Send ``num_records`` records open-loop at ``throughput`` msg/s (<= 0: as fast as possible)."""

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

    def run(self) -> None:
        """The loop: wait for each record's intended time, produce(), poll(0); close intervals."""
        bodies = payloads(self.record_size)
        mask = len(bodies) - 1
        period = 1e9 / self.throughput if self.throughput > 0 else 0.0
        delays = self.recorder.samples.get("schedule_delay") if self.record_latency else None
        start = time.perf_counter_ns()
        self._tick = start + int(self.interval_s * 1e9)
        self._warm_until = start + int(self.warmup_s * 1e9)
        send = self._send_with_header if self.with_header else self._send
        warm_pending = self.warmup_s > 0
        for i in range(self.num_records):
            now = time.perf_counter_ns()
            if period:
                intended = start + int(i * period)
                if now < intended:
                    now = self._wait_until(intended)
                if delays is not None:
                    delays.append(now - intended)
            send(bodies[i & mask])
            self.sent = i + 1
            if now >= self._tick or i + 1 == self.warmup_records:
                self._close(now, self.sent)
            elif warm_pending and now >= self._warm_until:
                warm_pending = False
                self._close(now, self.sent, "warmup")

    def _send(self, body: bytes) -> None:
        while True:
            try:
                self.producer.produce(self.topic, body)
                break
            except BufferError:
                self.buffer_full += 1
                self.producer.poll(0.005)
        self.producer.poll(0)

    def _send_with_header(self, body: bytes) -> None:
        while True:
            try:
                stamp = _PACK.pack(time.time_ns() // 1000)
                self.producer.produce(self.topic, body, headers=[(SEND_HEADER, stamp)])
                break
            except BufferError:
                self.buffer_full += 1
                self.producer.poll(0.005)
        self.producer.poll(0)

    def _wait_until(self, target_ns: int) -> int:
        """Serve delivery reports while waiting; the last ~200 µs spin for accuracy."""
        while True:
            now = time.perf_counter_ns()
            left = target_ns - now
            if left <= 0:
                return now
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
            self.producer.poll(0.05)
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
        samples = rec.samples.get("end_to_end") if self.end_to_end else None
        last_data = time.monotonic()
        # consume() waits for a full batch or the timeout: small batches keep e2e latency honest
        size, wait = (50, 0.002) if self.end_to_end else (500, 0.1)
        while self.consumed < self.expected and not self.stop.is_set():
            batch = self.consumer.consume(size, wait)
            now_us = time.time_ns() // 1000
            for msg in batch:
                if msg.error() is not None:
                    rec.errors += 0 if self.end_to_end else 1
                    continue
                self.consumed += 1
                if not self.end_to_end:  # in e2e mode the producer side owns the counters
                    rec.bytes += len(msg.value() or b"") + len(msg.key() or b"")
                if samples is not None:
                    samples.append(now_us - _sent_us(msg))
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


def _sent_us(msg: Any) -> int:
    for key, value in msg.headers() or ():
        if key == SEND_HEADER and value is not None and len(value) == 8:
            return _PACK.unpack(value)[0]
    return msg.timestamp()[1] * 1000
