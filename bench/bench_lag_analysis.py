"""Benchmark: the full lag analysis over a large synthetic offsets history, Polars vs pandas.

(a) Polars: lags, rates, time lag, Burrow status timeline and per-group/topic/member aggregates
    over ``--rows`` snapshot rows (default 100 M = 2,000 partitions × 50,000 snapshots), generated
    here and processed in batches of whole groups (per-partition work is independent), so peak
    memory stays bounded. Prints elapsed, rows/s and peak RSS.
(b) pandas: an idiomatic vectorized implementation of the same analysis (groupby().diff/shift,
    merge_asof, shifted windows; no row loops, no groupby-apply) on a ``--pandas-rows`` subset,
    timed against the Polars version on the same subset.

Usage::

    python bench/bench_lag_analysis.py            # full size (100 M rows; minutes)
    python bench/bench_lag_analysis.py --quick    # 1 M rows, 200 k for pandas
    python bench/bench_lag_analysis.py --rows 20000000 --pandas-rows 2000000

Writes ``bench/results/lag_analysis.json`` and ``bench/results/lag_analysis.txt``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# isort: off
import workbench

workbench.tune_allocator()  # before Polars: its allocator options (JEMALLOC_CONF), as the CLI does

# isort: on
import numpy as np  # noqa: E402  (after tune_allocator: Polars reads its options on import)
import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402

from workbench.analyze import BurrowConfig  # noqa: E402
from workbench.analyze.lag import prepare  # noqa: E402
from workbench.analyze.lag.analysis import _analyze_prepared  # noqa: E402
from workbench.frames import add_lag_columns  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PARTITIONS_PER_GROUP = 100
SNAPSHOT_S = 30
T0_US = 1_700_000_000_000_000


def cpu_s() -> float:
    """CPU time of this process so far, user + sys, all threads (getrusage)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------
# Synthetic data


def make_batch(batch: int, partitions: int, snapshots: int, seed: int = 0) -> pl.DataFrame:
    """One group reading one topic of ``partitions`` partitions for ``snapshots`` snapshots.

    Producers write Poisson(rate) messages per interval (rate varies per partition, with idle
    stretches); consumers keep up with noise, and each partition gets incidents: a stopped
    consumer (frozen commit), a rewind, and ~0.5 % snapshots without a commit.
    """
    rng = np.random.default_rng(seed + batch)
    p, n = partitions, snapshots
    rate = rng.uniform(5, 200, size=(p, 1))
    idle = rng.random((p, n)) < 0.05
    produced = np.where(idle, 0, rng.poisson(rate, size=(p, n))).cumsum(axis=1) + rng.integers(
        0, 10**6, (p, 1)
    )
    backlog = rng.gamma(1.0, rate * 2, size=(p, n)).astype(np.int64)
    committed = np.maximum.accumulate(produced - backlog, axis=1)
    stop_at = rng.integers(0, n, size=p)
    stop_len = rng.integers(10, 200, size=p)
    idx = np.arange(n)
    stopped = (idx >= stop_at[:, None]) & (idx < (stop_at + stop_len)[:, None])
    frozen = np.take_along_axis(committed, np.minimum(stop_at, n - 1)[:, None], axis=1)
    committed = np.where(stopped, frozen, committed)
    rewind_at = rng.integers(1, n, size=p)
    committed[np.arange(p), rewind_at] -= rng.integers(0, 5_000, size=p)
    committed = np.minimum(committed, produced)
    jitter = rng.integers(-2_000_000, 2_000_000, size=n)
    ts = T0_US + idx.astype(np.int64) * SNAPSHOT_S * 1_000_000 + jitter
    missing = rng.random(p * n) < 0.005
    total = p * n
    frame = pl.DataFrame(
        {
            "ts": pl.Series(np.tile(ts, p)).cast(pl.Datetime("us", "UTC")),
            "cluster": pl.repeat("bench", total, eager=True),
            "group": pl.repeat(f"group-{batch:03d}", total, eager=True),
            "group_state": pl.repeat("Stable", total, eager=True),
            "topic": pl.repeat(f"topic-{batch:03d}", total, eager=True),
            "partition": pl.Series(np.repeat(np.arange(p, dtype=np.int32), n)),
            "committed_offset": pl.Series(committed.ravel()).scatter(np.flatnonzero(missing), None),
            "log_start_offset": pl.Series(np.repeat(produced[:, 0] - 1000, n)),
            "log_end_offset": pl.Series(produced.ravel()),
            "member_id": pl.Series(np.repeat(np.arange(p) % 10, n)).cast(pl.String),
        }
    ).with_columns(client_id=pl.col("member_id"), host=pl.lit("10.0.0.1"), source=pl.lit("bench"))
    return add_lag_columns(frame)  # type: ignore[return-value]


