"""Burrow's status at every snapshot, vectorized: :func:`partition_status`, :func:`group_status`.

The rules themselves live in :mod:`workbench.analyze.burrow.rules` (scalar and expression forms); this
module builds each snapshot's window as ``intervals`` shifted columns and applies them. The mapping
from snapshots to Burrow's commit slots is described there.
"""

from __future__ import annotations

import polars as pl

from workbench.analyze._groupby.grid import Agg, KeyCache
from workbench.analyze._groupby.grouping import _group_ts
from workbench.analyze._groupby.prepare import prepare
from workbench.analyze.burrow.rules import (
    PARTITION_STATUSES,
    STATUS_CODES,
    BurrowConfig,
    expr_decide,
    expr_decide_index,
    expr_lag_never_within_allowed,
    expr_rule1_zero_lag,
    expr_rule2_rewinding,
    expr_rule3_stopped,
    expr_rule4_stalled,
    expr_rule5_lag_not_decreasing,
    running_columns,
)


def _same_pid_shift(col: str, k: int) -> pl.Expr:
    """``col`` k rows back within the same ``_pid`` (null across a partition boundary)."""
    return pl.when(pl.col("_pid").shift(k) == pl.col("_pid")).then(pl.col(col).shift(k)) if k else pl.col(col)


def _slot_ids(commits: pl.DataFrame, min_distance_us: int) -> pl.Series:
    """Slot number of each commit row, merging commits closer than min-distance to their slot's
    (older) timestamp. Greedy like Burrow: iterates only while a run of close commits spans more
    than one min-distance (each pass adds the first crossing of every such run)."""
    cts, pid = pl.col("_cts"), pl.col("_pid")
    new = commits.select(
        ((pid != pid.shift(1)).fill_null(True) | ((cts - cts.shift(1)) >= min_distance_us)).alias("n")
    ).to_series()
    while min_distance_us > 0:
        step = commits.select(cts, new=new).with_columns(start=pl.when("new").then(cts).forward_fill())
        cand = ~pl.col("new") & ((cts - pl.col("start")) >= min_distance_us)
        cs = cand.cast(pl.Int64).cum_sum()
        base = pl.when("new").then(cs).forward_fill()
        first = step.select(cand & ((cs - base) == 1)).to_series()
        if not first.any():
            break
        new = new | first
    return (new.cast(pl.Int64).cum_sum() - 1).alias("_slot")


def _commit_windows(frame: pl.DataFrame, config: BurrowConfig) -> pl.DataFrame:
    """One row per snapshot with a commit: its window as shifted columns (newest first)."""
    pid, off = pl.col("_pid"), pl.col("committed_offset")
    owned = pl.col("member_id").is_not_null() if "member_id" in frame.columns else pl.lit(False)
    commits = frame.filter(off.is_not_null()).select(
        "_pid", "_now", "committed_offset", "lag", owned.alias("_owned")
    )
    # an unchanged offset is an old commit re-observed, unless a live member owns the partition
    changed = ((off != off.shift(1)) | (pid != pid.shift(1)) | pl.col("_owned")).fill_null(True)
    commits = commits.with_columns(_cts=pl.when(changed).then(pl.col("_now")).forward_fill())
    min_distance_us = round(config.min_distance_s * 1e6)
    if min_distance_us == 0:  # Burrow never merges: every commit is a slot, shift the rows
        back = [
            _same_pid_shift(src, k).alias(f"{dst}{k}")
            for k in range(1, config.intervals)
            for src, dst in (("committed_offset", "o"), ("_cts", "t"), ("lag", "l"))
        ]
        # lazy: each k's partition-boundary mask is computed once for its three columns
        return commits.lazy().with_columns(*back, _sts=pl.col("_cts")).collect(engine="in-memory")
    commits = commits.with_columns(_slot_ids(commits, min_distance_us))
    slot = pl.col("_slot")
    starts = commits.filter(slot != slot.shift(1).fill_null(-1)).select("_cts")
    commits = commits.with_columns(_sts=starts.to_series().gather(commits["_slot"]))
    finals = commits.filter(slot != slot.shift(-1).fill_null(-1)).select(
        "_pid", o0="committed_offset", t0="_sts", l0="lag"
    )
    back = [
        _same_pid_shift(name, k).alias(f"{name[0]}{k}")
        for k in range(1, config.intervals)
        for name in ("o0", "t0", "l0")
    ]
    if not back:
        return commits
    return pl.concat([commits, finals.select(back)[commits["_slot"]]], how="horizontal")


