#!/usr/bin/env python3
"""Fleet figures (issue 16), each on the user's path, with its baseline in the same run:

    python bench/bench_fleet.py read   --data-dir D --cluster C [--repeat 3]  # 7-day read: local vs S3
    python bench/bench_fleet.py appends --commits 600              # 30 s appends: commit cost, log size
    python bench/bench_fleet.py spark  --data-dir D [--master local[2]] [--until DAY] [--name N]
                                   # spark analyze vs the same chunks in process, results compared
    python bench/bench_fleet.py all    --data-dir D --cluster C

Every command runs as its own process under ``/usr/bin/time -v`` (wall, CPU incl. children, peak
RSS); the load average is recorded beside each. Results: bench/results/fleet_<what>.json.
Run on a quiet machine: wall times under load measure the other processes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bench_lag_store import timed  # noqa: E402

RESULTS = ROOT / "bench" / "results"
READ_7D = (
    "import sys; from workbench.frames import load_offsets; "
    "print(load_offsets(sys.argv[1], sys.argv[2], since='7d').height)"
)
IN_PROCESS = (
    "import sys, datetime as dt, polars as pl; from workbench.store import Store; "
    "from workbench.fleet.chunks import lag_groups_in_process\n"
    "d, n, until, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]\n"
    "until = dt.datetime.fromisoformat(until).replace(tzinfo=dt.UTC) if until else None\n"
    "rows = [t for c in Store(d).clusters('offsets') for t in lag_groups_in_process(d, c, n, until)]\n"
    "pl.concat(rows).write_parquet(out); print(sum(t.height for t in rows))"
)


def _load() -> float:
    return os.getloadavg()[0]


def _run(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    load = _load()
    if env:
        saved = dict(os.environ)
        os.environ.update(env)
    try:
        wall, cpu, rss, out = timed(cmd, ROOT)
    finally:
        if env:
            os.environ.clear()
            os.environ.update(saved)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_mb": round(rss, 1),
        "load_before": round(load, 1),
        "load_after": round(_load(), 1),
        "stdout": out.strip()[-200:],
    }


def bench_read(data_dir: str, cluster: str, repeat: int = 3) -> dict:
    """7-day read of ``cluster``: the local table, then the same files copied byte for byte to a
    SeaweedFS bucket (``data_dir`` is only read), alternating ``repeat`` times; medians. The S3
    side's CPU includes the SeaweedFS server's."""
    import statistics

    import psutil
    import pyarrow.fs as pafs
    from parts_data import start_s3

    with tempfile.TemporaryDirectory() as tmp:
        s3 = start_s3(Path(tmp))
        try:
            host = s3.endpoint.removeprefix("http://")
            fs = pafs.S3FileSystem(access_key="k", secret_key="s", endpoint_override=host, scheme="http")
            t0, c0 = time.monotonic(), time.process_time()
            pafs.copy_files(str(Path(data_dir).resolve()), f"{s3.bucket}/hist", destination_filesystem=fs)
            copy = {"wall_s": round(time.monotonic() - t0, 1), "cpu_s": round(time.process_time() - c0, 1)}
            copy["bytes"] = sum(f.stat().st_size for f in Path(data_dir).rglob("*") if f.is_file())
            env = {"AWS_ENDPOINT_URL": s3.endpoint, "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}
            env["AWS_REGION"] = "us-east-1"
            server = psutil.Process(s3.process.proc.pid)
            local, remote = [], []
            for _ in range(repeat):
                local.append(_run([sys.executable, "-c", READ_7D, data_dir, cluster]))
                before = sum(server.cpu_times()[:2])
                remote.append(_run([sys.executable, "-c", READ_7D, s3.uri("hist"), cluster], env))
                remote[-1]["server_cpu_s"] = round(sum(server.cpu_times()[:2]) - before, 2)
        finally:
            s3.stop()

    def med(runs: list[dict], key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 2)

    cpu_s3 = [r["cpu_s"] + r["server_cpu_s"] for r in remote]
    return {
        "data_dir": str(data_dir),
        "cluster": cluster,
        "copy": copy,
        "rows": local[0]["stdout"],
        "same_rows": all(r["stdout"] == local[0]["stdout"] for r in local + remote),
        "local": {"wall_s": med(local, "wall_s"), "cpu_s": med(local, "cpu_s"), "runs": local},
        "s3": {"wall_s": med(remote, "wall_s"), "cpu_s": med(remote, "cpu_s"), "runs": remote},
        "ratio_s3_over_local_wall": round(med(remote, "wall_s") / med(local, "wall_s"), 2),
        "ratio_s3_over_local_cpu_client": round(med(remote, "cpu_s") / med(local, "cpu_s"), 2),
        "ratio_s3_over_local_cpu_with_server": round(statistics.median(cpu_s3) / med(local, "cpu_s"), 2),
    }


def bench_appends(commits: int, groups: int, partitions: int, compact_every: int) -> dict:
    """``commits`` snapshots 30 s apart (offsets + partition_offsets + collections, 3 commits each)
    into a fresh table, compacting every ``compact_every`` snapshots (hourly at 30 s)."""
    import polars as pl
    import pyarrow as pa

    from workbench.store import Store

    t_start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp)
        cpu, compact_cpu = [], []
        for i in range(commits):
            ts = t_start + dt.timedelta(seconds=30 * i)
            off, po, col = _snapshot(ts, groups, partitions)
            t0 = time.process_time()
            store.append("offsets", off)
            store.append("partition_offsets", po)
            store.append("collections", col)
            cpu.append(time.process_time() - t0)
            if compact_every and (i + 1) % compact_every == 0:
                t0 = time.process_time()
                for ds in ("offsets", "partition_offsets", "collections"):
                    store.compact(ds, before=None)
                compact_cpu.append(time.process_time() - t0)
        log = Path(tmp) / "offsets" / "_delta_log"
        files = list(log.iterdir())
        live = store.table("offsets").get_add_actions(flatten=True)
        rows = sum(pl.from_arrow(pa.table(live))["num_records"])
        n = len(cpu)
        tail = sorted(cpu[-max(1, n // 10) :])
        return {
            "snapshots": n,
            "commits": 3 * n,
            "rows_per_snapshot": groups * partitions,
            "cpu_per_snapshot_ms_median": round(1000 * sorted(cpu)[n // 2], 1),
            "cpu_per_snapshot_ms_last_10pct_median": round(1000 * tail[len(tail) // 2], 1),
            "compactions": len(compact_cpu),
            "compact_cpu_s_median": _median(compact_cpu),
            "offsets_log_files": len(files),
            "offsets_log_bytes": sum(f.stat().st_size for f in files),
            "offsets_checkpoints": sum(1 for f in files if "checkpoint" in f.name and f.suffix == ".parquet"),
            "offsets_live_rows": rows,
            "load_avg": round(_load(), 1),
        }


def _median(values: list[float]) -> float | None:
    return round(sorted(values)[len(values) // 2], 2) if values else None


def _snapshot(ts: dt.datetime, groups: int, partitions: int) -> tuple:
    import polars as pl

    n = groups * partitions
    off = pl.DataFrame(
        {
            "ts": [ts] * n,
            "cluster": ["bench"] * n,
            "group": [f"g{i // partitions}" for i in range(n)],
            "topic": [f"t{i // partitions}" for i in range(n)],
            "partition": [i % partitions for i in range(n)],
            "committed_offset": list(range(n)),
            "log_start_offset": [0] * n,
            "log_end_offset": list(range(1, n + 1)),
            "source": ["collector"] * n,
        }
    )
    po = off.select(
        "ts", "cluster", "topic", "partition", "log_start_offset", "log_end_offset", "source"
    ).unique()
    col = pl.DataFrame({"ts": [ts], "cluster": ["bench"], "kind": ["offsets"], "ok": [True]})
    return off, po, col


def tree_run(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Wall, CPU and peak RSS of ``cmd`` and every process it starts (JVMs, Python workers),
    sampled every 0.2 s with psutil (the CPU of a process after its last sample is missed), and
    the CPU of the children reaped (``cpu_s`` is the larger); the load average sampled too."""
    import resource
    import subprocess

    import psutil

    load, t0, loads = _load(), time.monotonic(), []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        cmd, env={**os.environ, **(env or {})}, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    root, cpu, peak = psutil.Process(proc.pid), {}, 0.0
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        rss = 0.0
        for p in procs:
            try:
                t = p.cpu_times()
                cpu[p.pid] = t.user + t.system
                rss += p.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        peak = max(peak, rss)
        loads.append(_load())
        time.sleep(0.2)
    out = proc.stdout.read() if proc.stdout else ""
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
    return {
        "wall_s": round(time.monotonic() - t0, 2),
        "cpu_s": round(max(sum(cpu.values()), reaped), 2),
        "cpu_s_sampled": round(sum(cpu.values()), 2),
        "cpu_s_reaped": round(reaped, 2),
        "peak_tree_rss_mb": round(peak / 2**20, 1),
        "processes": len(cpu),
        "load_before": round(load, 1),
        "load_mean": round(sum(loads) / len(loads), 1) if loads else None,
        "load_max": round(max(loads), 1) if loads else None,
        "load_after": round(_load(), 1),
        "stdout": out.strip()[-200:],
    }


