"""The collection loop: snapshot, store, report one line, wait; survive failures; stop cleanly.

A failed snapshot (unreachable broker, timeout, refused request) is logged with its reason,
recorded in the ``collections`` dataset, and retried at the next interval. SIGINT/SIGTERM let
the snapshot in progress finish and be written, then the loop returns.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import polars as pl

from workbench.collect.kafka import KafkaAdmin
from workbench.collect.offsets import GroupFilter, OffsetsSnapshot, snapshot_offsets
from workbench.errors import KafkaAuthError, WorkbenchError
from workbench.schema import conform
from workbench.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoopPlan:
    """When to snapshot: every ``interval``, for ``count`` snapshots or ``duration`` (or forever)."""

    interval: dt.timedelta
    count: int | None = None
    duration: dt.timedelta | None = None


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


def _record(
    store: Store, cluster: str, snap: OffsetsSnapshot | None, ts: dt.datetime, error: str | None
) -> None:
    row = {
        "ts": ts,
        "cluster": cluster,
        "kind": "offsets",
        "ok": error is None,
        "error": error,
        "groups": snap.groups if snap else None,
        "group_rows": snap.offsets.height if snap else None,
        "partitions": snap.partitions.height if snap else None,
        "duration_ms": snap.duration_s * 1000 if snap else None,
    }
    store.append("collections", conform(pl.DataFrame([row]), "collections"))


def collect_once(admin: KafkaAdmin, store: Store, cluster: str, groups: GroupFilter) -> OffsetsSnapshot:
    """One snapshot written to the store (offsets, partition offsets, collection record)."""
    snap = snapshot_offsets(admin, cluster, groups)
    store.append("offsets", snap.offsets)
    store.append("partition_offsets", snap.partitions)
    if snap.stable is not None:
        store.append("stable_offsets", snap.stable)
    _record(store, cluster, snap, snap.ts, None)
    return snap


def run_schedule(
    cluster: str,
    attempt: Callable[[], str],
    record_failure: Callable[[dt.datetime, WorkbenchError], None],
    plan: LoopPlan,
    report: Callable[[str], None],
    stop: threading.Event,
) -> LoopResult:
    """Call ``attempt`` (snapshot + write, returns a status line) every ``plan.interval`` until
    count/duration is reached or ``stop`` is set. Shared by every collector.

    Authentication failures end the loop at once (retrying cannot fix a wrong password); other
    workbench errors go to ``record_failure`` and are retried at the next interval.
    """
    result = LoopResult()
    started = time.monotonic()
    next_at = started
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
        next_at += plan.interval.total_seconds()
        if plan.duration is not None and next_at - started > plan.duration.total_seconds():
            break
        stop.wait(max(0.0, next_at - time.monotonic()))
    result.stopped_by_signal = stop.is_set()
    return result


def run_loop(
    admin: KafkaAdmin,
    store: Store,
    cluster: str,
    plan: LoopPlan,
    groups: GroupFilter,
    report: Callable[[str], None],
    stop: threading.Event,
) -> LoopResult:
    """The offsets collector: :func:`run_schedule` over :func:`collect_once`."""

    def attempt() -> str:
        return _status_line(cluster, collect_once(admin, store, cluster, groups))

    def record_failure(now: dt.datetime, err: WorkbenchError) -> None:
        _record(store, cluster, None, now, str(err))

    return run_schedule(cluster, attempt, record_failure, plan, report, stop)


def _status_line(cluster: str, snap: OffsetsSnapshot) -> str:
    lagging = snap.offsets.filter(
        pl.col("committed_offset").is_not_null() & pl.col("log_end_offset").is_not_null()
    ).select(
        (pl.col("log_end_offset") - pl.max_horizontal("committed_offset", "log_start_offset"))
        .clip(lower_bound=0)
        .sum()
    )
    total = lagging.item() or 0
    return (
        f"{_fmt_ts(snap.ts)} {cluster}: {snap.groups} groups, {snap.offsets.height} group partitions, "
        f"{snap.partitions.height} partitions, total lag {total:,} in {snap.duration_s:.2f}s"
    )


def _fmt_ts(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fmt_td(td: dt.timedelta) -> str:
    s = td.total_seconds()
    return f"{s:g}s" if s < 120 else f"{s / 60:g}m"
