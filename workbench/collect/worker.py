"""Snapshots taken in a long-lived child process, so a native crash costs one snapshot.

librdkafka can abort the whole process on an assertion when a coordinator dies mid-request
(confluentinc/librdkafka#5397, unfixed in 2.16.0). The child (``spawn``: no librdkafka threads
are inherited) keeps its clients between snapshots and sends each snapshot back as Arrow IPC.
When it dies or misses its deadline the parent kills it, raises a one-line error for the loop
to record, and starts a new child for the next snapshot. Overhead: docs/collector.md.
"""

from __future__ import annotations

import io
import logging
import multiprocessing as mp
import os
import signal
from contextlib import AbstractContextManager
from multiprocessing.connection import Connection
from typing import Any

import polars as pl

from workbench import errors
from workbench.collect.offsets import GroupFilter, OffsetsSnapshot
from workbench.config import ClientSettings
from workbench.environ import temporary_env

log = logging.getLogger(__name__)

#: jemalloc (Polars' allocator) in the child gives freed pages back at once, so the child's
#: spent frame does not overlap the parent's write (1M rows: about -60 MB peak, docs/collector.md).
_CHILD_MALLOC = ("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")


def _child(
    conn: Connection, bootstrap: str, config: dict[str, str], timeout_s: float, levels: tuple[int, int]
) -> None:
    """The child's loop: one request (cluster, include, exclude) in, one answer out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    logging.basicConfig(level=levels[0], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("workbench.librdkafka").setLevel(levels[1])  # as the parent's CLI set it
    logging.getLogger("kafka").setLevel(logging.ERROR)  # its event-loop timing notices are not ours
    from workbench.collect.kafka import KafkaAdmin
    from workbench.collect.offsets import groups_client, snapshot_offsets
    from workbench.collect.open_transactions import StuckWatch

    settings = ClientSettings(bootstrap, config)
    admin: KafkaAdmin | None = None
    groups = None
    watch = StuckWatch(settings, timeout_s)
    while True:
        try:
            cluster, include, exclude = conn.recv()
        except EOFError:
            return
        try:
            admin = admin or KafkaAdmin(settings, timeout_s)
            groups = groups or groups_client(admin)
            snap = snapshot_offsets(admin, cluster, GroupFilter(include, exclude), group_client=groups)
            txns = watch.after(cluster, snap)
            conn.send(("ok", snap.ts, snap.groups, snap.duration_s, snap.failed_groups, snap.problem))
            conn.send_bytes(_ipc(snap.offsets))
            conn.send_bytes(_ipc(snap.partitions))
            conn.send_bytes(_ipc(snap.stable) if snap.stable is not None else b"")
            conn.send_bytes(_ipc(txns) if txns is not None else b"")
            del snap, txns  # not held while the child waits for the next request
        except errors.WorkbenchError as exc:
            conn.send(("error", type(exc).__name__, str(exc)))


def _ipc(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_ipc(buf, compression="lz4")  # 1 M rows: 3 MB instead of 157 MB, and faster
    return buf.getvalue()


def _child_environment() -> AbstractContextManager[None]:
    """The child's allocator setting, added last to what this process has (Polars' import
    sets its own there); the parent's environment is restored once the child has started."""
    name, value = _CHILD_MALLOC
    before = os.environ.get(name)
    return temporary_env(name, f"{before},{value}" if before else value)


class SnapshotWorker:
    """The parent's handle on the child: :meth:`snapshot` or a one-line WorkbenchError."""

    def __init__(self, settings: ClientSettings, timeout_s: float) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self.restarts = 0
        self._proc: Any = None
        self._conn: Connection | None = None

    def _start(self) -> Connection:
        if self._proc is not None and self._proc.is_alive() and self._conn is not None:
            return self._conn
        self.close()
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        levels = (logging.getLogger().level, logging.getLogger("workbench.librdkafka").getEffectiveLevel())
        args = (child, self.settings.bootstrap_servers, dict(self.settings.config), self.timeout_s, levels)
        self._proc = ctx.Process(target=_child, args=args, name="workbench-kafka-client", daemon=True)
        with _child_environment():
            self._proc.start()
        child.close()
        self._conn = parent
        return parent

    def snapshot(self, cluster: str, groups: GroupFilter, deadline_s: float) -> OffsetsSnapshot:
        """One snapshot within ``deadline_s`` seconds, or an error naming why not."""
        conn = self._start()
        try:
            conn.send((cluster, groups.include, groups.exclude))
            head = self._recv(conn, deadline_s)
            if head[0] == "error":
                raise getattr(errors, head[1], errors.KafkaRequestError)(head[2])
            offsets = pl.read_ipc(self._recv_bytes(conn, deadline_s))
            partitions = pl.read_ipc(self._recv_bytes(conn, deadline_s))
            stable_bytes = self._recv_bytes(conn, deadline_s)
            txn_bytes = self._recv_bytes(conn, deadline_s)
        except (EOFError, OSError) as exc:
            raise self._died() from exc
        stable = pl.read_ipc(stable_bytes) if stable_bytes else None
        txns = pl.read_ipc(txn_bytes) if txn_bytes else None
        _, ts, n_groups, duration_s, failed, problem = head
        return OffsetsSnapshot(ts, offsets, partitions, n_groups, duration_s, failed, problem, stable, txns)

    def _recv(self, conn: Connection, deadline_s: float) -> tuple:
        self._wait(conn, deadline_s)
        return conn.recv()

    def _recv_bytes(self, conn: Connection, deadline_s: float) -> bytes:
        self._wait(conn, deadline_s)
        return conn.recv_bytes()

    def _wait(self, conn: Connection, deadline_s: float) -> None:
        if not conn.poll(max(0.0, deadline_s)):
            self.close()
            self.restarts += 1
            raise errors.KafkaUnavailableError(
                f"snapshot did not finish within {deadline_s:.0f}s; its Kafka client was stopped "
                "and a new one starts for the next snapshot"
            )

    def _died(self) -> errors.WorkbenchError:
        proc = self._proc
        if proc is not None:
            proc.join(5)
        code = proc.exitcode if proc is not None else None
        self.close()
        self.restarts += 1
        how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
        return errors.KafkaRequestError(
            f"the Kafka client process died ({how}) during the snapshot; a new one starts for the next"
        )

    def close(self) -> None:
        """Stop the child (it holds no data of ours: nothing to flush)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(5)
            self._proc = None
