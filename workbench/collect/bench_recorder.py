"""The benchmark's recorder: O(1) interval rotation on the send path, histograms built elsewhere.

The hot loops append raw samples to the current interval's buffers (``array('d')``: 8 bytes a
sample) and bump the counters. At an interval boundary :meth:`Recorder.close` only swaps in
fresh buffers: constant time. A throttled send loop builds the µs histograms itself in its
slack, one short :meth:`Recorder.step` at a time (no other Python thread competes for the GIL);
otherwise, or when the slack does not keep up, a worker thread builds them in chunks.
:meth:`Recorder.finish` completes both. Why and how it was measured: ``docs/benchmark-floor.md``.
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hdrh.histogram import HdrHistogram

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
#: Samples per :meth:`Recorder.step` in the send loop's slack (tens of µs of work).
STEP = 256
#: Closed intervals the slack may fall behind by before the worker thread takes over.
MAX_PENDING = 2
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
    #: Build histograms in the caller's :meth:`step` calls (set by a throttled send loop).
    cooperative: bool = False
    #: The longest :meth:`step`, ns (the build work done inside the send loop's slack).
    max_step_ns: int = 0

    def __post_init__(self) -> None:
        self.samples = self._fresh()
        self.cumulative: dict[str, dict[str, Any]] = {}
        self.wall0_ns = time.time_ns()
        self.mono0_ns = time.perf_counter_ns()
        self._start_ns = self.mono0_ns
        self._last = (0, 0, 0)
        self._queue: queue.SimpleQueue[tuple[int, Iterator[None]] | None] = queue.SimpleQueue()
        self._pending: collections.deque[tuple[int, Iterator[None]]] = collections.deque()
        self._current: Iterator[None] | None = None
        self._counts = {kind: _Counts() for kind in self.kinds}
        self._cum_counts: dict[tuple[str, str], np.ndarray] = {}
        # per-phase totals, allocated and touched now: a first touch in a step took ~0.3 ms
        self._spare = [_zeros() for _ in range(2 * len(self.kinds))]
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
        }
        self._last = (rec, byt, err)
        self._start_ns = now_ns
        ready = t0 + int(GRACE_S * 1e9)
        if self.cooperative:
            self._pending.append((ready, self._build(entry, old, STEP)))
            if len(self._pending) > MAX_PENDING:
                self._offload()
        else:
            self._queue.put((ready, self._build(entry, old, CHUNK)))
        self.max_close_ns = max(self.max_close_ns, time.perf_counter_ns() - t0)

    def step(self, now_ns: int) -> bool:
        """Do one short piece of histogram building on the calling thread; False if none is due."""
        if self._error is not None:
            return False
        if self._current is None:
            if not self._pending or self._pending[0][0] > now_ns:
                return False
            self._current = self._pending.popleft()[1]
        try:
            next(self._current)
        except StopIteration:
            self._current = None
        except BaseException as exc:  # surfaced by finish(), like a worker failure
            self._error, self._current = exc, None
        self.max_step_ns = max(self.max_step_ns, time.perf_counter_ns() - now_ns)
        return True

    def _offload(self) -> None:
        """The slack fell behind: hand every pending build to the worker thread, for good."""
        self.cooperative = False
        if self._current is not None:
            self._queue.put((0, self._current))
            self._current = None
        while self._pending:
            self._queue.put(self._pending.popleft())

    def finish(self, timeout_s: float = 600.0) -> None:
        """Wait until every closed interval has its histograms; re-raise a worker failure."""
        self._offload()
        self._queue.put(None)
        self._worker.join(timeout_s)
        if self._error is not None:
            raise self._error
        self._materialize()

    def _build_all(self) -> None:
        while (item := self._queue.get()) is not None:
            ready, steps = item
            if self._error is not None:
                continue
            wait = ready - time.perf_counter_ns()
            if wait > 0:
                time.sleep(wait / 1e9)
            try:
                for _ in steps:
                    time.sleep(0)  # let the send thread run between chunks
            except BaseException as exc:  # surfaced by finish() on the caller's thread
                self._error = exc

    def _build(self, entry: dict[str, Any], buffers: dict[str, array], chunk: int) -> Iterator[None]:
        """Count ``entry``'s samples into µs buckets, yielding after each short piece of work;
        the HdrHistogram objects are made by :meth:`finish` (no allocation on the send path)."""
        parts = {}
        for kind in self.kinds:
            samples, scale = buffers[kind], SCALE_TO_US[kind]
            for i in range(0, len(samples), chunk):
                self._counts[kind].add(np.asarray(samples[i : i + chunk], dtype=np.float64) * scale)
                yield
            parts[kind] = self._counts[kind].take(self._cumulative_counts(entry["phase"], kind))
            yield
        entry["histograms"] = parts
        self.intervals.append(entry)
        if self.on_interval is not None:
            self.on_interval(entry)

    def _cumulative_counts(self, phase: str, kind: str) -> np.ndarray:
        key = (phase, kind)
        if key not in self._cum_counts:
            self._cum_counts[key] = self._spare.pop() if self._spare else _zeros()
        return self._cum_counts[key]

    def _materialize(self) -> None:
        """Turn the counted intervals and phases into HdrHistograms (after the run)."""
        for entry in self.intervals:
            parts = entry["histograms"]
            entry["histograms"] = {
                k: v if isinstance(v, HdrHistogram) else v.histogram() for k, v in parts.items()
            }
        for (phase, kind), counts in self._cum_counts.items():
            index = np.flatnonzero(counts)
            self.cumulative.setdefault(phase, {})[kind] = _Part(index, counts[index]).histogram()


_TEMPLATE = hdr.new_histogram()


def _zeros() -> np.ndarray:
    """A zeroed counts array whose pages are already mapped (``np.zeros`` maps them lazily)."""
    out = np.empty(_TEMPLATE.counts_len, dtype=np.uint64)
    out.fill(0)
    return out


@dataclass
class _Part:
    """One interval's counts of one kind: nonzero bucket indices and their counts."""

    index: np.ndarray
    counts: np.ndarray

    def histogram(self) -> HdrHistogram:
        hist = hdr.new_histogram()
        if self.index.size:
            hdr.counts_array(hist)[self.index] = self.counts
            values = hdr.lowest_values(hist, self.index)
            hist.total_count = int(self.counts.sum())
            hist.min_value, hist.max_value = int(values[0]), int(values[-1])
        return hist


class _Counts:
    """A reusable dense counts array for one kind: ``add`` samples, ``take`` the interval's part."""

    def __init__(self) -> None:
        self.dense = _zeros()

    def add(self, values_us: np.ndarray) -> None:
        if values_us.size:
            ints = np.clip(np.rint(values_us), hdr.LOWEST_US, hdr.HIGHEST_US).astype(np.int64)
            np.add.at(self.dense, hdr.index_of(_TEMPLATE, ints), 1)

    def take(self, cumulative: np.ndarray) -> _Part:
        index = np.flatnonzero(self.dense)
        counts = self.dense[index]
        self.dense[index] = 0
        cumulative[index] += counts
        return _Part(index, counts)
