"""Benchmark: ``workbench lag --data-dir D`` as the user runs it, against the code before this change.

Each run is the real command in a child process (``python -m workbench lag``), measured whole:
wall time, user + system CPU seconds and the peak resident memory of that process, exact from
``wait4`` (no sampling: the command is too short for a sampler to catch its peak). The baseline
is the same command from each ``--baseline-rev`` (extracted with ``git archive``), run alternately
with the new code in the same session; all outputs must be identical (the table, levels, time
lags; trailing blanks aside). The median of ``--repeat`` runs is compared; the load average is
recorded beside each run.
The goal is judged on the median wall time (the user's wait) and peak RSS.

One command (the full 7-day history of docs/scale.md)::

    python bench/bench_lag_cli.py --data-dir /work/data-scale/full-7d --cluster big \
        --baseline-data-dir /work/data-scale/full-7d-v1

``--baseline-data-dir``: a copy whose rollups the baselines wrote themselves (rollup schema 1 before
session 10; ``workbench rollup rebuild`` from the baseline's tree), so each reads its own.

Writes ``bench/results/lag_cli.json`` and ``bench/results/lag_cli.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_reports import baseline_tree

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
#: main before session 10 (6d5e0cf: every far hour read) and before session 6 (846d19a), compared in
#: the same run.
BASELINE_REVS = ("6d5e0cf", "846d19a")
#: Issue 11's goal for `workbench lag --data-dir` on the full week: seconds, MB.
GOAL_S, GOAL_MB = 1.0, 300


def run_lag(tree: Path, data_dir: str, cluster: str) -> dict:
    """One ``workbench lag`` from checkout ``tree``: wall, CPU, peak RSS (wait4), output."""
    cmd = [sys.executable, "-m", "workbench", "lag", "--data-dir", data_dir, "--cluster", cluster]
    return run(cmd, tree)


def run(cmd: list[str], tree: Path) -> dict:
    """One process of ``cmd`` with checkout ``tree`` first on the path, measured by ``wait4``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        began = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=str(tree))
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - began
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    return {
        "tree": str(tree),
        "returncode": os.waitstatus_to_exitcode(status),
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "user_s": round(usage.ru_utime, 3),
        "sys_s": round(usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "output": text,
        "stderr": errors[-2000:],
    }


def compile_tree(tree: Path) -> None:
    """Write the bytecode of ``tree``'s package, as Python does on a user's first run: this machine
    sets PYTHONDONTWRITEBYTECODE, so without it every run would compile the sources again (a cost
    no user pays twice). Done for every tree alike (like with like)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "workbench"], cwd=tree, check=True, capture_output=True
    )


def _stripped(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines())


def summary(runs: list[dict]) -> dict:
    """Medians of the runs of one tree."""
    keys = ("wall_s", "cpu_s", "user_s", "sys_s", "peak_rss_mb")
    return {key: statistics.median(r[key] for r in runs) for key in keys}


def report(
    new: dict, old: dict[str, dict], floor: dict, same_output: bool | None, args: argparse.Namespace
) -> list[str]:
    """The text lines: medians, the bare interpreter, ratios baseline/new per baseline, the goal."""
    lines = [
        f"workbench lag --data-dir {args.data_dir} --cluster {args.cluster}: median of {args.repeat} runs",
        f"  new:      {new['wall_s']:.2f} s wall, {new['cpu_s']:.2f} s CPU, {new['peak_rss_mb']:.0f} MB peak",
        f"  (the interpreter alone, `python -c pass` with this machine's site hooks: {floor['wall_s']:.2f} s "
        f"wall, {floor['cpu_s']:.2f} s CPU)",
    ]
    for rev, base in old.items():
        lines.append(
            f"  baseline: {base['wall_s']:.2f} s wall, {base['cpu_s']:.2f} s CPU, "
            f"{base['peak_rss_mb']:.0f} MB peak ({rev})"
        )
        lines.append(
            f"  ratio {rev}/new: wall {base['wall_s'] / new['wall_s']:.2f}x, "
            f"CPU {base['cpu_s'] / new['cpu_s']:.2f}x, "
            f"peak RSS {base['peak_rss_mb'] / new['peak_rss_mb']:.2f}x"
        )
    if old:
        lines.append(f"  same output as every baseline: {same_output}")
    wall_ok, mb_ok = new["wall_s"] <= GOAL_S, new["peak_rss_mb"] <= GOAL_MB
    lines.append(
        f"  goal <= {GOAL_S:.0f} s and <= {GOAL_MB} MB: wall {'met' if wall_ok else 'NOT met'}, "
        f"memory {'met' if mb_ok else 'NOT met'} (wall depends on the load: see the load average)"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--cluster", required=True)
    parser.add_argument(
        "--baseline-data-dir",
        help="the same raw snapshots with rollups written by the baselines' own code, for baselines "
        "of an older rollup schema (default: --data-dir)",
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="keep the trees' bytecode as it is (default: compile every tree first, like a user's first run)",
    )
    parser.add_argument(
        "--baseline-rev",
        action="append",
        help=f"git revision of old code, repeatable (default: {' '.join(BASELINE_REVS)}; '' for none)",
    )
    args = parser.parse_args()
    revs = [r for r in (args.baseline_rev or BASELINE_REVS) if r]
    trees = {"new": ROOT, **{rev: baseline_tree(rev) for rev in revs}}
    if not args.no_compile:
        for tree in trees.values():
            compile_tree(tree)
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    bare: list[dict] = []
    for _ in range(args.repeat):  # alternate, so all see the same load
        for name, tree in trees.items():
            data_dir = args.data_dir if name == "new" else (args.baseline_data_dir or args.data_dir)
            runs[name].append(run_lag(tree, data_dir, args.cluster))
        bare.append(run([sys.executable, "-c", "pass"], ROOT))
    for r in (r for group in runs.values() for r in group):
        if r["returncode"] != 0:
            raise SystemExit(f"a run failed ({r['tree']}): {r['stderr']}")
    # piped tables lost rich's trailing blanks in session 6: compared line by line without them
    outputs = {_stripped(r["output"]) for group in runs.values() for r in group}
    same = len(outputs) == 1 if revs else None
    new = summary(runs["new"])
    old = {rev: summary(runs[rev]) for rev in revs}
    floor = summary(bare)
    lines = report(new, old, floor, same, args)
    loads = [r["load_avg"][0] for group in runs.values() for r in group]
    lines.insert(
        1, f"  1-min load average during the runs: {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} CPUs"
    )
    lines.insert(
        2,
        "  bytecode: "
        + (
            "as found (--no-compile)"
            if args.no_compile
            else "compiled first in every tree, as on a user's first run"
        ),
    )
    print("\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    for group in runs.values():
        for r in group:
            r.pop("output")
    doc = {
        "command": f"workbench lag --data-dir {args.data_dir} --cluster {args.cluster}",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "baseline_revs": revs,
        "baseline_data_dir": args.baseline_data_dir or args.data_dir,
        "median_new": new,
        "median_baseline": old,
        "median_interpreter_alone": floor,
        "same_output": same,
        "bytecode_compiled_first": not args.no_compile,
        "runs": runs,
    }
    (RESULTS / "lag_cli.json").write_text(json.dumps(doc, indent=2) + "\n")
    (RESULTS / "lag_cli.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
