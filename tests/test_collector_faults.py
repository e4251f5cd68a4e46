"""The offsets collector under faults, on real brokers: kill -9, a stopped coordinator, a full or
read-only disk, a crashed client process, two collectors on one cluster, a dead broker with
--duration. Invariant throughout: no reported snapshot lost, no unreadable file, no traceback."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import uuid
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from collector_proc import STATUS, Collector, commit_groups
from kafka_local import create_topic

from workbench.cli import main
from workbench.collect.offsets import GroupFilter
from workbench.collect.worker import SnapshotWorker
from workbench.config import load_settings
from workbench.errors import KafkaRequestError
from workbench.schema import DATASETS
from workbench.store import Store


def _groups(bootstrap: str, topic: str, prefix: str, n: int, partitions: int) -> list[str]:
    """n groups committing every partition of ``topic`` (admin commits, no consumers)."""
    ids = [f"{prefix}-{i}" for i in range(n)]
    commit_groups(bootstrap, topic, ids, partitions)
    return ids


@pytest.fixture
def groups1(kafka, topic_factory):
    """Four groups over a 3-partition topic on the 1-broker cluster: (bootstrap, include regex)."""
    topic = topic_factory(3)
    prefix = f"faults-{uuid.uuid4().hex[:6]}"
    _groups(kafka.bootstrap, topic, prefix, 4, 3)
    return kafka.bootstrap, f"{prefix}-.*"


def _readable_everywhere(data: Path) -> dict[str, pl.DataFrame]:
    """Every dataset of the data dir reads (the invariant "no unreadable file")."""
    store = Store(data)
    return {name: store.read(name) for name in DATASETS if (data / name).exists()}


def _no_traceback(col: Collector) -> None:
    assert not [e for e in col.errors if "Traceback" in e], col.errors


def test_kill9_loop_loses_no_reported_snapshot(groups1, tmp_path: Path):
    bootstrap, include = groups1
    data, reported = tmp_path / "data", set()
    rng = random.Random(7)
    for round_ in range(6):
        col = Collector(bootstrap, data, "k9", "--interval", "0.2s", "--include", include)
        col.wait_for(lambda c, n=round_ % 3 + 1: len(c.ok_lines()) >= n, 120, "snapshots")
        if rng.random() < 0.5:  # sometimes mid-snapshot rather than right after a line
            col.wait_for(lambda c: c.proc.poll() is None, 5, "still running")
        col.kill9()
        reported |= {STATUS.match(ln).group(1) for ln in col.ok_lines()}
        tables = _readable_everywhere(data)
        ok = tables["collections"].filter(pl.col("ok") & (pl.col("cluster") == "k9"))
        stored = {ts.strftime("%Y-%m-%dT%H:%M:%SZ") for ts in ok["ts"]}
        assert reported <= stored, reported - stored
        rows = tables["offsets"].filter(pl.col("cluster") == "k9")
        assert reported <= {ts.strftime("%Y-%m-%dT%H:%M:%SZ") for ts in rows["ts"]}


def test_two_collectors_on_one_cluster_refused_and_stale_lock_after_kill9(groups1, tmp_path: Path):
    bootstrap, include = groups1
    data = tmp_path / "data"
    first = Collector(bootstrap, data, "one", "--interval", "1h", "--include", include)
    first.wait_for(lambda c: c.ok_lines(), 120, "first snapshot")
    second = Collector(bootstrap, data, "one", "--count", "1", "--include", include)
    assert second.proc.wait(timeout=120) == 2
    second.wait_for(lambda c: c.errors, 10, "the error line")
    assert len(second.errors) == 1 and "another collector (pid" in second.errors[0], second.errors
    other = Collector(bootstrap, data, "two", "--count", "1", "--include", include)  # other cluster: fine
    assert other.proc.wait(timeout=120) == 0, other.errors
    first.kill9()
    third = Collector(bootstrap, data, "one", "--count", "1", "--include", include)
    assert third.proc.wait(timeout=120) == 0, third.errors


def test_a_crashed_client_process_is_a_recorded_failure_then_recovers(groups1, tmp_path: Path):
    bootstrap, include = groups1
    worker = SnapshotWorker(load_settings(bootstrap), timeout_s=20)
    keep = GroupFilter(include=(include,))
    try:
        assert worker.snapshot("c", keep, 120).groups == 4
        pid = worker._proc.pid
        os.kill(pid, signal.SIGSTOP)  # frozen: it cannot answer before it dies
        os.kill(pid, signal.SIGSEGV)  # pending until it runs: what librdkafka's abort does to a process
        worker._conn = _ResumeAfterSend(worker._conn, pid)
        with pytest.raises(KafkaRequestError, match=r"died \(signal SIGSEGV\)"):
            worker.snapshot("c", keep, 120)
        assert worker.snapshot("c", keep, 120).groups == 4
        assert worker.restarts == 1
    finally:
        worker.close()


class _ResumeAfterSend:
    """The worker's pipe, resuming the stopped child once the request is on its way."""

    def __init__(self, conn, pid: int) -> None:
        self._conn, self._pid = conn, pid

    def send(self, obj) -> None:
        self._conn.send(obj)
        os.kill(self._pid, signal.SIGCONT)

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


