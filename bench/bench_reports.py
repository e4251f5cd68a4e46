"""Benchmark: the reports and ``workbench lag`` as a user runs them, on large histories.

Each run is the real command in a child process: wall time, CPU seconds of the whole process
tree (load-insensitive) and the peak of the summed resident memory of the tree, the notebook
kernel included, sampled every 0.1 s (``bench/proctree.py``). A run that passes ``--cap-mb`` or
``--timeout`` is stopped and reported as such. The baseline is the same command from the code
before this change (``--baseline-rev``, extracted with ``git archive``), in the same run.

One command (histories made as in ``docs/scale.md``)::

    python bench/bench_reports.py --week /work/data-scale/full-7d --month /work/data-scale/30d-216M

Writes ``bench/results/reports.json`` and ``bench/results/reports.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proctree import run_tree

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REPORTS = ("lag-trend", "capacity", "config-health", "latency-percentiles")
#: The commit before this work (main when the scale branch started): the whole-window path.
BASELINE_REV = "ae97316"
#: The issue's goals: (seconds, MB of peak tree RSS, MB of HTML) per kind of run.
GOALS = {"week": (60, 2048, 5), "month-raw": (600, 4096, None), "month-rollups": (60, None, None)}


def render(
    tree: Path,
    report: str,
    data_dir: str,
    cluster: str,
    params: dict[str, str],
    cap_mb: float,
    timeout: float,
) -> dict:
    """Run ``workbench report`` from checkout ``tree``; wall and CPU time, peak tree RSS, HTML size."""
    out = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    cmd = ["report", report, "--data-dir", data_dir, "--out", str(out)]
    for key, value in {"cluster": cluster, **params}.items():
        cmd += ["-p", key, value]
    result = run_workbench(tree, report, params, cmd, cap_mb, timeout)
    html = sorted(out.rglob("*.html"), key=lambda p: p.stat().st_size)
    pages = [p for p in html if p.name != "index.html"]
    ok = pages and result["returncode"] == 0
    result["html_mb"] = round(pages[-1].stat().st_size / 2**20, 2) if ok else None
    print(json.dumps(result), flush=True)
    return result


def run_workbench(
    tree: Path, name: str, params: dict[str, str], args: list[str], cap_mb: float, timeout: float
) -> dict:
    """``python -m workbench ARGS`` from checkout ``tree``, measured (see the module docstring)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    run = run_tree(
        [sys.executable, "-m", "workbench", *args], cap_mb=cap_mb, timeout_s=timeout, env=env, cwd=str(tree)
    )
    result = {
        "report": name,
        "tree": str(tree),
        "params": params,
        "seconds": round(run.seconds, 1),
        "cpu_s": round(run.cpu_s, 1),
        "peak_rss_mb": round(run.peak_mb),
        "returncode": run.returncode,
        "stopped": "memory cap" if run.capped else "timeout" if run.timed_out else None,
        "html_mb": None,
    }
    if run.returncode not in (0, None):
        result["error"] = run.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
    return result


