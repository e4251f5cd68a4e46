#!/usr/bin/env python3
"""The Delta store under the collector's append pattern: commit time, checkpoints, log size.

    python bench/bench_store.py --snapshots 2880      # one day of 30 s snapshots (measured)

Appends --snapshots snapshots the way ``workbench collect offsets`` does (offsets, partition
offsets, then the collections row: three commits each), times every commit, compacts the day
(optimize + checkpoint + vacuum) as the daily ``workbench compact`` would, and measures the
``_delta_log`` size. A month (86,400 snapshots per table) is extrapolated from the measured day,
and the script says so. Also compares one commit with the old layout's one-file append (the
baseline, ``workbench.store.legacy`` layout written the old way: a Parquet file per append).
Writes bench/results/store.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.schema import conform  # noqa: E402
from workbench.store import Store  # noqa: E402

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def snapshot(ts: dt.datetime, rows: int, partitions: int) -> dict[str, pl.DataFrame]:
    """One collector snapshot: ``rows`` group-partition rows, ``partitions`` partition rows."""
    offsets = pl.DataFrame(
        {
            "ts": [ts] * rows,
            "cluster": "bench",
            "group": [f"g{i // 25}" for i in range(rows)],
            "topic": [f"t{i % 40}" for i in range(rows)],
            "partition": [i % 25 for i in range(rows)],
            "committed_offset": list(range(rows)),
            "log_end_offset": list(range(10, rows + 10)),
            "source": "collector",
        }
    )
    parts = pl.DataFrame(
        {
            "ts": [ts] * partitions,
            "cluster": "bench",
            "topic": [f"t{i % 40}" for i in range(partitions)],
            "partition": [i // 40 for i in range(partitions)],
            "log_end_offset": list(range(partitions)),
            "source": "collector",
        }
    )
    mark = pl.DataFrame([{"ts": ts, "cluster": "bench", "kind": "offsets", "ok": True, "groups": rows // 25}])
    return {
        "offsets": conform(offsets, "offsets"),
        "partition_offsets": conform(parts, "partition_offsets"),
        "collections": conform(mark, "collections"),
    }


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def old_append(root: Path, frame: pl.DataFrame, i: int) -> None:
    """The old layout's append: one Parquet file per (cluster, day), written and fsynced."""
    d = root / "cluster=bench" / f"date={frame['ts'][0].date()}"
    d.mkdir(parents=True, exist_ok=True)
    with open(d / f"{i:08d}.parquet", "wb") as fh:
        pq.write_table(frame.to_arrow(), fh, compression="zstd")
        fh.flush()
        os.fsync(fh.fileno())


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def run(n: int, rows: int, partitions: int, work: Path) -> dict:
    store = Store(work / "delta")
    per_commit: list[float] = []
    cpu_commit: list[float] = []
    old: list[float] = []
    old_cpu: list[float] = []
    started = time.perf_counter()
    for i in range(n):
        snap = snapshot(T0 + dt.timedelta(seconds=30 * i), rows, partitions)
        for name in ("offsets", "partition_offsets", "collections"):
            t, c = time.perf_counter(), time.process_time()
            store.append(name, snap[name])
            per_commit.append(time.perf_counter() - t)
            cpu_commit.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        old_append(work / "old", snap["offsets"], i)
        old.append(time.perf_counter() - t)
        old_cpu.append(time.process_time() - c)
        if i % 100 == 99:
            print(f"{i + 1} snapshots, commit {per_commit[-3] * 1e3:.0f} ms", file=sys.stderr, flush=True)
    append_s = time.perf_counter() - started
    log = work / "delta" / "offsets" / "_delta_log"
    log_before = dir_size(log)
    t = time.perf_counter()
    store.compact("offsets", before=None)
    compact_s = time.perf_counter() - t
    t = time.perf_counter()
    store.table("offsets").create_checkpoint()  # type: ignore[union-attr]
    checkpoint_s = time.perf_counter() - t
    t = time.perf_counter()
    rows_read = store.scan("offsets").select(pl.len()).collect().item()
    read_s = time.perf_counter() - t
    first, last = per_commit[: len(per_commit) // 10], per_commit[-len(per_commit) // 10 :]
    return {
        "snapshots": n,
        "commits": len(per_commit),
        "rows_per_snapshot": {"offsets": rows, "partition_offsets": partitions, "collections": 1},
        "commit_ms": {
            "median": statistics.median(per_commit) * 1e3,
            "p99": pct(per_commit, 0.99) * 1e3,
            "max": max(per_commit) * 1e3,
            "median_first_10pct": statistics.median(first) * 1e3,
            "median_last_10pct": statistics.median(last) * 1e3,
        },
        "commit_cpu_ms": {
            "median": statistics.median(cpu_commit) * 1e3,
            "p99": pct(cpu_commit, 0.99) * 1e3,
            "median_first_10pct": statistics.median(cpu_commit[: len(cpu_commit) // 10]) * 1e3,
            "median_last_10pct": statistics.median(cpu_commit[-len(cpu_commit) // 10 :]) * 1e3,
        },
        "old_layout_append_ms_median": statistics.median(old) * 1e3,
        "old_layout_append_cpu_ms_median": statistics.median(old_cpu) * 1e3,
        "load_average_after": os.getloadavg(),
        "snapshot_ms_median": statistics.median(
            [sum(per_commit[i : i + 3]) for i in range(0, len(per_commit), 3)]
        )
        * 1e3,
        "append_total_s": append_s,
        "offsets_log_bytes_before_compact": log_before,
        "offsets_log_bytes_after_compact": dir_size(log),
        "offsets_log_json_files": len(list(log.glob("*.json"))),
        "offsets_checkpoints": len(list(log.glob("*.checkpoint.parquet"))),
        "compact_s": compact_s,
        "checkpoint_s": checkpoint_s,
        "read_all_rows_s": read_s,
        "rows_read": rows_read,
    }


def extrapolate(day: dict, per_day: int) -> dict:
    """A month from the measured run (scaled linearly by commits; stated as extrapolated)."""
    scale = 30 * per_day / day["snapshots"]
    return {
        "how": f"extrapolated: measured {day['snapshots']} snapshots, scaled x{scale:.1f} to 30 days",
        "commits_per_table": 30 * per_day,
        "append_hours_of_commit_time": day["append_total_s"] * scale / 3600,
        "offsets_log_bytes_30_days": day["offsets_log_bytes_before_compact"] * scale,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snapshots", type=int, default=2880, help="snapshots to append (2880 = a day at 30 s)")
    ap.add_argument("--rows", type=int, default=1000, help="offsets rows per snapshot")
    ap.add_argument("--partitions", type=int, default=200, help="partition rows per snapshot")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "store.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        day = run(args.snapshots, args.rows, args.partitions, Path(tmp))
    result = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "measured": day,
        "month": extrapolate(day, 2880),
        "ratio_commit_vs_old_append": day["commit_ms"]["median"] / day["old_layout_append_ms_median"],
        "ratio_commit_cpu_vs_old_append_cpu": day["commit_cpu_ms"]["median"]
        / day["old_layout_append_cpu_ms_median"],
    }
    print(json.dumps(result, indent=2))
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