def batches(rows: int, partitions_per_batch: int) -> tuple[int, int, int]:
    """(batches, partitions per batch, snapshots) for about ``rows`` rows."""
    snapshots = min(50_000, max(100, rows // 2_000))
    parts = max(1, rows // snapshots)
    per = min(partitions_per_batch, parts)
    return max(1, parts // per), per, snapshots


# ---------------------------------------------------------------------------------------------
# (a) Polars


def analyze_batch_polars(
    frame: pl.DataFrame,
    config: BurrowConfig,
    timings: dict[str, float],
    cpu: dict[str, float] | None = None,
    concurrent: bool = True,
) -> dict:
    """The full analysis of one batch; returns small summaries (the big frames are dropped).

    ``timings`` accumulates each stage's wall time, ``cpu`` its CPU time (user + sys, whole
    process: only meaningful when ``concurrent`` is False). The analysis is what
    ``analyze_lag_pieces`` runs on each piece (``prepare`` + ``_analyze_prepared``, concurrent),
    called here directly to time its stages. ``concurrent``: run the independent chains (lag → time lag;
    status; then the aggregates) in threads, so both cores stay busy where a Polars kernel is
    single-threaded; stage wall times then overlap (their sum exceeds the batch's elapsed time).
    """
    cpu = {} if cpu is None else cpu

    def timed(name: str, fn, *args):  # type: ignore[no-untyped-def]
        t, c = time.perf_counter(), cpu_s()
        out = fn(*args)
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - t
        cpu[name] = cpu.get(name, 0.0) + cpu_s() - c
        return out

    prepared = timed("prepare", prepare, frame)
    result = _analyze_prepared(prepared, config, concurrent=concurrent, timed=timed)
    parts, pstatus, gstatus = result.partitions, result.partition_status, result.group_status
    groups, topics, members = result.groups, result.topics, result.members
    return {
        "status_counts": pstatus["status"].value_counts().rows(),
        "group_status_counts": gstatus["status"].value_counts().rows(),
        "time_lag_methods": parts["time_lag_method"].value_counts().rows(),
        "time_lag_sum": parts["time_lag_s"].sum(),
        "groups_rows": groups.height,
        "topics_rows": topics.height,
        "members_rows": members.height,
    }


def merge_counts(acc: dict[str, int], rows: list[tuple[str, int]]) -> None:
    for key, count in rows:
        acc[key] = acc.get(key, 0) + count


def profile_stages(per_batch: int, snapshots: int, config: BurrowConfig) -> dict[str, dict[str, float]]:
    """Wall and CPU time of each stage, run one after the other on one batch (not timed as part of
    the full run): where the time goes, which the concurrent run's overlapping stages can't show."""
    frame = make_batch(0, per_batch, snapshots)
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    analyze_batch_polars(frame, config, wall, cpu, concurrent=False)
    del frame
    gc.collect()
    return {k: {"wall_s": round(wall[k], 2), "cpu_s": round(cpu[k], 2)} for k in wall}


def run_polars(rows: int, per_batch: int, config: BurrowConfig, concurrent: bool = True) -> dict:
    n_batches, per, snapshots = batches(rows, per_batch)
    profile = profile_stages(per, snapshots, config)
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    status: dict[str, int] = {}
    methods: dict[str, int] = {}
    gen_s = analysis_s = analysis_cpu = 0.0
    total_rows = 0
    t_all, cpu_all = time.perf_counter(), cpu_s()
    for b in range(n_batches):
        t = time.perf_counter()
        frame = make_batch(b, per, snapshots)
        gen_s += time.perf_counter() - t
        total_rows += frame.height
        t, c = time.perf_counter(), cpu_s()
        summary = analyze_batch_polars(frame, config, timings, cpu, concurrent)
        analysis_s += time.perf_counter() - t
        analysis_cpu += cpu_s() - c
        merge_counts(status, summary["status_counts"])
        merge_counts(methods, summary["time_lag_methods"])
        del frame, summary
        gc.collect()
        print(
            f"  batch {b + 1}/{n_batches}: {total_rows:,} rows, {time.perf_counter() - t_all:.1f} s",
            flush=True,
        )
    wall = time.perf_counter() - t_all
    process_cpu = cpu_s() - cpu_all
    return {
        "rows": total_rows,
        "batches": n_batches,
        "partitions": n_batches * per,
        "snapshots": snapshots,
        "concurrent_stages": concurrent,
        "generate_s": round(gen_s, 2),
        "analysis_s": round(analysis_s, 2),
        "analysis_cpu_s": round(analysis_cpu, 2),
        "wall_s": round(wall, 2),
        "rows_per_s_analysis": round(total_rows / analysis_s),
        "rows_per_s_wall": round(total_rows / wall),
        "process_cpu_s": round(process_cpu, 2),
        "stage_s": {k: round(v, 2) for k, v in timings.items()},
        "stage_profile_one_batch": profile,
        "peak_rss_mb": round(peak_rss_mb()),
        "partition_status_counts": status,
        "time_lag_methods": methods,
    }


# ---------------------------------------------------------------------------------------------
# (b) pandas: the same analysis, vectorized the idiomatic pandas way

PD_KEYS = ["cluster", "group", "topic", "partition"]
PD_TKEYS = ["cluster", "topic", "partition"]


def pd_prev_known(values: pd.Series, pid: pd.Series) -> pd.Series:
    """The partition's previous non-null value (strictly before the row)."""
    return values.groupby(pid).ffill().groupby(pid).shift(1)


def pd_rate(values: pd.Series, t: pd.Series, pid: pd.Series, allow_negative: bool = False) -> pd.Series:
    known_t = t.where(values.notna())
    dv = values - pd_prev_known(values, pid)
    dt = known_t - pd_prev_known(known_t, pid)
    ok = (dt > 0) if allow_negative else (dt > 0) & (dv >= 0)
    return (dv / dt).where(ok)


def pd_partition_lag(df: pd.DataFrame) -> pd.DataFrame:
    df = df.sort_values([*PD_KEYS, "ts"], kind="stable", ignore_index=True)
    pid = df.groupby(PD_KEYS, sort=False).ngroup()
    t = df["ts"].astype("int64") / 1e6
    df["consume_rate"] = pd_rate(df["committed_offset"], t, pid)
    df["produce_rate"] = pd_rate(df["log_end_offset"], t, pid)
    df["lag_growth_rate"] = pd_rate(df["lag"], t, pid, allow_negative=True)
    net = df["consume_rate"] - df["produce_rate"]
    df["time_to_drain_s"] = np.where(df["lag"] == 0, 0.0, np.where(net > 0, df["lag"] / net, np.nan))
    return df


def pd_first_reach(df: pd.DataFrame) -> pd.DataFrame:
    hist = df[[*PD_TKEYS, "ts", "log_end_offset"]].dropna(subset=["log_end_offset"])
    hist = hist.sort_values([*PD_TKEYS, "ts", "log_end_offset"]).drop_duplicates(
        [*PD_TKEYS, "ts"], keep="last"
    )
    tp = hist.groupby(PD_TKEYS, sort=False).ngroup()
    end = hist["log_end_offset"]
    seg = ((tp != tp.shift()) | (end < end.shift())).cumsum()
    keep = (seg != seg.shift()) | (end > end.shift())
    pts = hist[keep].assign(seg=seg[keep]).rename(columns={"log_end_offset": "end"})
    g = pts.groupby("seg", sort=False)
    return pts.assign(
        idx=g.cumcount(), l_ts=g["ts"].shift(), l_end=g["end"].shift(),
        f_ts=g["ts"].transform("first"), f_end=g["end"].transform("first"),
    )  # fmt: skip


def pd_time_lag(df: pd.DataFrame) -> pd.DataFrame:
    pts = pd_first_reach(df)
    left = df[[*PD_TKEYS, "ts"]].assign(
        row=np.arange(len(df)), c=df[["committed_offset", "log_start_offset"]].max(axis=1, skipna=False)
    )
    at_t = pts[[*PD_TKEYS, "ts", "seg", "idx", "end", "f_ts", "f_end"]].assign(t_ts=pts["ts"])
    state = pd.merge_asof(left.sort_values("ts"), at_t.sort_values("ts"), on="ts", by=PD_TKEYS)
    state = state.rename(columns={"idx": "t_idx", "end": "t_end"})
    behind = state[state["c"].notna() & state["seg"].notna() & (state["c"] < state["t_end"])].copy()
    behind["seg"] = behind["seg"].astype("int64")
    right = pts[["seg", "end", "ts", "idx", "l_ts", "l_end"]].rename(columns={"ts": "r_ts", "idx": "r_idx"})
    found = pd.merge_asof(
        behind.sort_values("c"), right.assign(c=right["end"].astype("float64")).sort_values("c"),
        on="c", by="seg", direction="forward",
    )  # fmt: skip
    c, t = found["c"], found["ts"]
    interp = (t - found["r_ts"]).dt.total_seconds() + (found["end"] - c) * (
        (found["r_ts"] - found["l_ts"]).dt.total_seconds()
    ) / (found["end"] - found["l_end"])
    exact = (t - found["r_ts"]).dt.total_seconds()
    extrap = (t - found["f_ts"]).dt.total_seconds() + (found["f_end"] - c) * (
        (found["t_ts"] - found["f_ts"]).dt.total_seconds()
    ) / (found["t_end"] - found["f_end"])
    at_point, inside = found["end"] == c, found["r_idx"] >= 1
    can_extrap = found["t_idx"] >= 1
    found["value"] = np.select([at_point, inside, can_extrap], [exact, interp, extrap], np.nan)
    found["method"] = np.select(
        [at_point | inside, can_extrap], ["interpolated", "extrapolated"], "too_few_points"
    )
    out = df.copy()
    out["time_lag_s"] = np.nan
    out["time_lag_method"] = np.where(out["committed_offset"].isna(), "no_commit", "zero")
    state_behind = state.set_index("row")
    zero = (
        left["c"].to_numpy()
        >= out["log_end_offset"].fillna(state_behind["t_end"].reindex(left["row"])).to_numpy()
    )
    out.loc[zero & out["committed_offset"].notna(), "time_lag_s"] = 0.0
    out.loc[(~zero) & out["committed_offset"].notna(), "time_lag_method"] = "too_few_points"
    rows = found["row"].to_numpy()
    out.iloc[rows, out.columns.get_loc("time_lag_s")] = found["value"].to_numpy()
    out.iloc[rows, out.columns.get_loc("time_lag_method")] = found["method"].to_numpy()
    return out


def pd_window_features(df: pd.DataFrame, pid: pd.Series, config: BurrowConfig) -> pd.DataFrame:
    n, allowed = config.intervals, config.allowed_lag
    commits = df.loc[df["committed_offset"].notna(), ["committed_offset", "lag", "member_id"]].assign(
        pid=pid, now=df["now"]
    )
    c, cp = commits["committed_offset"], commits["pid"]
    # as in workbench.analyze.burrow.rules: a partition owned by a live member re-commits at every snapshot
    changed = (c != c.shift()) | (cp != cp.shift()) | commits["member_id"].notna()
    commits["cts"] = commits["now"].where(changed).ffill()
    g = commits.groupby("pid", sort=False)
    offs = np.column_stack([c] + [g["committed_offset"].shift(k) for k in range(1, n)]).astype("float64")
    tss = np.column_stack([commits["cts"]] + [g["cts"].shift(k) for k in range(1, n)]).astype("float64")
    lags = np.column_stack([commits["lag"]] + [g["lag"].shift(k) for k in range(1, n)]).astype("float64")
    newer_max = np.fmax.accumulate(offs, axis=1)  # newer_max[:, k] = max(offs[:, 0..k])
    rewinding = np.zeros(len(commits), dtype=bool)
    decided = np.zeros(len(commits), dtype=bool)
    for k in range(n - 2, -1, -1):  # oldest pair first; loops over window columns, not rows
        dec = (offs[:, k] < offs[:, k + 1]) & ~decided
        verdict = np.ones(len(commits), bool) if k == 0 else newer_max[:, k - 1] < offs[:, k + 1]
        rewinding |= dec & verdict
        decided |= dec
    older_known = pd.DataFrame(lags[:, ::-1]).ffill(axis=1).to_numpy()[:, ::-1]
    drops = (lags[:, :-1] < older_known[:, 1:]).any(axis=1) if n > 1 else np.zeros(len(commits), bool)
    first_ts = pd.DataFrame(tss[:, ::-1]).bfill(axis=1).to_numpy()[:, 0]
    return pd.DataFrame(
        {
            "slots": np.isfinite(offs).sum(axis=1), "last_off": offs[:, 0], "last_ts": tss[:, 0],
            "first_ts": first_ts, "rewinding": rewinding, "lag_never_ok": ~(lags <= allowed).any(axis=1),
            "stalled": np.nanmin(offs, axis=1) == np.nanmax(offs, axis=1), "lag_not_decreasing": ~drops,
        },
        index=commits.index,
    )  # fmt: skip


def pd_partition_status(df: pd.DataFrame, config: BurrowConfig) -> pd.DataFrame:
    assert config.min_distance_s == 0, "the pandas version implements min-distance 0 only"
    df = df.sort_values([*PD_KEYS, "ts"], kind="stable", ignore_index=True)
    df["now"] = df["ts"].astype("int64") // 1000
    pid = df.groupby(PD_KEYS, sort=False).ngroup()
    feats = pd_window_features(df, pid, config).reindex(df.index)
    feats = feats.groupby(pid).ffill()
    n = config.intervals
    end_ff = df["log_end_offset"].groupby(pid).ffill()
    current = df["lag"].fillna((end_ff - feats["last_off"]).clip(lower=0))
    broker = np.column_stack([df["log_end_offset"].groupby(pid).shift(k) for k in range(n)]).astype("float64")
    caught = (broker <= feats["last_off"].to_numpy()[:, None]).any(axis=1)
    span = feats["last_ts"] - feats["first_ts"]
    stopped = ((df["now"] - feats["last_ts"]) > span).to_numpy() & ~caught
    zero = (current <= config.allowed_lag).to_numpy()
    never = feats["lag_never_ok"].astype(bool).to_numpy()
    status = np.select(
        [zero, stopped, feats["rewinding"].astype(bool), never & feats["stalled"].astype(bool),
         never & feats["lag_not_decreasing"].astype(bool)],
        ["OK", "STOP", "REWIND", "STALL", "WARN"], "OK",
    )  # fmt: skip
    evaluated = feats["slots"].notna() & (feats["slots"].fillna(0) / n >= config.minimum_complete)
    df["status"] = np.where(evaluated, status, "OK")
    df["complete"] = feats["slots"].fillna(0) / n
    df["current_lag"] = current
    return df


def pd_group_status(ps: pd.DataFrame) -> pd.DataFrame:
    sev = ps["status"].map({"OK": 1, "WARN": 2}).fillna(3)
    full = (ps["complete"] >= 1.0).astype(float)
    return (
        ps.assign(sev=sev, full=full)
        .groupby(["cluster", "group", "ts"], sort=True)
        .agg(sev=("sev", "max"), totallag=("current_lag", "sum"), maxlag=("current_lag", "max"),
             complete=("full", "mean"), partition_count=("status", "size"))
    )  # fmt: skip


def pd_aggregate(parts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    parts = parts.assign(has_commit=parts["committed_offset"].notna())
    out = parts.groupby(keys, sort=True, dropna=False).agg(
        partitions=("partition", "size"), coverage=("has_commit", "mean"),
        total_lag=("lag", "sum"), max_partition_lag=("lag", "max"),
        consume_rate=("consume_rate", "sum"), produce_rate=("produce_rate", "sum"),
        lag_growth_rate=("lag_growth_rate", "sum"), max_time_lag_s=("time_lag_s", "max"),
    )  # fmt: skip
    net = out["consume_rate"] - out["produce_rate"]
    out["time_to_drain_s"] = np.where(
        out["total_lag"] == 0, 0.0, np.where(net > 0, out["total_lag"] / net, np.nan)
    )
    return out


def analyze_pandas(df: pd.DataFrame, config: BurrowConfig) -> dict:
    parts = pd_time_lag(pd_partition_lag(df))
    ps = pd_partition_status(df, config)
    gs = pd_group_status(ps)
    groups = pd_aggregate(parts, ["cluster", "group", "ts"])
    topics = pd_aggregate(parts, ["cluster", "topic", "ts"])
    members = pd_aggregate(parts, ["cluster", "group", "ts", "member_id", "client_id", "host"])
    return {
        "status_counts": ps["status"].value_counts().to_dict(),
        "time_lag_sum": float(np.nansum(parts["time_lag_s"])),
        "rows": (len(gs), len(groups), len(topics), len(members)),
    }


def run_comparison(rows: int, per_batch: int, config: BurrowConfig, concurrent: bool = True) -> dict:
    """Polars vs pandas on the same ``rows``-row subset (one in-memory frame each)."""
    n_batches, per, snapshots = batches(rows, per_batch)
    frame = pl.concat([make_batch(b, per, snapshots) for b in range(n_batches)])
    t, c = time.perf_counter(), cpu_s()
    pl_summary = analyze_batch_polars(frame, config, {}, concurrent=concurrent)
    polars_s, polars_cpu = time.perf_counter() - t, cpu_s() - c
    pdf = frame.to_pandas(use_pyarrow_extension_array=False)
    del frame
    gc.collect()
    t, c = time.perf_counter(), cpu_s()
    pd_summary = analyze_pandas(pdf, config)
    pandas_s, pandas_cpu = time.perf_counter() - t, cpu_s() - c
    same_status = dict(sorted(pl_summary["status_counts"])) == dict(
        sorted(pd_summary["status_counts"].items())
    )
    same_time_lag = bool(np.isclose(pl_summary["time_lag_sum"], pd_summary["time_lag_sum"], rtol=1e-9))
    return {
        "rows": len(pdf),
        "polars_s": round(polars_s, 2),
        "pandas_s": round(pandas_s, 2),
        "polars_cpu_s": round(polars_cpu, 2),
        "pandas_cpu_s": round(pandas_cpu, 2),
        "speedup": round(pandas_s / polars_s, 2),
        "speedup_cpu": round(pandas_cpu / polars_cpu, 2),
        "results_agree": {"status_counts": same_status, "time_lag_sum": same_time_lag},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000_000, help="snapshot rows for (a)")
    ap.add_argument("--pandas-rows", type=int, default=10_000_000, help="rows of the (b) subset")
    ap.add_argument("--batch-partitions", type=int, default=PARTITIONS_PER_GROUP, help="partitions per batch")
    ap.add_argument("--quick", action="store_true", help="small run: 1 M rows, 200 k for pandas")
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--sequential", action="store_true", help="run a batch's stages one after the other")
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.pandas_rows = 1_000_000, 200_000
    config = BurrowConfig()
    load_start = os.getloadavg()
    print(f"(a) Polars full analysis: {args.rows:,} rows, {pl.thread_pool_size()} threads", flush=True)
    full = run_polars(args.rows, args.batch_partitions, config, concurrent=not args.sequential)
    print(f"(b) Polars vs pandas on {args.pandas_rows:,} rows", flush=True)
    comparison = (
        None
        if args.skip_pandas
        else run_comparison(args.pandas_rows, args.batch_partitions, config, concurrent=not args.sequential)
    )
    result = {
        "benchmark": "lag_analysis",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "polars": pl.__version__,
                    "pandas": pd.__version__, "load_avg_at_start": load_start,
                    "load_avg_at_end": os.getloadavg()},
        "targets": {"full_s": 60, "peak_rss_mb": 4096, "pandas_speedup": 3},
        "polars_full": full,
        "polars_vs_pandas": comparison,
        "peak_rss_mb_after_pandas": round(peak_rss_mb()),
    }  # fmt: skip
    text = summary_text(result)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "lag_analysis.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "lag_analysis.txt").write_text(text + "\n")
    return 0


def summary_text(result: dict) -> str:
    full, cmp_ = result["polars_full"], result["polars_vs_pandas"]
    lines = [
        f"Polars full analysis: {full['rows']:,} rows ({full['partitions']:,} partitions x "
        f"{full['snapshots']:,} snapshots, {full['batches']} batches)",
        f"  analysis {full['analysis_s']} s ({full['rows_per_s_analysis']:,} rows/s); data generation "
        f"{full['generate_s']} s; wall {full['wall_s']} s ({full['rows_per_s_wall']:,} rows/s)",
        f"  CPU (user+sys): analysis {full['analysis_cpu_s']} s, process {full['process_cpu_s']} s "
        f"(2 cores); peak RSS {full['peak_rss_mb']:,} MB",
        f"  stages wall (s{', overlapping: concurrent' if full['concurrent_stages'] else ''}): "
        f"{full['stage_s']}",
        "  one batch, stages in sequence (wall/CPU s): "
        + ", ".join(f"{k} {v['wall_s']}/{v['cpu_s']}" for k, v in full["stage_profile_one_batch"].items()),
        f"  targets: analysis <= 60 s -> {'met' if full['analysis_s'] <= 60 else 'MISSED'}; < 4 GB -> "
        f"{'met' if full['peak_rss_mb'] < 4096 else 'MISSED'} (the wall time adds this script's "
        f"synthetic data generation, which is not part of the analysis)",
    ]
    if cmp_:
        lines += [
            f"Polars vs pandas on {cmp_['rows']:,} rows: Polars {cmp_['polars_s']} s, "
            f"pandas {cmp_['pandas_s']} s (CPU: Polars {cmp_['polars_cpu_s']} s, pandas "
            f"{cmp_['pandas_cpu_s']} s, {cmp_['speedup_cpu']}x), "
            f"wall ratio {cmp_['speedup']}x (target >= 3x: {'met' if cmp_['speedup'] >= 3 else 'MISSED'}); "
            f"results agree: {cmp_['results_agree']}",
        ]
    lines.append(f"machine: {result['machine']}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
