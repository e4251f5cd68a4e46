"""The collection loop: snapshot, store, report one line, wait; survive failures; stop cleanly.

A failed snapshot (unreachable broker, timeout, a crashed client process, a full or read-only
disk) is logged with its reason, recorded in ``collections`` when the disk allows, and retried
at the next interval. ``--duration`` is wall time: a snapshot still running at the end is cut
off. SIGINT/SIGTERM let the snapshot in progress finish and be written, then the loop returns.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import polars as pl

from workbench.collect.offsets import GroupFilter, OffsetsSnapshot
from workbench.collect.plan import LoopPlan
from workbench.collect.worker import SnapshotWorker
from workbench.errors import KafkaAuthError, StoreError, WorkbenchError
from workbench.schema import CLOCK_FLAG_PREFIX, conform
from workbench.store import Store

__all__ = ["LoopPlan", "LoopResult", "run_loop", "run_schedule", "stop_on_signals"]

log = logging.getLogger(__name__)


@dataclass
class LoopResult:
    """What a loop did."""

    attempts: int = 0
    ok: int = 0
    failed: int = 0
    stopped_by_signal: bool = False


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT/SIGTERM while the block runs (main thread only)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, _frame: object) -> None:
        log.info("signal %d: finishing the current snapshot, then stopping", signum)
        stop.set()

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def run_schedule(
    cluster: str,
    attempt: Callable[[], str],
    record_failure: Callable[[dt.datetime, WorkbenchError], None],
    plan: LoopPlan,
    report: Callable[[str], None],
    stop: threading.Event,
) -> LoopResult:
    """Call ``attempt`` (snapshot + write, returns a status line) every ``plan.interval`` until
    count/duration (wall time from the start) is reached or ``stop`` is set.

    Authentication failures end the loop at once (retrying cannot fix a wrong password); other
    workbench errors go to ``record_failure`` and are retried at the next interval slot.
    """
    result = LoopResult()
    every = plan.interval.total_seconds()
    end = time.monotonic() + plan.duration.total_seconds() if plan.duration else math.inf
    next_at = time.monotonic()
    while not stop.is_set():
        result.attempts += 1
        try:
            line = attempt()
        except KafkaAuthError:
            raise
        except WorkbenchError as err:
            result.failed += 1
            now = dt.datetime.now(dt.UTC)
            log.info("snapshot failed: %s", err)
            record_failure(now, err)
            report(f"{_fmt_ts(now)} {cluster}: snapshot FAILED: {err} (retrying in {_fmt_td(plan.interval)})")
        else:
            result.ok += 1
            report(line)
        if plan.count is not None and result.attempts >= plan.count:
            break
        mono = time.monotonic()
        next_at += every * max(1, math.ceil((mono - next_at) / every))  # skip slots an overrun missed
        if next_at >= end:
            stop.wait(max(0.0, end - mono))
            break
        stop.wait(max(0.0, next_at - mono))
    result.stopped_by_signal = stop.is_set()
    return result


@dataclass
class _Clock:
    """The previous snapshot's stamp, to flag a clock step back or a too-short gap."""

    interval_s: float
    previous: dt.datetime | None = None

    def flag(self, ts: dt.datetime) -> str | None:
        prev, self.previous = self.previous, ts
        if prev is None:
            return None
        gap = (ts - prev).total_seconds()
        if gap < 0:
            return f"{CLOCK_FLAG_PREFIX}the clock stepped back {-gap:.3f}s since the previous snapshot"
        if gap == 0:
            return f"{CLOCK_FLAG_PREFIX}the clock did not advance since the previous snapshot"
        if gap < self.interval_s / 10:
            return f"{CLOCK_FLAG_PREFIX}{gap:.3f}s after the previous snapshot, under a tenth of the interval"
        return None


