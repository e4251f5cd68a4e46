"""The benchmark recorder: O(1) rotation on the caller's thread, histograms built in the send
loop's slack or on its worker (the same counts as HdrHistogram either way), no sample lost or
counted twice across rotations, failures surfaced; the bench command's terminal progress line."""

from __future__ import annotations

import io
import sys
import threading
import time

import numpy as np
import pytest

from workbench import hdr
from workbench.collect import bench_recorder as recorder_mod
from workbench.collect.bench import BenchSpec
from workbench.collect.bench_recorder import Recorder
from workbench.collect.bench_summary import startup_note


def test_every_sample_lands_in_exactly_one_interval_while_another_thread_appends() -> None:
    rec = Recorder(("send_to_ack", "end_to_end"))
    stop = threading.Event()
    appended = [0]

    def consumer() -> None:  # like the e2e consumer: looks the buffer up per batch
        while not stop.is_set():
            buf = rec.samples["end_to_end"]
            for _ in range(50):
                buf.append(1500.0)
            appended[0] += 50

    thread = threading.Thread(target=consumer)
    thread.start()
    for i in range(1, 41):
        for _ in range(1000):
            rec.samples["send_to_ack"].append(0.002)  # 2 ms in seconds
        rec.records += 1000
        rec.close(i * 1_000_000, "steady", None)
    stop.set()
    thread.join()
    rec.close(41 * 1_000_000, "steady", None)
    rec.finish()
    assert len(rec.intervals) == 41
    assert [e["records"] for e in rec.intervals] == [1000] * 40 + [0]
    ack = rec.cumulative["steady"]["send_to_ack"]
    assert ack.get_total_count() == 40_000 and hdr.summarize(ack)["p50_ms"] == pytest.approx(2.0, rel=1e-3)
    assert rec.cumulative["steady"]["end_to_end"].get_total_count() == appended[0]


def test_worker_failure_is_raised_by_finish() -> None:
    def broken_progress(entry: dict) -> None:
        raise RuntimeError("progress display failed")

    rec = Recorder(("send_to_ack",), on_interval=broken_progress)
    rec.samples["send_to_ack"].append(0.001)
    rec.close(1, "steady", None)
    rec.close(2, "steady", None)  # later intervals are skipped, not built on a failed state
    with pytest.raises(RuntimeError, match="progress display failed"):
        rec.finish()


def _recorded(first_ms: float, later_ms: float, first_n: int, later_n: int, intervals: int) -> Recorder:
    rec = Recorder(("send_to_ack",))
    for i in range(intervals):
        n, ms = (first_n, first_ms) if i == 0 else (later_n, later_ms)
        rec.samples["send_to_ack"].extend([ms / 1000] * n)
        rec.records += n
        rec.close((i + 1) * 1_000_000_000, "steady", None)
    rec.finish()
    return rec


@pytest.mark.parametrize(
    ("first_ms", "first_n", "intervals", "warmup_s", "warns"),
    [
        (740.0, 20_000, 1, 0.0, True),  # the whole short run inside one interval
        (40.0, 1000, 10, 0.0, True),  # a slow first second among ten
        (2.0, 1000, 10, 0.0, False),  # steady from the start
        (740.0, 20_000, 1, 2.0, False),  # start-up excluded as warm-up: nothing to say
    ],
)
def test_startup_note(first_ms: float, first_n: int, intervals: int, warmup_s: float, warns: bool) -> None:
    spec = BenchSpec("producer", "t", 30_000, warmup_s=warmup_s)
    note = startup_note(_recorded(first_ms, 2.0, first_n, 1000, intervals), spec)
    assert (note is not None) is warns
    if warns:
        assert "--warmup-seconds" in note


def _filled(rec: Recorder, intervals: int, per_interval: int) -> list[list[float]]:
    """Close ``intervals`` intervals of send-to-ack samples (seconds); the samples per interval."""
    rng = np.random.default_rng(7)
    out = []
    for i in range(intervals):
        values = (rng.exponential(0.002, per_interval) + 1e-5).tolist()
        rec.samples["send_to_ack"].extend(values)
        rec.close((i + 1) * 1_000_000_000, "steady", None)
        out.append(values)
    return out


def _same_counts(hist, values_s: list[float]) -> bool:
    expected = hdr.from_values(np.array(values_s) * 1e6)
    same = np.array_equal(hdr.counts_array(hist), hdr.counts_array(expected))
    stats = ("get_total_count", "get_min_value", "get_max_value")
    return same and all(getattr(hist, s)() == getattr(expected, s)() for s in stats)


@pytest.mark.parametrize(
    ("mode", "intervals", "steps"),
    [
        ("cooperative, every step taken by the caller", 2, True),
        ("cooperative, no step taken: the worker takes over", recorder_mod.MAX_PENDING + 2, False),
        ("worker thread only", 3, False),
    ],
)
def test_histograms_equal_hdrhistogram_counts_whoever_builds_them(
    mode: str, intervals: int, steps: bool
) -> None:
    rec = Recorder(("send_to_ack",), cooperative=mode.startswith("cooperative"))
    values = _filled(rec, intervals, 3000)
    taken = 0
    while steps and rec.step(time.perf_counter_ns() + 10**9):  # past the grace period
        taken += 1
    assert (taken > 0) is steps
    assert rec.cooperative is steps  # building in the caller's slack, or the worker took over
    rec.finish()
    assert [e["records"] for e in rec.intervals] == [0] * intervals
    assert all(
        _same_counts(e["histograms"]["send_to_ack"], v) for e, v in zip(rec.intervals, values, strict=True)
    )
    assert _same_counts(rec.cumulative["steady"]["send_to_ack"], [x for v in values for x in v])


def test_a_step_is_short_work_and_a_step_failure_is_raised_by_finish() -> None:
    def broken_progress(entry: dict) -> None:
        raise RuntimeError("progress display failed")

    rec = Recorder(("send_to_ack",), on_interval=broken_progress, cooperative=True)
    _filled(rec, 1, 10 * recorder_mod.STEP)
    assert not rec.step(time.perf_counter_ns())  # within the grace period: nothing is due
    later = time.perf_counter_ns() + 10**9
    taken = sum(1 for _ in iter(lambda: rec.step(later), False))
    assert taken == 10 + 2  # one per STEP samples, one to take the counts, one to hand the entry on
    with pytest.raises(RuntimeError, match="progress display failed"):
        rec.finish()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_one_plain_line_cleared_at_the_end(monkeypatch) -> None:
    from workbench.cli.bench import _with_progress

    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    spec = BenchSpec("producer", "t", 10)

    def run(progress) -> str:
        progress(5, 10)
        progress(10, 10)
        return "done"

    assert _with_progress(run, spec, quiet=False) == "done"
    assert "\rproducer 5/10 records, 0 s\rproducer 10/10 records, 0 s" in term.getvalue()
    assert term.getvalue().endswith("\r\x1b[K")
