#!/usr/bin/env python3
"""`workbench import prometheus` on a backfilled history: CPU seconds, peak RSS, rows per CPU second.

    python bench/bench_prometheus_import.py --days 30 --partitions 50      # needs scripts/parts prometheus

Writes --days of kafka-lag-exporter series (one group on --partitions partitions, one sample a
minute) with promtool into a fresh Prometheus on 127.0.0.1, then runs the real command
(``python -m workbench import prometheus --step 1m``) as a child and reads its CPU time and peak
RSS from ``resource.getrusage``. Baseline in the same run: the same range queries fetched with
httpx and decoded as JSON only (no frames, no store): the ratio is the import's own cost over
reading Prometheus. Writes bench/results/prometheus_import.json. CPU, not wall time, is the figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from parts import part_path, start_prometheus  # noqa: E402

STEP_S = 60


def backfill(directory: Path, days: int, partitions: int) -> int:
    """promtool blocks of latest offset and group offset per partition; returns the last instant."""
    last = int(time.time()) // STEP_S * STEP_S
    n = days * 86400 // STEP_S
    first = last - (n - 1) * STEP_S
    source = directory / "history.om"
    with open(source, "w") as out:
        for metric, extra in (
            ("kafka_partition_latest_offset", ""),
            ("kafka_consumergroup_group_offset", 'group="g",'),
        ):
            out.write(f"# TYPE {metric} gauge\n")
            for p in range(partitions):
                labels = f'{extra}cluster_name="prod",topic="t",partition="{p}"'
                out.writelines(
                    f"{metric}{{{labels}}} {10 * i - (i % 7 if extra else 0)} {first + i * STEP_S}\n"
                    for i in range(n)
                )
        out.write("# EOF\n")
    promtool = Path(part_path("prometheus")).with_name("promtool")
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", source, directory / "data"], check=True
    )
    source.unlink()
    return last


def child_usage(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(CPU seconds, peak RSS MiB, stdout) of one child, measured by ``wait4`` on that child alone."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]}... exited with {proc.returncode}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


BASELINE = """
import sys, httpx, datetime as dt
sys.path.insert(0, {root!r})
from workbench.importers.prometheus import chunks
url, days = sys.argv[1], int(sys.argv[2])
end = dt.datetime.fromtimestamp(int(dt.datetime.now(dt.UTC).timestamp()) // 60 * 60, dt.UTC)
points = 0
with httpx.Client(base_url=url + "/api/v1/", timeout=300) as c:
    for q in ("kafka_partition_latest_offset", "kafka_consumergroup_group_offset"):
        for a, b in chunks(end - dt.timedelta(days=days), end, dt.timedelta(minutes=1)):
            form = {{"query": q, "start": a.timestamp(), "end": b.timestamp(), "step": "60"}}
            r = c.post("query_range", data=form).json()
            points += sum(len(s["values"]) for s in r["data"]["result"])
print(points)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--partitions", type=int, default=50)
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory(prefix="bench-prom-") as tmp:
        directory = Path(tmp)
        backfill(directory, args.days, args.partitions)
        server = start_prometheus(directory)
        try:
            base_cpu, base_rss, points = child_usage(
                [sys.executable, "-c", BASELINE.format(root=str(ROOT)), server.url, str(args.days)], env
            )
            data = directory / "workbench-data"
            cmd = [sys.executable, "-m", "workbench", "import", "prometheus", "--url", server.url]
            cmd += ["--cluster", "prod", "--since", f"{args.days}d", "--step", "1m", "--data-dir", str(data)]
            cpu, rss, out = child_usage(cmd, env)
        finally:
            server.stop()
    rows = sum(
        int(tok) for tok in out.split(":", 1)[1].split(" rows")[0].replace(",", " ").split() if tok.isdigit()
    )
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": platform.node(), "load_average": os.getloadavg(),
        "days": args.days, "partitions": args.partitions, "step_s": STEP_S,
        "points_fetched_by_baseline": int(points.strip()),
        "rows_written": rows,
        "import_cpu_s": round(cpu, 2), "import_peak_rss_mib": round(rss, 1),
        "baseline_fetch_cpu_s": round(base_cpu, 2), "baseline_peak_rss_mib": round(base_rss, 1),
        "cpu_ratio_import_over_fetch": round(cpu / base_cpu, 2) if base_cpu else None,
        "rows_per_cpu_s": round(rows / cpu) if cpu else None,
        "summary": out.strip(),
    }  # fmt: skip
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "prometheus_import.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