def run_loop(
    worker: SnapshotWorker,
    store: Store,
    cluster: str,
    plan: LoopPlan,
    groups: GroupFilter,
    report: Callable[[str], None],
    stop: threading.Event,
    warn: Callable[[str], None] = log.warning,
) -> LoopResult:
    """The offsets collector: :func:`run_schedule` over one worker snapshot and its writes."""
    every = plan.interval.total_seconds()
    clock = _Clock(every, _newest_stored(store, cluster))
    end = time.monotonic() + plan.duration.total_seconds() if plan.duration else math.inf

    def attempt() -> str:
        limit = min(max(every, 2 * worker.timeout_s + 10), end - time.monotonic())
        snap = worker.snapshot(cluster, groups, max(1.0, limit))
        note = _join(clock.flag(snap.ts), snap.problem)
        _write(store, cluster, snap, note)
        if snap.duration_s > every / 2:
            warn(
                f"warning: the snapshot took {snap.duration_s:.1f}s, over half the {_fmt_td(plan.interval)} "
                "interval; use a longer --interval or narrow it with --include/--exclude"
            )
        if note:
            warn(f"warning: {note}")
        return _status_line(cluster, snap)

    def record_failure(now: dt.datetime, err: WorkbenchError) -> None:
        try:
            _record(store, cluster, None, now, str(err))
        except StoreError as exc:
            warn(f"warning: the failure could not be recorded either: {exc}")

    return run_schedule(cluster, attempt, record_failure, plan, report, stop)


def _newest_stored(store: Store, cluster: str) -> dt.datetime | None:
    """The newest stored snapshot of ``cluster`` if it is within a day of now (else an import)."""
    try:
        newest = store.latest_ts("partition_offsets", cluster)
    except (WorkbenchError, OSError) as exc:
        log.info("newest stored snapshot unknown: %s", exc)
        return None
    if newest is None or abs((dt.datetime.now(dt.UTC) - newest).total_seconds()) > 86400:
        return None
    return newest


def _join(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "; ".join(kept) if kept else None


def _write(store: Store, cluster: str, snap: OffsetsSnapshot, note: str | None) -> None:
    """The snapshot's datasets, then its ``collections`` row (the completion marker) last."""
    _guarded(store, lambda: store.append("offsets", snap.offsets))
    _guarded(store, lambda: store.append("partition_offsets", snap.partitions))
    stable, open_txns = snap.stable, snap.open_transactions
    if stable is not None:
        _guarded(store, lambda: store.append("stable_offsets", stable))
    if open_txns is not None and open_txns.height:
        _guarded(store, lambda: store.append("open_transactions", open_txns))
    _record(store, cluster, snap, snap.ts, note)


def _guarded(store: Store, write: Callable[[], object]) -> None:
    """Run a store write; a full or read-only disk (any write failure) becomes a StoreError."""
    try:
        write()
    except StoreError:
        raise
    except Exception as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0][:200] or type(exc).__name__
        raise StoreError(
            f"cannot write to {getattr(store, 'root', 'the data directory')}: {reason}; "
            "retrying at the next interval"
        ) from exc


def _record(
    store: Store, cluster: str, snap: OffsetsSnapshot | None, ts: dt.datetime, error: str | None
) -> None:
    row = {
        "ts": ts,
        "cluster": cluster,
        "kind": "offsets",
        "ok": snap is not None,
        "error": error,
        "groups": snap.groups if snap else None,
        "group_rows": snap.offsets.height if snap else None,
        "partitions": snap.partitions.height if snap else None,
        "duration_ms": snap.duration_s * 1000 if snap else None,
    }
    _guarded(store, lambda: store.append("collections", conform(pl.DataFrame([row]), "collections")))


def _status_line(cluster: str, snap: OffsetsSnapshot) -> str:
    lagging = snap.offsets.filter(
        pl.col("committed_offset").is_not_null() & pl.col("log_end_offset").is_not_null()
    ).select(
        (pl.col("log_end_offset") - pl.max_horizontal("committed_offset", "log_start_offset"))
        .clip(lower_bound=0)
        .sum()
    )
    total = lagging.item() or 0
    partial = f" ({snap.failed_groups} groups did not answer)" if snap.failed_groups else ""
    return (
        f"{_fmt_ts(snap.ts)} {cluster}: {snap.groups} groups, {snap.offsets.height} group partitions, "
        f"{snap.partitions.height} partitions, total lag {total:,} in {snap.duration_s:.2f}s{partial}"
    )


def _fmt_ts(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fmt_td(td: dt.timedelta) -> str:
    s = td.total_seconds()
    return f"{s:g}s" if s < 120 else f"{s / 60:g}m"
