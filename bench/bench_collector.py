#!/usr/bin/env python3
"""The collector at scale: ``workbench collect offsets --count 1`` as a process, with peak RSS,
at 1k / 10k / 100k / 1M group-partition rows, vs ``kafka-consumer-groups --describe --all-groups``
(ConsumerGroupCommand from the same jars) on the same broker in the same run.

    python bench/bench_collector.py --setup-only          # set up the cached brokers (long, once)
    python bench/bench_collector.py                       # measure (sets up what is not cached)
    python bench/bench_collector.py --sizes 1000,10000    # smaller run
    python bench/bench_collector.py --stop                # stop the cached brokers, data kept
    python bench/bench_collector.py --bootstrap-server 127.0.0.1:9092  # cumulative, own broker

Each group commits the 10 partitions of one of 100 topics (groups = rows / 10), created with
batched OffsetCommit requests (no consumer per group). Each size has its own kafka-local broker
under --state, set up once, stopped after its size and restarted with its data on later runs.
Peak RSS is summed over the command's whole process tree (sampled every 20 ms). Writes
bench/results/collector.json and prints ratios. Goals (issue 11): 100k rows in a snapshot of at
most 3 s; 1M rows within a 60 s interval under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
KAFKA_LOCAL = ROOT / "scripts" / "kafka-local"
CGC = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
CACHE = Path("~/.cache/workbench/bench-collector")
BROKER_HEAP = "-Xmx1g -Xms256m"  # 100k groups' offsets live in the group coordinator's heap
TOPICS, PARTITIONS = 100, 10


def make_groups(bootstrap: str, start: int, stop: int, prefix: str) -> float:
    """Groups start..stop-1 each commit the partitions of one topic; returns seconds taken."""
    from kafka import TopicPartition
    from kafka.admin import KafkaAdminClient
    from kafka.structs import OffsetAndMetadata

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, max_in_flight_requests_per_connection=1000)
    ids = [f"{prefix}-g{i}" for i in range(start, stop)]
    t0 = time.perf_counter()

    async def coordinators_of(keys: list[str]) -> dict[str, int]:
        for _ in range(120):  # a new broker creates __consumer_offsets on the first lookup
            try:
                return await admin._find_coordinator_ids(keys)
            except Exception:
                await admin._net.sleep(1)
        return await admin._find_coordinator_ids(keys)

    async def commit_all() -> None:
        todo = list(zip(range(start, stop), ids, strict=True))
        for _ in range(60):  # groups whose commit came back with an error are tried again
            coordinators, failed, window = await coordinators_of([g for _, g in todo]), [], []
            for i, gid in todo:
                topic = f"{prefix}-t{i % TOPICS}"
                offsets = {
                    TopicPartition(topic, p): OffsetAndMetadata(i + p, "", None) for p in range(PARTITIONS)
                }
                req = admin._alter_group_offsets_request(gid, offsets)
                window.append(((i, gid), admin._manager.send(req, node_id=coordinators[gid])))
                if len(window) >= 500:
                    failed += await drain(window)
                    window = []
            failed += await drain(window)
            if not failed:
                return
            todo = failed
            admin._manager.cluster.request_update()
            await admin._net.sleep(1)
        raise SystemExit(f"{len(todo)} groups could not commit")

    async def drain(window: list) -> list:
        failed = []
        for key, fut in window:
            try:
                errors = admin._alter_group_offsets_process_response(await fut)
                ok = all(e.__name__ == "NoError" for e in errors.values())
            except Exception:
                ok = False
            if not ok:
                failed.append(key)
        return failed

    admin._manager.run(commit_all)
    admin.close()
    return time.perf_counter() - t0


def make_topics(bootstrap: str, prefix: str) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(f"{prefix}-t{i}", PARTITIONS, 1) for i in range(TOPICS)])
    admin.close()


def run_measured(cmd: list[str], timeout_s: float) -> dict:
    """Wall time, CPU time (user+sys of the whole waited-for tree) and peak RSS (summed over the
    process tree) of one command. CPU time does not grow with other load on the machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        if time.perf_counter() - t0 > timeout_s:
            for child in root.children(recursive=True):
                child.kill()
            proc.kill()
            proc.wait()
            return {"seconds": None, "timed_out_after_s": timeout_s, "peak_rss_mb": round(peak / 2**20)}
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}): {err[-2000:]}")
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(peak / 2**20),
        "stdout": out,
        "stderr": err,
    }