def _window_features(windows: pl.DataFrame, config: BurrowConfig) -> pl.DataFrame:
    """Slot-only rule outcomes of each commit row (rules 2, 4, 5 and the window's extent)."""
    n = config.intervals
    off_names = ["committed_offset", *(f"o{k}" for k in range(1, n))]
    lag_names = ["lag", *(f"l{k}" for k in range(1, n))]
    offs, lags = [pl.col(c) for c in off_names], [pl.col(c) for c in lag_names]
    tss = [pl.col("_sts"), *(pl.col(f"t{k}") for k in range(1, n))]
    lf, newer_max = running_columns(
        windows.lazy(), off_names, "_nm", lambda x, acc: pl.max_horizontal(x, acc)
    )
    lf, older_known = running_columns(lf, lag_names[::-1], "_ok", lambda x, acc: pl.coalesce(x, acc))
    return lf.select(
        "_pid",
        _slots=pl.sum_horizontal([o.is_not_null().cast(pl.Int32) for o in offs]),
        _last_off=pl.col("committed_offset"),
        _last_ts=pl.col("_sts"),
        _first_ts=pl.coalesce(list(reversed(tss))),
        rewinding=expr_rule2_rewinding(offs, newer_max),
        lag_never_ok=expr_lag_never_within_allowed(lags, config.allowed_lag),
        stalled=expr_rule4_stalled(offs),
        lag_not_decreasing=expr_rule5_lag_not_decreasing(lags, older_known[::-1]),
    ).collect()


_FEATURES = (
    "_slots",
    "_last_off",
    "_last_ts",
    "_first_ts",
    "rewinding",
    "lag_never_ok",
    "stalled",
    "lag_not_decreasing",
)


def _carry_forward(frame: pl.DataFrame, feats: pl.DataFrame) -> pl.DataFrame:
    """Attach to every snapshot the window of the partition's latest commit at or before it.

    ``feats`` has one row per commit row of ``frame``, in order: snapshot i takes feature row
    (commits so far − 1), kept only when that commit belongs to the same partition.
    """
    has = pl.col("committed_offset").is_not_null()
    idx = frame.select(has.cast(pl.Int64).cum_sum() - 1).to_series()
    if feats.height == 0:
        return frame.with_columns(pl.lit(None).alias(c) for c in _FEATURES)
    same = (idx >= 0) & (feats["_pid"].gather(idx.clip(0)) == frame["_pid"])
    at = pl.select(pl.when(same).then(idx)).to_series()  # a null position gathers a null row
    return pl.concat([frame, feats.drop("_pid")[at]], how="horizontal")


def partition_status(
    offsets: pl.DataFrame | pl.LazyFrame, config: BurrowConfig | None = None
) -> pl.DataFrame:
    """Burrow's partition status at every snapshot of every (group, topic, partition).

    Columns: the partition keys, ``ts``, ``member_id``/``client_id``/``host`` (when present),
    ``committed_offset``, ``log_end_offset``, ``current_lag``, ``complete`` (window fill, 0..1),
    ``window_slots``, ``last_commit_ts``, ``status`` (:data:`PARTITION_STATUSES`), ``status_code``,
    and each rule's outcome (``zero_lag``, ``stopped``, ``rewinding``, ``lag_never_ok``,
    ``stalled``, ``lag_not_decreasing``; null where the window was not evaluated).
    Sorted by partition, then ts.
    """
    return _partition_status_prepared(prepare(offsets), config or BurrowConfig())