def bench_spark(data_dir: str, master: str, rows_per_chunk: int, until: str | None, conf: list[str]) -> dict:
    """``workbench spark analyze`` vs :func:`workbench.fleet.chunks.lag_groups_in_process` (the
    same chunks, in one process) on the same history (snapshots before ``until``), both in bounded
    memory; their results compared. ``data_dir`` is only read: Spark writes its result into a
    directory of links to its tables."""
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        linked = Path(tmp) / "data"
        linked.mkdir()
        for table in Path(data_dir).resolve().iterdir():
            if table.is_dir() and not table.name.startswith(".") and table.name != "analysis":
                (linked / table.name).symlink_to(table)
        cmd = [
            sys.executable,
            "-m",
            "workbench",
            "spark",
            "analyze",
            "--master",
            master,
            "--data-dir",
            str(linked),
        ]
        cmd += ["--rows-per-chunk", str(rows_per_chunk), *(["--until", until] if until else [])]
        cmd += [a for c in conf for a in ("--conf", c)]
        env = {"PYTHONPATH": str(ROOT)}
        spark = tree_run(["nice", "-n", "10", *cmd], env)
        out = Path(tmp) / "in_process.parquet"
        code = [sys.executable, "-c", IN_PROCESS, str(linked), str(rows_per_chunk), until or "", str(out)]
        local = tree_run(["nice", "-n", "10", *code], env)
        rows, same = _compare(linked, out)
    n = _offsets_rows(data_dir, until)
    return {
        "data_dir": str(data_dir),
        "until": until,
        "master": master,
        "rows_per_chunk": rows_per_chunk,
        "conf": conf,
        "offsets_rows": n,
        "result_rows": rows,
        "results_equal": same,
        "spark": spark,
        "in_process": local,
        "spark_cpu_us_per_row": round(1e6 * spark["cpu_s"] / n, 3),
        "in_process_cpu_us_per_row": round(1e6 * local["cpu_s"] / n, 3),
        "ratio_spark_over_in_process_wall": round(spark["wall_s"] / local["wall_s"], 2),
        "ratio_spark_over_in_process_cpu": round(spark["cpu_s"] / local["cpu_s"], 2),
    }