def measure(bootstrap: str, rows: int, tool_timeout: float) -> dict:
    data = tempfile.mkdtemp(prefix="wb-bench-collector-")
    cli = [sys.executable, "-m", "workbench", "collect", "offsets", "--bootstrap-server", bootstrap]
    cli += ["--cluster", "bench", "--data-dir", data, "--count", "1", "--interval", "60s", "--timeout", "60s"]
    wb = run_measured(cli, 600)
    line = wb.pop("stdout").strip().splitlines()[-1]
    got = int(re.search(r"(\d+) group partitions", line).group(1))
    snapshot_s = float(re.search(r"in ([0-9.]+)s", line).group(1))
    wb.pop("stderr")
    tool = [str(KAFKA_LOCAL), "tool", CGC, "--bootstrap-server", bootstrap, "--describe", "--all-groups"]
    base = run_measured(tool, tool_timeout)
    tool_rows = None
    if base.get("stdout") is not None:
        lines = base.pop("stdout").splitlines()
        tool_rows = sum(
            1 for ln in lines if len(ln.split()) >= 4 and re.fullmatch(r"\S+-g\d+", ln.split()[0])
        )
        base.pop("stderr")
    ratio = round(base["seconds"] / wb["seconds"], 1) if base["seconds"] else None
    cpu_ratio = round(base["cpu_seconds"] / wb["cpu_seconds"], 1) if base.get("cpu_seconds") else None
    return {
        "rows": rows,
        "groups": rows // PARTITIONS,
        "rows_collected": got,
        "snapshot_s": snapshot_s,
        "workbench_command": wb,
        "kafka_consumer_groups": {**base, "rows": tool_rows},
        "ratio_command": ratio,
        "ratio_cpu": cpu_ratio,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap-server", help="an existing broker: sizes are set up cumulatively on it")
    ap.add_argument("--sizes", default="1000,10000,100000,1000000", help="group-partition rows, ascending")
    ap.add_argument("--state", default=str(CACHE), help="cached brokers, one per size (default %(default)s)")
    ap.add_argument("--setup-only", action="store_true", help="set up (or check) the cached brokers only")
    ap.add_argument("--stop", action="store_true", help="stop the cached brokers (their data is kept)")
    ap.add_argument(
        "--tool-timeout", type=float, default=900.0, help="seconds before the baseline is cut off"
    )
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "collector.json"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.bootstrap_server:
        return run_cumulative(args, sizes)
    if args.stop:
        for rows in sizes:
            subprocess.run([str(KAFKA_LOCAL), "stop", "--dir", str(broker_dir(args.state, rows))])
        return 0
    results = []
    for rows in sizes:
        bootstrap, setup_s = cached_broker(args.state, rows)
        try:
            if args.setup_only:
                continue
            res = measure(bootstrap, rows, args.tool_timeout)
        finally:  # one broker at a time: the others would share the CPU being measured
            subprocess.run([str(KAFKA_LOCAL), "stop", "--dir", str(broker_dir(args.state, rows))])
        res["setup_s"] = setup_s
        results.append(res)
        _report(res)
        _write(args.out, results)
    if not args.setup_only:
        print(f"written to {args.out}")
    return 0


def broker_dir(state: str, rows: int) -> Path:
    return Path(state).expanduser() / f"rows-{rows}"


def cached_broker(state: str, rows: int) -> tuple[str, float | None]:
    """A broker holding ``rows // 10`` groups: reused (restarted with its data) when the cache has
    one, else started fresh and set up (minutes at 100k groups). Returns (bootstrap, setup seconds)."""
    d, groups = broker_dir(state, rows), rows // PARTITIONS
    marker = d / "groups.json"
    done = json.loads(marker.read_text()) if marker.exists() else {}
    if done.get("groups") == groups:
        status = subprocess.run([str(KAFKA_LOCAL), "status", "--dir", str(d)], capture_output=True, text=True)
        if status.returncode != 0:
            _kafka_local("start-broker", "1", "--dir", str(d))
        bootstrap = (d / "bootstrap").read_text().strip()
        wait_for_groups(bootstrap, groups)
        print(f"{rows:,} rows: cached broker in {d} ({groups:,} groups)", flush=True)
        return bootstrap, None
    subprocess.run([str(KAFKA_LOCAL), "stop", "--dir", str(d)], capture_output=True)
    marker.unlink(missing_ok=True)
    bootstrap = _kafka_local("start", "--dir", str(d)).strip().splitlines()[-1]
    make_topics(bootstrap, "bc")
    setup_s = make_groups(bootstrap, 0, groups, "bc")
    marker.write_text(json.dumps({"groups": groups, "setup_s": round(setup_s, 1)}) + "\n")
    print(f"{rows:,} rows: {groups:,} groups set up in {setup_s:.0f}s ({d})", flush=True)
    return bootstrap, round(setup_s, 1)


def _kafka_local(*args: str) -> str:
    env = {**os.environ, "KAFKA_LOCAL_HEAP": os.environ.get("KAFKA_LOCAL_HEAP", BROKER_HEAP)}
    proc = subprocess.run([str(KAFKA_LOCAL), *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"kafka-local {args[0]} failed: {proc.stderr[-2000:]}")
    return proc.stdout


def wait_for_groups(bootstrap: str, groups: int, deadline_s: float = 600.0) -> None:
    """Until a restarted broker has loaded its groups (ListGroups sees all of them)."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    t0, seen = time.monotonic(), 0
    try:
        while time.monotonic() - t0 < deadline_s:
            try:
                seen = len(admin.list_consumer_groups())
            except Exception:
                seen = 0
            if seen >= groups:
                return
            time.sleep(2)
    finally:
        admin.close()
    raise SystemExit(f"the broker lists {seen} of {groups} groups after {deadline_s:.0f}s")


def run_cumulative(args: argparse.Namespace, sizes: list[int]) -> int:
    prefix = f"bc{int(time.time()) % 100000}"
    make_topics(args.bootstrap_server, prefix)
    results, made = [], 0
    for rows in sizes:
        setup_s = make_groups(args.bootstrap_server, made, rows // PARTITIONS, prefix)
        made = rows // PARTITIONS
        res = measure(args.bootstrap_server, rows, args.tool_timeout)
        res["setup_s"] = round(setup_s, 1)
        results.append(res)
        _report(res)
        _write(args.out, results)
    print(f"written to {args.out}")
    return 0


def _report(res: dict) -> None:
    wb, base = res["workbench_command"], res["kafka_consumer_groups"]
    print(
        f"{res['rows']:>9,} rows: workbench {wb['seconds']}s wall, {wb['cpu_seconds']}s CPU (snapshot "
        f"{res['snapshot_s']}s, peak RSS {wb['peak_rss_mb']} MB) | kafka-consumer-groups "
        f"{base['seconds']}s wall, {base.get('cpu_seconds')}s CPU ({base['peak_rss_mb']} MB) | "
        f"{res['ratio_command']}x wall, {res['ratio_cpu']}x CPU",
        flush=True,
    )


def _write(out: str, results: list[dict]) -> None:
    doc = {
        "what": "workbench collect offsets --count 1 (whole command, new process) vs "
        "kafka-consumer-groups --describe --all-groups, same broker, same run; one run per size",
        "goal": "100k rows: snapshot <= 3 s; 1M rows (100k groups): within a 60 s interval, < 1 GB",
        "host": f"{platform.machine()} {psutil.cpu_count()} cores, python {platform.python_version()}",
        "note": "wall times depend on the machine's load (load_average); CPU seconds much less",
        "load_average_at_end": [round(x, 1) for x in psutil.getloadavg()],
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "results": results,
    }
    Path(out).write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
