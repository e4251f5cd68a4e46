"""The benchmark recorder: O(1) rotation on the caller's thread, histograms built on its worker,
no sample lost or counted twice across rotations, worker failures surfaced."""

from __future__ import annotations

import threading

import pytest

from workbench import hdr
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
