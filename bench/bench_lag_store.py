#!/usr/bin/env python3
"""``workbench lag --data-dir`` and a 7-day read on the Delta store vs the old Parquet layout.

    python bench/bench_lag_store.py --new D_DELTA --old D_OLD --old-code /path/to/old/checkout

Both histories hold the same rows (``workbench simulate --scale full``: 7 days, 31.9 M offsets
rows; the Delta one is ``workbench store migrate`` of the old one). Each command runs as its own
process under ``/usr/bin/time -v`` (wall time, CPU time and peak RSS of the real command); the old path
runs the old checkout's code on the old layout, in the same run. Median of --repeat runs.
Writes bench/results/lag_store.json. Target (issue 14/11): lag at most 1 s and 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READ_7D = (
    "import sys; from workbench.frames import load_offsets; "
    "print(load_offsets(sys.argv[1], '{c}', since='7d').height)"
)


def timed(cmd: list[str], code: Path) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, stdout) of ``cmd`` run with ``code`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(code), "COLUMNS": "200"}
    done = subprocess.run(
        ["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env, cwd=str(code)
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr[-800:]}")
    wall = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    assert wall is not None
    h, m, s = (float(x) if x else 0.0 for x in wall.groups())
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    assert rss is not None
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr))
    return h * 3600 + m * 60 + s, cpu, int(rss.group(1)) / 1024, done.stdout


def measure(cmd: list[str], code: Path, repeat: int) -> dict:
    runs = [timed(cmd, code) for _ in range(repeat)]
    return {
        "wall_s": statistics.median(r[0] for r in runs),
        "cpu_s": statistics.median(r[1] for r in runs),
        "peak_rss_mb": statistics.median(r[2] for r in runs),
        "runs_wall_cpu_rss": [[round(r[0], 3), round(r[1], 2), round(r[2], 1)] for r in runs],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--new", required=True, help="data dir in the Delta layout")
    ap.add_argument("--old", required=True, help="the same history in the old layout")
    ap.add_argument("--old-code", required=True, help="a checkout of the old store's code")
    ap.add_argument("--cluster", default="big")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "lag_store.json"))
    args = ap.parse_args()
    py = sys.executable
    lag = [py, "-m", "workbench", "lag", "--cluster", args.cluster, "--json", "--data-dir"]
    read = [py, "-c", READ_7D.format(c=args.cluster)]
    result: dict = {"machine": f"{platform.machine()} {os.cpu_count()} cores", "load_before": os.getloadavg()}
    for name, cmd in (("lag", lag), ("read_7d", read)):
        new = measure([*cmd, args.new], ROOT, args.repeat)
        old = measure([*cmd, args.old], Path(args.old_code), args.repeat)
        result[name] = {
            "delta": new,
            "old_layout": old,
            "speedup_wall": old["wall_s"] / new["wall_s"],
            "speedup_cpu": old["cpu_s"] / new["cpu_s"],
            "memory_ratio": old["peak_rss_mb"] / new["peak_rss_mb"],
        }
        print(
            f"{name}: delta {new['wall_s']:.2f} s wall {new['cpu_s']:.2f} s CPU {new['peak_rss_mb']:.0f} MB"
            f" | old {old['wall_s']:.2f} s wall {old['cpu_s']:.2f} s CPU {old['peak_rss_mb']:.0f} MB"
            f" | {result[name]['speedup_cpu']:.1f}x less CPU, {result[name]['memory_ratio']:.1f}x less memory"
        )
    result["load_after"] = os.getloadavg()
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