def _partition_status_prepared(prepared: pl.DataFrame, config: BurrowConfig) -> pl.DataFrame:
    """:func:`partition_status` of a frame already through :func:`prepare` (sorted, with ``_pid``)."""
    frame = prepared.with_columns(_now=pl.col("ts").dt.epoch("us"))
    feats = _window_features(_commit_windows(frame, config), config)
    return _row_status(_carry_forward(frame, feats), config)


def _row_status(frame: pl.DataFrame, config: BurrowConfig) -> pl.DataFrame:
    """Rules that depend on the snapshot itself (1, 3), the decision, and the output columns."""
    n = config.intervals
    last_off = pl.col("_last_off")
    known_end = pl.when(pl.col("log_end_offset").is_not_null()).then(pl.col("_pid")).forward_fill()
    end_ff = pl.when(known_end == pl.col("_pid")).then(pl.col("log_end_offset").forward_fill())
    behind = end_ff - last_off
    current = pl.coalesce(
        pl.col("lag"), pl.when(behind > 0).then(behind).when(behind <= 0).then(pl.lit(0, pl.Int64))
    )
    broker = [_same_pid_shift("log_end_offset", k) for k in range(n)]
    out = (  # lazy, in steps: each step's inputs are computed once (eagerly, ~3x slower)
        frame.lazy()
        .with_columns(current_lag=current)
        .with_columns(
            complete=pl.col("_slots").fill_null(0) / n,
            zero_lag=expr_rule1_zero_lag(pl.col("current_lag"), config.allowed_lag),
            stopped=expr_rule3_stopped(
                pl.col("_now"), pl.col("_last_ts"), pl.col("_first_ts"), last_off, broker
            ),
        )
    )
    evaluated = pl.col("_slots").is_not_null() & (pl.col("complete") >= config.minimum_complete)
    rules = ["zero_lag", "stopped", "rewinding", "lag_never_ok", "stalled", "lag_not_decreasing"]
    decision = expr_decide_index(*(pl.col(r) for r in rules))
    index = pl.when(evaluated).then(decision).otherwise(pl.lit(PARTITION_STATUSES.index("OK"), pl.UInt32))
    codes = pl.Series([STATUS_CODES[s] for s in PARTITION_STATUSES], dtype=pl.Int8)
    out = out.with_columns(
        *(pl.when(evaluated).then(pl.col(r)).alias(r) for r in rules),
        _index=index,
        window_slots=pl.col("_slots").fill_null(0),
        last_commit_ts=pl.from_epoch("_last_ts", "us").dt.replace_time_zone("UTC"),
    ).with_columns(  # names and codes by one small gather each (a when/then over strings is slower)
        status=pl.lit(pl.Series(PARTITION_STATUSES, dtype=pl.String)).gather(pl.col("_index")),
        status_code=pl.lit(codes).gather(pl.col("_index")),
    )
    keep = [
        c
        for c in ("cluster", "group", "topic", "partition", "ts", "member_id", "client_id", "host")
        if c in frame.columns
    ]
    tail = ["committed_offset", "log_end_offset", "current_lag", "complete", "window_slots", "last_commit_ts"]
    return out.select(*keep, *tail, "status", "status_code", *rules).collect(engine="in-memory")


_SEVERITY = pl.when(pl.col("status") == "OK").then(1).when(pl.col("status") == "WARN").then(2).otherwise(3)


