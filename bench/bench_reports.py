"""Benchmark: the reports as a user renders them (``workbench report NAME``) on large histories.

Each run is the real command in a child process; its wall time and the peak of the summed
resident memory of its whole process tree (the notebook kernel included) are sampled every
0.1 s (``bench/proctree.py``), and a run that passes ``--cap-mb`` or ``--timeout`` is stopped
and reported as such. The baseline is the same command from another checkout (``--baseline``,
e.g. a ``git worktree`` of the commit before this change), run in the same session.

Usage::

    python bench/bench_reports.py --week /tmp/scale/full --cluster big \\
        [--month /tmp/scale/month] [--baseline /tmp/scale/base] [--reports lag-trend,capacity]

Writes ``bench/results/reports.json`` and ``bench/results/reports.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proctree import run_tree

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REPORTS = ("lag-trend", "capacity", "config-health", "latency-percentiles")


def render(
    tree: Path,
    report: str,
    data_dir: str,
    cluster: str,
    params: dict[str, str],
    cap_mb: float,
    timeout: float,
) -> dict:
    """Run ``workbench report`` from checkout ``tree``; wall time, peak tree RSS, HTML size."""
    out = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    cmd = [sys.executable, "-m", "workbench", "report", report, "--data-dir", data_dir, "--out", str(out)]
    for key, value in {"cluster": cluster, **params}.items():
        cmd += ["-p", key, value]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    run = run_tree(cmd, cap_mb=cap_mb, timeout_s=timeout, env=env, cwd=str(tree))
    html = sorted(out.rglob("*.html"), key=lambda p: p.stat().st_size)
    pages = [p for p in html if p.name != "index.html"]
    result = {
        "report": report,
        "tree": str(tree),
        "params": params,
        "seconds": round(run.seconds, 1),
        "peak_rss_mb": round(run.peak_mb),
        "returncode": run.returncode,
        "stopped": "memory cap" if run.capped else "timeout" if run.timed_out else None,
        "html_mb": round(pages[-1].stat().st_size / 2**20, 2) if pages and run.returncode == 0 else None,
    }
    if run.returncode not in (0, None):
        result["error"] = run.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
    print(json.dumps(result), flush=True)
    return result


def line(r: dict) -> str:
    """One text line of a result."""
    what = f"{r['report']} {' '.join(f'{k}={v}' for k, v in r['params'].items())}".strip()
    status = f"stopped at {r['stopped']}" if r["stopped"] else f"exit {r['returncode']}"
    html = f", HTML {r['html_mb']} MB" if r["html_mb"] is not None else ""
    return f"{what:<40} {r['seconds']:>7.1f} s {r['peak_rss_mb']:>6} MB peak tree RSS{html} ({status})"


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
        "--baseline", help="checkout of the old code (git worktree) to run the same commands from"
    )
    parser.add_argument("--reports", default=",".join(REPORTS))
    parser.add_argument("--cap-mb", type=float, default=6000)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    reports = args.reports.split(",")
    runs: dict[str, list[dict]] = {"week": [], "month": [], "baseline": []}
    for report in reports:
        runs["week"].append(render(ROOT, report, args.week, args.cluster, {}, args.cap_mb, args.timeout))
    if args.month:
        for report in [r for r in reports if r in ("lag-trend", "capacity")]:
            for res in ("raw", "auto"):
                params = {"since": "30d", **({"resolution": res} if report == "lag-trend" else {})}
                runs["month"].append(
                    render(ROOT, report, args.month, args.cluster, params, args.cap_mb, args.timeout)
                )
    if args.baseline:
        for report in [r for r in reports if r in ("lag-trend", "capacity")]:
            runs["baseline"].append(
                render(Path(args.baseline), report, args.week, args.cluster, {}, args.cap_mb, args.timeout)
            )
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
    """``reports.json`` and ``reports.txt`` with the ratios against the baseline."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs = merge_previous(runs)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()}
    base = {r["report"]: r for r in runs["baseline"]}
    lines = [f"machine: {machine}", "", f"7-day --scale full history ({args.week}):"]
    for r in runs["week"]:
        lines.append(line(r))
        old = base.get(r["report"])
        if old:
            lines.append(f"    baseline (old code) {line(old).split(maxsplit=1)[1]}")
            if old["stopped"]:  # the old run never finished: only its memory gives a bound
                bound = old["peak_rss_mb"] / max(r["peak_rss_mb"], 1)
                ratio = f"memory ratio at least {bound:.1f}x (old run stopped)"
            else:
                ratio = (
                    f"time ratio {old['seconds'] / max(r['seconds'], 0.1):.1f}x, "
                    f"memory ratio {old['peak_rss_mb'] / max(r['peak_rss_mb'], 1):.1f}x"
                )
            lines.append(f"    {ratio}")
    if runs["month"]:
        lines += ["", f"30-day history ({args.month}):", *(line(r) for r in runs["month"])]
    text = "\n".join(lines) + "\n"
    (RESULTS / "reports.txt").write_text(text)
    (RESULTS / "reports.json").write_text(json.dumps({"machine": machine, **runs}, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