def baseline_tree(rev: str) -> Path:
    """The package at ``rev`` in a temporary directory (``git archive``), for the baseline runs."""
    target = Path(tempfile.mkdtemp(prefix=f"bench-baseline-{rev}-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def line(r: dict) -> str:
    """One text line of a result."""
    what = f"{r['report']} {' '.join(f'{k}={v}' for k, v in r['params'].items())}".strip()
    status = f"stopped at {r['stopped']}" if r["stopped"] else f"exit {r['returncode']}"
    html = f", HTML {r['html_mb']} MB" if r["html_mb"] is not None else ""
    cpu = f" ({r['cpu_s']:.1f} s CPU)" if r.get("cpu_s") is not None else ""
    return f"{what:<44} {r['seconds']:>7.1f} s{cpu} {r['peak_rss_mb']:>6} MB peak tree RSS{html} ({status})"


def goal(r: dict, kind: str) -> str:
    """Whether a run meets the issue's goal for its kind (time goals judged on a quiet machine)."""
    secs, mb, html = GOALS[kind]
    parts = [f"<= {secs} s: {'yes' if not r['stopped'] and r['seconds'] <= secs else 'no'} (wall)"]
    if mb is not None:
        parts.append(f"<= {mb} MB: {'yes' if not r['stopped'] and r['peak_rss_mb'] <= mb else 'no'}")
    if html is not None and r["html_mb"] is not None:
        parts.append(f"HTML <= {html} MB: {'yes' if r['html_mb'] <= html else 'no'}")
    return "    goal " + ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--week", required=True, help="data dir of the 7-day --scale full history")
    parser.add_argument(
        "--month", help="data dir of the 30-day history (simulate --days 30 --partitions 1500)"
    )
    parser.add_argument("--cluster", default="big")
    parser.add_argument(
        "--baseline-rev", default=BASELINE_REV, help="git revision of the old code ('' for none)"
    )
    parser.add_argument("--reports", default=",".join(REPORTS))
    parser.add_argument("--cap-mb", type=float, default=6000)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    reports = args.reports.split(",")
    runs: dict[str, list[dict]] = {"week": [], "month": [], "baseline": []}
    big = [r for r in reports if r in ("lag-trend", "capacity")]

    def run(tree: Path, report: str, data: str, params: dict[str, str]) -> dict:
        return render(tree, report, data, args.cluster, params, args.cap_mb, args.timeout)

    def lag_cli(tree: Path) -> dict:
        cmd = ["lag", "--data-dir", args.week, "--cluster", args.cluster]
        return run_workbench(tree, "workbench lag", {}, cmd, args.cap_mb, args.timeout)

    runs["week"].append(lag_cli(ROOT))
    for report in reports:
        runs["week"].append(run(ROOT, report, args.week, {}))
    for report in big:
        runs["week"].append(run(ROOT, report, args.week, {"resolution": "raw"}))
    if args.month:
        for report in big:
            for res in ("raw", "auto"):
                runs["month"].append(run(ROOT, report, args.month, {"since": "30d", "resolution": res}))
    if args.baseline_rev:
        old = baseline_tree(args.baseline_rev)
        runs["baseline"].append(lag_cli(old))
        for report in big:
            runs["baseline"].append(run(old, report, args.week, {}))
    write(runs, args)


def merge_previous(runs: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Keep earlier results of reports not run this time (``--reports`` runs a subset)."""
    path = RESULTS / "reports.json"
    if not path.exists():
        return runs
    old = json.loads(path.read_text())
    for kind, rows in runs.items():
        done = {(r["report"], json.dumps(r["params"], sort_keys=True)) for r in rows}
        keep = [
            r for r in old.get(kind, []) if (r["report"], json.dumps(r["params"], sort_keys=True)) not in done
        ]
        runs[kind] = keep + rows
    return runs


def write(runs: dict[str, list[dict]], args: argparse.Namespace) -> None:
    """``reports.json`` and ``reports.txt``: every run, its goal, the ratios against the baseline."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs = merge_previous(runs)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()}
    base = {r["report"]: r for r in runs["baseline"]}
    lines = [f"machine: {machine}", "", f"7-day --scale full history ({args.week}):"]
    for r in runs["week"]:
        lines += [line(r), goal(r, "week")]
        old = base.get(r["report"]) if not r["params"] else None
        if old:
            lines += [
                f"    baseline ({args.baseline_rev}) {line(old).split(maxsplit=1)[1].strip()}",
                ratio(old, r),
            ]
    if runs["month"]:
        lines += ["", f"30-day history ({args.month}):"]
        for r in runs["month"]:
            kind = "month-raw" if r["params"].get("resolution") == "raw" else "month-rollups"
            lines += [line(r), goal(r, kind)]
    text = "\n".join(lines) + "\n"
    (RESULTS / "reports.txt").write_text(text)
    (RESULTS / "reports.json").write_text(json.dumps({"machine": machine, **runs}, indent=2) + "\n")
    print(text)


def ratio(old: dict, new: dict) -> str:
    """Old / new in CPU time and memory (a stopped old run gives only a lower bound on memory)."""
    mem = old["peak_rss_mb"] / max(new["peak_rss_mb"], 1)
    if old["stopped"]:
        return f"    memory ratio at least {mem:.1f}x (old run stopped at {old['stopped']})"
    cpu = old["cpu_s"] / max(new["cpu_s"], 0.01)
    wall = old["seconds"] / max(new["seconds"], 0.1)
    return f"    ratio old/new: CPU {cpu:.1f}x, wall {wall:.1f}x, memory {mem:.1f}x"


if __name__ == "__main__":
    main()