def group_status(partition_status_frame: pl.DataFrame) -> pl.DataFrame:
    """Burrow's group status per (ts, group) from a :func:`partition_status` frame.

    ``status``: the worst partition status with STOP/STALL/REWIND mapped to ERR (OK/WARN/ERR);
    ``totallag``: Σ current lag (known ones); ``maxlag_topic``/``maxlag_partition``/``maxlag``: the
    partition with the highest current lag; ``complete``: share of partitions whose window is full;
    ``partition_count``; ``error_partitions``/``warn_partitions``: counts by severity.
    """
    ps = partition_status_frame
    gkeys: list[str] = [c for c in ("cluster", "group") if c in ps.columns]
    sev = _SEVERITY.cast(pl.Int8)
    out = _group_status_fast(ps, gkeys, sev)
    if out is None:
        worst = pl.col("current_lag").fill_null(-1).arg_max()
        out = ps.group_by([*gkeys, "ts"]).agg(
            _sev=sev.max(),
            totallag=pl.col("current_lag").sum(),
            maxlag_topic=pl.col("topic").get(worst),
            maxlag_partition=pl.col("partition").get(worst),
            maxlag=pl.col("current_lag").max(),
            complete=(pl.col("complete") >= 1.0).mean(),
            partition_count=pl.len().cast(pl.Int64),
            error_partitions=(sev == 3).sum().cast(pl.Int64),
            warn_partitions=(sev == 2).sum().cast(pl.Int64),
        )
    return _finish_group_status(out, gkeys)


def _finish_group_status(out: pl.DataFrame, gkeys: list[str]) -> pl.DataFrame:
    """Status names and codes from ``_sev``, the output columns, sorted by (``gkeys``, ts)."""
    cols = [*gkeys, "ts", "status", "status_code", "totallag", "maxlag", "maxlag_topic", "maxlag_partition"]
    tail = ["complete", "partition_count", "error_partitions", "warn_partitions"]
    code = pl.col("_sev").replace_strict({1: "OK", 2: "WARN", 3: "ERR"}, return_dtype=pl.String)
    out = out.with_columns(status=code).with_columns(
        status_code=pl.col("status").replace_strict(STATUS_CODES, return_dtype=pl.Int8)
    )
    return out.select(*cols, *tail).sort([*gkeys, "ts"])


def _status_inputs(ps: pl.DataFrame) -> tuple[pl.DataFrame, list[Agg]] | None:
    """The per-row columns (``_sev``, ``_worst``, ``current_lag``, ``complete``) and the aggregates
    of :func:`_group_status_fast`; the partition with the highest lag (first one on ties, like
    ``arg_max``) is the group's maximum of ``(lag + 1) * rows + (rows - 1 - row)`` (null lag counts
    as -1). None when not applicable."""
    lag = ps["current_lag"]
    n = ps.height
    if not lag.dtype.is_integer() or n == 0:
        return None
    top = lag.max()
    if top is None:
        top = -1
    if float(max(int(top), 0) + 2) * n >= 2.0**62:  # type: ignore[arg-type]
        return None
    row = pl.int_range(n, dtype=pl.Int64)
    worst = (pl.col("current_lag").fill_null(-1).cast(pl.Int64) + 1) * n + (n - 1 - row)
    cols = ps.select("current_lag", "complete", _sev=_SEVERITY.cast(pl.Int8), _worst=worst)
    sev = pl.col("_sev")
    aggs = [
        Agg("_sev", "max", sev),
        Agg("totallag", "sum", pl.col("current_lag")),
        Agg("_worst", "max", pl.col("_worst")),
        Agg("maxlag", "max", pl.col("current_lag")),
        Agg("complete", "mean", pl.col("complete") >= 1.0),
        Agg("partition_count", "len", dtype=pl.Int64()),
        Agg("error_partitions", "sum", sev == 3, pl.Int64()),
        Agg("warn_partitions", "sum", sev == 2, pl.Int64()),
    ]
    return cols, aggs


def _status_maxlag(out: pl.DataFrame, ps: pl.DataFrame) -> pl.DataFrame:
    """The topic and partition of the group's highest lag, from the aggregated ``_worst``."""
    n = ps.height
    at = (n - 1 - out["_worst"] % n).cast(pl.UInt32)
    return out.with_columns(maxlag_topic=ps["topic"].gather(at), maxlag_partition=ps["partition"].gather(at))