@pytest.fixture
def tmpfs(tmp_path: Path):
    """A 3 MB tmpfs (root only), unmounted afterwards."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (the fault tests need root): {done.stderr!r}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(path: Path) -> None:
    """Fill the file system holding ``path`` until a write fails."""
    with (path / "filler").open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


def test_disk_full_is_recorded_and_retried_without_traceback(groups1, tmpfs: Path):
    bootstrap, include = groups1
    data = tmpfs / "data"
    col = Collector(bootstrap, data, "full", "--interval", "0.5s", "--include", include)
    try:
        col.wait_for(lambda c: c.ok_lines(), 120, "a first snapshot")
        _fill(tmpfs)
        full = "no space left"
        col.wait_for(lambda c: [ln for ln in c.failed_lines() if full in ln.lower()], 120, "ENOSPC line")
        written = len(col.ok_lines())
        (tmpfs / "filler").unlink()
        col.wait_for(lambda c: len(c.ok_lines()) > written, 120, "a snapshot after space returns")
        assert col.proc.poll() is None
    finally:
        assert col.stop() == 0
    _no_traceback(col)
    _readable_everywhere(data)


def test_read_only_dir_is_recorded_and_retried(groups1, tmpfs: Path):
    bootstrap, include = groups1
    data = tmpfs / "data"
    col = Collector(bootstrap, data, "ro", "--interval", "0.5s", "--include", include)
    try:
        col.wait_for(lambda c: c.ok_lines(), 120, "a first snapshot")
        subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
        ro = "read-only"
        col.wait_for(lambda c: [ln for ln in c.failed_lines() if ro in ln.lower()], 120, "EROFS line")
        written = len(col.ok_lines())
        subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=True)
        col.wait_for(lambda c: len(c.ok_lines()) > written, 120, "a snapshot after rw again")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=False)
        assert col.stop() == 0
    _no_traceback(col)
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    start = Collector(bootstrap, tmpfs / "fresh", "ro", "--count", "1")
    assert start.proc.wait(timeout=60) == 2
    start.wait_for(lambda c: c.errors, 10, "the error line")
    assert start.errors == [start.errors[0]] and "read-only" in start.errors[0].lower()


@pytest.mark.slow  # runs the collector for its whole --duration 5s
def test_duration_is_wall_time_with_a_dead_broker(tmp_path: Path):
    col = Collector(
        "127.0.0.1:1", tmp_path / "data", "dead", "--interval", "2s", "--duration", "5s", "--timeout", "3s"
    )
    code = col.proc.wait(timeout=60)  # a deadline for a hang, not a timing assertion
    assert code == 1  # nothing written
    assert col.failed_lines() and not col.ok_lines()
    failed = Store(tmp_path / "data").read("collections").filter(~pl.col("ok"))
    assert 1 <= failed.height <= 3
    _no_traceback(col)


@pytest.mark.slow
def test_coordinator_stop_on_three_brokers(kafka3, tmp_path: Path):
    """Stop the broker coordinating the groups while collecting every 2 s: the collector keeps
    running, records what failed, and sees every group again once the broker is back."""
    from workbench.collect.logdirs import no_kafka_deprecations

    with no_kafka_deprecations():
        from kafka.admin import KafkaAdminClient

    topic = f"coord-{uuid.uuid4().hex[:6]}"
    create_topic(kafka3.admin(), topic, 3, 3, None)
    prefix = f"coord-{uuid.uuid4().hex[:6]}"
    ids = _groups(kafka3.bootstrap, topic, prefix, 6, 3)
    kp = KafkaAdminClient(bootstrap_servers=kafka3.bootstrap)
    coordinator = kp._manager.run(kp._find_coordinator_ids, ids[:1])[ids[0]]
    kp.close()
    col = Collector(kafka3.bootstrap, tmp_path / "data", "c3", "--interval", "2s", "--timeout", "5s",
                    "--include", f"{prefix}-.*")  # fmt: skip
    stopped = False
    try:
        col.wait_for(lambda c: c.ok_lines(), 120, "a first snapshot")
        kafka3.stop_broker(coordinator)
        stopped = True
        before = len(col.lines)
        col.wait_for(lambda c: len(c.lines) >= before + 3, 180, "three attempts with the coordinator down")
        kafka3.start_broker(coordinator)
        stopped = False
        back = len(col.lines)
        col.wait_for(
            lambda c: [ln for ln in c.lines[back:] if " 6 groups, 18 group partitions" in ln], 180, "all back"
        )
        assert col.proc.poll() is None
    finally:
        if stopped:
            kafka3.start_broker(coordinator)
        assert col.stop() == 0
    _no_traceback(col)
    rows = Store(tmp_path / "data").read("collections").filter(pl.col("cluster") == "c3")
    attempts = len(col.ok_lines()) + len(col.failed_lines())
    assert rows.height == attempts  # every attempt recorded, failed or not


@pytest.mark.parametrize(
    ("flag", "value"), [("--interval", "inf"), ("--timeout", "inf"), ("--timeout", "-1"), ("--timeout", "0")]
)
def test_bad_loop_options_are_one_line_errors(tmp_path: Path, flag: str, value: str):
    # in process (the option checks run before anything connects); a real process's exit 2 and one
    # stderr line: test_collect_offsets, test_collect_commits, test_store_faults
    args = ["collect", "offsets", "--bootstrap-server", "127.0.0.1:1", "--cluster", "x"]
    out = CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path), "--count", "1", flag, value])
    assert out.exit_code == 2, (flag, value, out.output)
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: ") and flag in out.stderr, out.stderr
    assert not (tmp_path / "offsets").exists()
