"""The store under concurrency and faults: many writers and compactions, a full disk, a read-only dir."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest

from workbench.errors import StoreFullError, StoreReadOnlyError
from workbench.schema import conform
from workbench.store import Store

T0 = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
ROWS = 20
WRITERS, SNAPSHOTS = 3, 25


def _snapshot(writer: int, i: int) -> pl.DataFrame:
    ts = T0 + dt.timedelta(hours=writer * 5, seconds=30 * i)  # two days, distinct per writer
    return conform(
        pl.DataFrame(
            {
                "ts": [ts] * ROWS,
                "cluster": ["c1"] * ROWS,
                "group": [f"w{writer}"] * ROWS,
                "topic": ["t"] * ROWS,
                "partition": list(range(ROWS)),
                "log_end_offset": [i] * ROWS,
                "source": ["simulate"] * ROWS,
            }
        ),
        "offsets",
    )


def _write(root: str, writer: int) -> None:
    store = Store(root)
    for i in range(SNAPSHOTS):
        store.append("offsets", _snapshot(writer, i))


def _compact(root: str, stop: str) -> None:
    store = Store(root)
    while not os.path.exists(stop):
        store.compact("offsets")


def _read(root: str, stop: str, out: str) -> None:
    store = Store(root)
    problems, reads = [], 0
    while not os.path.exists(stop):
        try:
            frame = store.read("offsets")
        except Exception as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
            continue
        reads += 1
        keys = frame.select("ts", "group", "partition")
        if keys.is_duplicated().any() or frame.height % ROWS:
            problems.append(f"{frame.height} rows, {keys.is_duplicated().sum()} duplicated")
    Path(out).write_text("\n".join([str(reads), *problems]))


@pytest.mark.slow
def test_writers_compactions_and_readers_at_once_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    root, stop, out = str(tmp_path / "data"), str(tmp_path / "stop"), str(tmp_path / "reads")
    writers = [ctx.Process(target=_write, args=(root, w)) for w in range(WRITERS)]
    others = [ctx.Process(target=_compact, args=(root, stop)) for _ in range(2)]
    others.append(ctx.Process(target=_read, args=(root, stop, out)))
    for p in writers + others:
        p.start()
    for p in writers:
        p.join(timeout=300)
    Path(stop).touch()
    for p in others:
        p.join(timeout=300)
    assert [p.exitcode for p in writers + others] == [0] * len(writers + others)
    reads, *problems = Path(out).read_text().splitlines()
    assert problems == [] and int(reads) > 0
    store = Store(root)
    store.compact("offsets")
    frame = store.read("offsets")
    assert frame.height == WRITERS * SNAPSHOTS * ROWS  # the invariant: every appended row, once
    assert not frame.select("ts", "group", "partition").is_duplicated().any()
    assert len(store.files("offsets")) <= 4  # compacted: one file per day partition


@contextmanager
def _mounted(target: Path, *args: str) -> Iterator[Path]:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount ({done.stderr.strip()}): needs root")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True, env=env)


@pytest.mark.slow
def test_a_full_disk_is_one_error_and_corrupts_nothing(tmp_path: Path) -> None:
    with _mounted(tmp_path / "small", "-t", "tmpfs", "-o", "size=1m", "tmpfs") as root:
        store = Store(root)
        written = 0
        with pytest.raises(StoreFullError, match=r"no space left on the device .* nothing was committed"):
            for i in range(10_000):
                store.append("offsets", _snapshot(0, i).with_columns(topic=pl.lit(os.urandom(64).hex())))
                written += 1
        assert written > 0 and store.read("offsets").height == written * ROWS
        done = _cli("simulate", "--data-dir", str(root), "--cluster", "x", "--scale", "sample")
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and "no space left on the device" in done.stderr
        assert store.read("offsets", cluster="c1").height == written * ROWS  # nothing corrupted
        subprocess.run(["mount", "-o", "remount,size=8m", str(root)], check=True)  # room again
        store.append("offsets", _snapshot(0, 10_001))
        assert store.read("offsets", cluster="c1").height == (written + 1) * ROWS


@pytest.mark.slow
def test_a_read_only_data_dir_is_one_error_and_still_reads(tmp_path: Path) -> None:
    src = tmp_path / "rw"
    store = Store(src)
    for i in range(3):
        store.append("offsets", _snapshot(0, i))
    with _mounted(tmp_path / "ro", "--bind", str(src)) as ro:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], check=True)
        ro_store = Store(ro)
        with pytest.raises(StoreReadOnlyError, match="read-only file system"):
            ro_store.append("offsets", _snapshot(0, 9))
        assert ro_store.read("offsets").height == 3 * ROWS
        done = _cli("compact", "--data-dir", str(ro), "--all-days")
        assert done.returncode == 2 and done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
        assert "read-only file system" in done.stderr
    assert store.read("offsets").height == 3 * ROWS and time.time()
