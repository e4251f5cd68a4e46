"""The benchmark's recorder: O(1) interval rotation on the send path, histograms built elsewhere.

The hot loops append raw samples to the current interval's buffers (``array('d')``: 8 bytes a
sample, no object kept) and bump the counters. At an interval boundary :meth:`Recorder.close`
only swaps in fresh buffers and queues the old ones with the counters: constant time whatever
the rate. A worker thread turns each queued interval into µs histograms in chunks
(:func:`workbench.hdr.record_many`, numpy, a few hundred µs a chunk) so the send loop is never
held for long; :meth:`Recorder.finish` waits for it. Why and how it was measured:
``docs/benchmark-floor.md``.
"""

from __future__ import annotations

import queue
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench import hdr

#: Each latency kind's sample unit -> µs factor (seconds, nanoseconds or microseconds).
SCALE_TO_US = {
    "send_to_ack": 1e6,
    "intended_to_ack": 1e6,
    "schedule_delay": 1e-3,
    "end_to_end": 1.0,
    "intended_end_to_end": 1.0,
}
#: Samples per histogram-building step on the worker thread (bounds how long it holds the GIL).
CHUNK = 16_384
#: How long after a rotation the worker waits before reading the old buffers, so an append
#: racing the swap from another thread (the e2e consumer) still lands in a buffer it reads.
GRACE_S = 0.05


@dataclass
class Recorder:
    """Counters and latency samples of the current interval; closes intervals into entries.

    The loops bump ``records``/``bytes``/``errors`` and append to ``samples[kind]`` (look the
    buffer up per append or per batch: :meth:`close` replaces it). Entries (``intervals``) and
    the per-phase ``cumulative`` histograms are complete after :meth:`finish`.
    """

    kinds: tuple[str, ...]
    on_interval: Callable[[dict[str, Any]], None] | None = None
    records: int = 0
    bytes: int = 0
    errors: int = 0
    samples: dict[str, array] = field(default_factory=dict)
    intervals: list[dict[str, Any]] = field(default_factory=list)
    #: The longest time one :meth:`close` took on the calling (send) thread, ns.
    max_close_ns: int = 0

    def __post_init__(self) -> None:
        self.samples = self._fresh()
        self.cumulative: dict[str, dict[str, Any]] = {}
        self.wall0_ns = time.time_ns()
        self.mono0_ns = time.perf_counter_ns()
        self._start_ns = self.mono0_ns
        self._last = (0, 0, 0)
        self._queue: queue.SimpleQueue[tuple[dict[str, Any], dict[str, array]] | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._worker = threading.Thread(target=self._build_all, name="workbench-bench-hdr", daemon=True)
        self._worker.start()

    def _fresh(self) -> dict[str, array]:
        return {k: array("d") for k in self.kinds}

    def wall_us(self, mono_ns: int) -> int:
        """The wall-clock time (µs since the epoch) of a ``perf_counter_ns`` reading."""
        return (self.wall0_ns + mono_ns - self.mono0_ns) // 1000

    def begin(self, now_ns: int) -> None:
        """Start the first interval at ``now_ns`` (the loop's clock start, after any set-up)."""
        self._start_ns = now_ns

    def close(self, now_ns: int, phase: str, backlog: int | None) -> None:
        """End the interval at ``now_ns``: swap the buffers and queue them (O(1))."""
        t0 = time.perf_counter_ns()
        old, self.samples = self.samples, self._fresh()
        rec, byt, err = self.records, self.bytes, self.errors
        entry = {
            "start_us": self.wall_us(self._start_ns),
            "end_us": self.wall_us(now_ns),
            "phase": phase,
            "records": rec - self._last[0],
            "bytes": byt - self._last[1],
            "errors": err - self._last[2],
            "backlog": backlog,
            "closed_ns": t0,
        }
        self._last = (rec, byt, err)
        self._start_ns = now_ns
        self._queue.put((entry, old))
        self.max_close_ns = max(self.max_close_ns, time.perf_counter_ns() - t0)

    def finish(self, timeout_s: float = 600.0) -> None:
        """Wait until every closed interval has its histograms; re-raise a worker failure."""
        self._queue.put(None)
        self._worker.join(timeout_s)
        if self._error is not None:
            raise self._error

    def _build_all(self) -> None:
        while (item := self._queue.get()) is not None:
            entry, buffers = item
            if self._error is not None:
                continue
            try:
                self._build(entry, buffers)
            except BaseException as exc:  # surfaced by finish() on the caller's thread
                self._error = exc

    def _build(self, entry: dict[str, Any], buffers: dict[str, array]) -> None:
        wait = entry.pop("closed_ns") + GRACE_S * 1e9 - time.perf_counter_ns()
        if wait > 0:
            time.sleep(wait / 1e9)
        hists = {kind: _histogram(buffers[kind], SCALE_TO_US[kind]) for kind in self.kinds}
        for kind, hist in hists.items():
            slot = self.cumulative.setdefault(entry["phase"], {})
            slot.setdefault(kind, hdr.new_histogram()).add(hist)
        entry["histograms"] = hists
        self.intervals.append(entry)
        if self.on_interval is not None:
            self.on_interval(entry)


def _histogram(samples: array, scale: float) -> Any:
    """A µs histogram of ``samples`` (times ``scale``), built CHUNK values at a time."""
    hist = hdr.new_histogram()
    for i in range(0, len(samples), CHUNK):
        hdr.record_many(hist, np.asarray(samples[i : i + CHUNK], dtype=np.float64) * scale)
        time.sleep(0)  # let the send thread run between chunks
    return hist