def _group_status_fast(
    ps: pl.DataFrame, gkeys: list[str], sev: pl.Expr, cache: KeyCache | None = None
) -> pl.DataFrame | None:
    """:func:`group_status`'s aggregation on one packed integer key per (group, ts) (see
    :func:`_status_inputs`). None when not applicable."""
    inputs = _status_inputs(ps)
    if inputs is None:
        return None
    cols, aggs = inputs
    pkeys = [c for c in ("topic", "partition") if c in ps.columns]  # for the grid form
    frame = pl.concat([ps.select(*gkeys, *pkeys, "ts"), cols], how="horizontal")
    grouped = _group_ts(frame, gkeys, aggs, cache=cache)
    if grouped is None:
        return None
    return _status_maxlag(grouped[0].collect(), ps)


def evaluate_windows(windows: pl.DataFrame, config: BurrowConfig | None = None) -> pl.DataFrame:
    """Vectorized rules over explicit windows, one per row (Burrow's rings, given directly).

    Input columns: ``now`` (Int64 µs), ``current_lag``, and lists, oldest first: ``offsets``,
    ``timestamps`` (µs), ``lags`` (nullable items), ``broker`` (log ends). Adds ``complete``,
    each rule's outcome and ``status``, exactly as :func:`partition_status` decides them.
    """
    config = config or BurrowConfig()
    n = config.intervals

    def back(col: str, k: int, width: int = n) -> pl.Expr:
        size = pl.col(col).list.len()
        return pl.when(size > k).then(pl.col(col).list.tail(width).list.get(-1 - k, null_on_oob=True))

    cols = {f"_o{k}": back("offsets", k) for k in range(n)}
    cols |= {f"_l{k}": back("lags", k) for k in range(n)}
    cols |= {f"_t{k}": back("timestamps", k) for k in range(n)}
    cols |= {f"_b{k}": back("broker", k) for k in range(n)}
    lf = windows.lazy().with_columns(**cols)
    lf, newer_max = running_columns(
        lf, [f"_o{k}" for k in range(n)], "_nm", lambda x, acc: pl.max_horizontal(x, acc)
    )
    lf, older_known = running_columns(
        lf, [f"_l{k}" for k in range(n)][::-1], "_ok", lambda x, acc: pl.coalesce(x, acc)
    )
    offs, lags = [pl.col(f"_o{k}") for k in range(n)], [pl.col(f"_l{k}") for k in range(n)]
    tss, broker = [pl.col(f"_t{k}") for k in range(n)], [pl.col(f"_b{k}") for k in range(n)]
    slots = pl.min_horizontal(pl.col("offsets").list.len(), pl.lit(n))
    rules = {
        "zero_lag": expr_rule1_zero_lag(pl.col("current_lag"), config.allowed_lag),
        "stopped": expr_rule3_stopped(
            pl.col("now"), tss[0], pl.coalesce(list(reversed(tss))), offs[0], broker
        ),
        "rewinding": expr_rule2_rewinding(offs, newer_max),
        "lag_never_ok": expr_lag_never_within_allowed(lags, config.allowed_lag),
        "stalled": expr_rule4_stalled(offs),
        "lag_not_decreasing": expr_rule5_lag_not_decreasing(lags, older_known[::-1]),
    }
    helper = [c for c in lf.collect_schema().names() if c.startswith(("_o", "_l", "_t", "_b", "_nm", "_ok"))]
    out = lf.with_columns(complete=slots / n, **rules).drop(helper)
    evaluated = (slots > 0) & (pl.col("complete") >= config.minimum_complete)
    decision = expr_decide(*(pl.col(r) for r in rules))
    return out.with_columns(status=pl.when(evaluated).then(decision).otherwise(pl.lit("OK"))).collect()
