"""Run a command and sample the resident memory of its whole process tree (kernels included).

``ru_maxrss`` of one process misses a notebook's kernel, which papermill runs as a child; this
samples the sum of RSS over the command and all its descendants every ``interval`` seconds and
stops the run when the sum passes ``cap_mb``. Used by ``bench/bench_reports.py`` and the memory
ceiling test (``tests/test_report_memory.py``).
"""

from __future__ import annotations

import resource
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class TreeRun:
    """One capped run: exit code (None when stopped), seconds, peak summed RSS in MB."""

    returncode: int | None
    seconds: float
    peak_mb: float
    capped: bool
    timed_out: bool
    stdout: str
    stderr: str
    cpu_s: float = 0.0
    """User + system CPU seconds of the whole tree (every process reaped), load-insensitive."""


def tree_rss_mb(proc: psutil.Process) -> float:
    """Sum of RSS of ``proc`` and all its descendants, in MB (processes that end meanwhile count 0)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def run_tree(
    cmd: Sequence[str],
    cap_mb: float | None = None,
    timeout_s: float | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    interval: float = 0.1,
) -> TreeRun:
    """Run ``cmd``; kill its tree when the summed RSS passes ``cap_mb`` or after ``timeout_s``."""
    began = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    popen = subprocess.Popen(
        list(cmd), env=dict(env) if env else None, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc = psutil.Process(popen.pid)
    peak, capped, timed_out = 0.0, False, False
    with _Drain(popen) as out:
        while popen.poll() is None:
            try:
                peak = max(peak, tree_rss_mb(proc))
            except psutil.Error:
                pass
            capped = cap_mb is not None and peak > cap_mb
            timed_out = timeout_s is not None and time.perf_counter() - began > timeout_s
            if capped or timed_out:
                _kill_tree(proc)
                break
            time.sleep(interval)
        popen.wait()
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    code = None if capped or timed_out else popen.returncode
    return TreeRun(code, seconds, peak, capped, timed_out, out.stdout, out.stderr, cpu)


def _kill_tree(proc: psutil.Process) -> None:
    """Kill ``proc`` and its descendants (the ones this run started)."""
    victims = [*proc.children(recursive=True), proc]
    for p in victims:
        try:
            p.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(victims, timeout=10)


class _Drain:
    """Read a child's stdout and stderr in threads so a full pipe never blocks it."""

    def __init__(self, popen: subprocess.Popen) -> None:
        import threading

        self.stdout = self.stderr = ""
        self._threads = [
            threading.Thread(target=self._read, args=(popen.stdout, "stdout"), daemon=True),
            threading.Thread(target=self._read, args=(popen.stderr, "stderr"), daemon=True),
        ]

    def _read(self, stream, name: str) -> None:  # type: ignore[no-untyped-def]
        setattr(self, name, stream.read().decode(errors="replace"))

    def __enter__(self) -> _Drain:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for t in self._threads:
            t.join(timeout=30)