def _compare(data_dir: Path, in_process: Path) -> tuple[int, bool | str]:
    """Rows of Spark's ``lag_groups`` and whether they equal the in-process rows (or why not)."""
    import polars as pl
    from polars.testing import assert_frame_equal

    from workbench.store.results import read_result

    got = read_result(data_dir, "lag_groups")
    want = pl.read_parquet(in_process)
    if got is None:
        return 0, "no lag_groups table"
    keys = ["cluster", "group", "ts"]
    try:
        assert_frame_equal(got.select(want.columns).sort(keys), want.sort(keys), check_dtypes=False)
    except AssertionError as exc:
        return got.height, str(exc)[:500]
    return got.height, True


def _offsets_rows(data_dir: str, until: str | None) -> int:
    """Offsets rows of every cluster before ``until`` (the rows both runs analyse)."""
    import polars as pl

    from workbench.store import Store

    store = Store(data_dir)
    stop = dt.datetime.fromisoformat(until).replace(tzinfo=dt.UTC) if until else None
    return sum(
        store.scan("offsets", cluster=c, until=stop).select(pl.len()).collect().item()
        for c in store.clusters("offsets")
    )


def _write(name: str, result: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    result = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        **result,
    }
    (RESULTS / f"fleet_{name}.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(json.dumps(result, indent=1, default=str))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["read", "appends", "spark", "all"])
    ap.add_argument("--data-dir", help="a history (read: 7 days of --cluster; spark: every cluster)")
    ap.add_argument("--cluster", default="big")
    ap.add_argument("--name", help="spark: results to fleet_spark_NAME.json")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--rows-per-chunk", type=int, default=1_000_000, help="spark: rows of one task")
    ap.add_argument("--until", help="spark: only snapshots before this UTC instant (a subset)")
    ap.add_argument("--conf", action="append", default=[], help="spark: a Spark setting KEY=VALUE")
    ap.add_argument("--repeat", type=int, default=3, help="read: alternating local/S3 runs (medians)")
    ap.add_argument("--commits", type=int, default=600, help="snapshots for `appends` (2,880 = one day)")
    ap.add_argument("--groups", type=int, default=40)
    ap.add_argument("--partitions", type=int, default=25)
    ap.add_argument("--compact-every", type=int, default=120, help="snapshots between compactions (0: never)")
    args = ap.parse_args()
    if args.what in ("read", "spark", "all") and not args.data_dir:
        ap.error("--data-dir is required")
    if args.what in ("read", "all"):
        _write("read", bench_read(args.data_dir, args.cluster, args.repeat))
    if args.what in ("appends", "all"):
        _write("appends", bench_appends(args.commits, args.groups, args.partitions, args.compact_every))
    if args.what in ("spark", "all"):
        result = bench_spark(args.data_dir, args.master, args.rows_per_chunk, args.until, args.conf)
        _write(f"spark_{args.name}" if args.name else "spark", result)


if __name__ == "__main__":
    main()
