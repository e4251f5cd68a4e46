#!/usr/bin/env python3
"""The snapshot-grid group-by engine (``workbench/analyze/_groupby``) against Polars' own group-by,
on the user's path: the lag analysis (``prepare`` + ``_analyze_prepared``, what ``analyze_lag`` and
``analyze_lag_pieces`` run on each piece), on the same synthetic batches as ``bench_lag_analysis.py``.

    python bench/bench_groupby.py --rows 10000000 --rows 100000000

"Polars" switches the engine off the way the tests do (``grid_bins``, ``_packed_key`` and
``_group_status_fast`` return None, so every aggregate is a Polars ``group_by``). Each batch is
analyzed by both engines in alternating order; the results must be equal. Writes
``bench/results/groupby.json`` and ``groupby.txt``; the verdict keeps the grid only when it saves
20 % or more of the analysis time, both wall and CPU time (CPU time is robust to other load).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import platform
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import workbench

workbench.tune_allocator()  # before Polars, as the CLI does

import bench_lag_analysis as bla  # noqa: E402

from workbench.analyze import BurrowConfig  # noqa: E402
from workbench.analyze._groupby import grouping  # noqa: E402
from workbench.analyze.burrow import status  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
KEEP_IF_SAVES = 0.20


@contextlib.contextmanager
def polars_group_by() -> Iterator[None]:
    """Every aggregate through Polars' ``group_by`` (the grid and packed-key paths switched off)."""
    saved = grouping.grid_bins, grouping._packed_key, status._group_status_fast
    grouping.grid_bins = lambda *a, **k: None  # type: ignore[assignment]
    grouping._packed_key = lambda *a, **k: None  # type: ignore[assignment]
    status._group_status_fast = lambda *a, **k: None  # type: ignore[assignment]
    try:
        yield
    finally:
        grouping.grid_bins, grouping._packed_key, status._group_status_fast = saved


def timed_analysis(frame, config: BurrowConfig, engine: str) -> tuple[float, float, dict]:  # type: ignore[no-untyped-def]
    """Wall seconds, CPU seconds (all threads of this process: robust to other load) and the summary."""
    ctx = polars_group_by() if engine == "polars" else contextlib.nullcontext()
    with ctx:
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        summary = bla.analyze_batch_polars(frame, config, {})
        return time.perf_counter() - t, time.process_time() - c, summary


def _canonical(summary: dict) -> dict:
    """The summary with its value counts sorted (their order is not part of the result)."""
    return {k: sorted(v) if isinstance(v, list) else v for k, v in summary.items()}


def run(rows: int, per_batch: int) -> dict:
    n_batches, per, snapshots = bla.batches(rows, per_batch)
    config = BurrowConfig()
    seconds = {"grid": 0.0, "polars": 0.0}
    cpu = {"grid": 0.0, "polars": 0.0}
    total = 0
    for b in range(n_batches):
        frame = bla.make_batch(b, per, snapshots)
        total += frame.height
        order = ("grid", "polars") if b % 2 == 0 else ("polars", "grid")
        summaries = {}
        for engine in order:
            s, c, summaries[engine] = timed_analysis(frame, config, engine)
            seconds[engine] += s
            cpu[engine] += c
        if _canonical(summaries["grid"]) != _canonical(summaries["polars"]):
            raise SystemExit(f"batch {b}: the engines disagree: {summaries}")
        del frame
        print(f"  {rows:,}: batch {b + 1}/{n_batches}, grid {seconds['grid']:.1f} s, "
              f"polars {seconds['polars']:.1f} s; CPU grid {cpu['grid']:.1f} s, polars {cpu['polars']:.1f} s",
              flush=True)  # fmt: skip
    saving = 1 - seconds["grid"] / seconds["polars"]
    cpu_saving = 1 - cpu["grid"] / cpu["polars"]
    return {
        "rows": total,
        "batches": n_batches,
        "snapshots": snapshots,
        "grid_s": round(seconds["grid"], 2),
        "polars_s": round(seconds["polars"], 2),
        "polars_over_grid": round(seconds["polars"] / seconds["grid"], 3),
        "grid_saves": round(saving, 3),
        "grid_cpu_s": round(cpu["grid"], 2),
        "polars_cpu_s": round(cpu["polars"], 2),
        "grid_saves_cpu": round(cpu_saving, 3),
        "load_average": [round(x, 1) for x in bla.os.getloadavg()],
        "peak_rss_mb": round(bla.peak_rss_mb()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, action="append", help="snapshot rows (repeatable)")
    ap.add_argument("--batch-partitions", type=int, default=bla.PARTITIONS_PER_GROUP)
    args = ap.parse_args(argv)
    sizes = args.rows or [10_000_000, 100_000_000]
    runs = [run(rows, args.batch_partitions) for rows in sizes]
    wins = all(min(r["grid_saves"], r["grid_saves_cpu"]) >= KEEP_IF_SAVES for r in runs)
    verdict = "keep the grid" if wins else "delete the grid"
    machine = {"python": platform.python_version(), "cpus": bla.os.cpu_count(), "os": platform.platform()}
    result = {
        "machine": machine,
        "keep_if_grid_saves": KEEP_IF_SAVES,
        "runs": runs,
        "verdict": verdict,
    }  # fmt: skip
    lines = [
        f"{r['rows']:>12,} rows: grid {r['grid_s']:.1f} s, Polars group_by {r['polars_s']:.1f} s, "
        f"Polars/grid {r['polars_over_grid']:.2f}x, grid saves {r['grid_saves']:.1%} of wall time, "
        f"{r['grid_saves_cpu']:.1%} of CPU time (grid {r['grid_cpu_s']:.1f} s, "
        f"Polars {r['polars_cpu_s']:.1f} s"
        f" CPU; load {r['load_average'][0]})"
        for r in runs
    ]
    text = "\n".join([*lines, f"verdict (grid must save >= {KEEP_IF_SAVES:.0%}): {verdict}"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "groupby.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "groupby.txt").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
