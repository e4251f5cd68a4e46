"""A `workbench collect offsets` process for fault tests and the soak script: lines read as they come."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATUS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \S+: \d+ groups, ")
FAILED = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \S+: snapshot FAILED: ")


class Collector:
    """Start a collector; ``lines`` and ``errors`` fill from stdout/stderr in background threads."""

    def __init__(self, bootstrap: str, data_dir: Path, cluster: str, *args: str) -> None:
        cmd = [sys.executable, "-m", "workbench", "collect", "offsets", "--bootstrap-server", bootstrap]
        cmd += ["--cluster", cluster, "--data-dir", str(data_dir), *args]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        for stream, sink in ((self.proc.stdout, self.lines), (self.proc.stderr, self.errors)):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    def _pump(self, stream, sink: list[str]) -> None:
        for line in stream:
            sink.append(line.rstrip("\n"))
            self._new.put(line)

    def ok_lines(self) -> list[str]:
        return [ln for ln in self.lines if STATUS.match(ln)]

    def failed_lines(self) -> list[str]:
        return [ln for ln in self.lines if FAILED.match(ln)]

    def wait_for(self, predicate, timeout: float, what: str):
        """Wait (on new output, with a deadline) until predicate(self) is truthy; return it."""
        deadline = time.monotonic() + timeout
        while True:
            got = predicate(self)
            if got:
                return got
            if self.proc.poll() is not None and self._new.empty():
                raise AssertionError(
                    f"collector exited ({self.proc.returncode}) before {what}: {self.errors[-5:]}"
                )
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"timed out waiting for {what}; last lines {self.lines[-3:]} {self.errors[-3:]}"
                )
            try:
                self._new.get(timeout=min(left, 1.0))
            except queue.Empty:
                pass

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then wait; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()

    def kill9(self) -> None:
        """SIGKILL the collector (its Kafka client child exits when its pipe closes)."""
        self.proc.kill()
        self.proc.wait(timeout=30)


def commit_groups(bootstrap: str, topic: str, ids: list[str], partitions: int, timeout: float = 180) -> None:
    """Group i commits offset i + 1 on every partition of ``topic`` (kafka-python admin commits:
    librdkafka's coordinator requests can abort the process while __consumer_offsets loads,
    confluentinc/librdkafka#5397). Retries until ``timeout`` while the coordinator loads."""
    from workbench.collect.logdirs import no_kafka_deprecations

    with no_kafka_deprecations():  # kafka-python loads its schemas with a deprecated call
        from kafka import TopicPartition
        from kafka.admin import KafkaAdminClient
        from kafka.structs import OffsetAndMetadata

        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    deadline = time.monotonic() + timeout
    try:
        for i, gid in enumerate(ids):
            offsets = {
                TopicPartition(topic, p): OffsetAndMetadata(i + 1, "", None) for p in range(partitions)
            }
            while True:
                try:
                    errors = admin.alter_group_offsets(gid, offsets)
                    if all(e.__name__ == "NoError" for e in errors.values()):
                        break
                    problem: object = errors
                except Exception as exc:
                    problem = exc
                if time.monotonic() > deadline:
                    raise AssertionError(f"cannot commit for {gid}: {problem}")
                time.sleep(0.5)
    finally:
        admin.close()
