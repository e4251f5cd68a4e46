"""Burrow's status from commit-level history: the ring Burrow keeps, fed the commits it would read.

Input: commits (``commits`` dataset: one row per offset commit with its commit timestamp) and the
log-end history (``partition_offsets``). Each commit's lag is the newest log-end reading at or
before its commit time minus the committed offset, floored at 0; a commit before any reading of
its partition is dropped (Burrow's ``addConsumerOffset``). Commits closer than ``min-distance``
to the previous slot overwrite it, keeping its timestamp. At each evaluation time the ring holds
the last ``intervals`` commits made by then, the broker ring the last ``intervals`` readings.

``rules="current"`` is Burrow's current rule set (:func:`workbench.analyze.burrow.decide`);
``rules="1.2.1"`` the Debian package's: no allowed-lag, and rewind, stall and not-decreasing are
all gated by "lag never zero", with no exemption for a rewind that recovered
(``docs/burrow-status.md``). Without a readable ``__consumer_offsets``,
:func:`commits_from_snapshots` estimates commits from the offsets snapshots.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from workbench.analyze.burrow.rules import (
    STATUS_CODES,
    BurrowConfig,
    decide,
    lag_never_within_allowed,
    rule2_rewinding,
    rule3_stopped,
    rule4_stalled,
    rule5_lag_not_decreasing,
)

if TYPE_CHECKING:
    from polars._typing import SchemaDict

Rules = Literal["current", "1.2.1"]
#: ``[storage] expire-group`` default (s): a group without a commit this long is NOTFOUND.
EXPIRE_GROUP_S = 604_800
_US = 1_000_000


@dataclass
class CommitRing:
    """One partition's ring: (offset, commit µs, lag at commit) slots, oldest first."""

    config: BurrowConfig
    slots: list[tuple[int, int, int | None]] = field(default_factory=list)

    def add(self, offset: int, ts: int, lag: int) -> None:
        """Append a commit, or merge it into the newest slot when closer than min-distance."""
        if self.slots and ts - self.slots[-1][1] < self.config.min_distance_s * _US:
            self.slots[-1] = (offset, self.slots[-1][1], lag)
            return
        self.slots = [*self.slots, (offset, ts, lag)][-self.config.intervals :]


def decide_121(stopped: bool, zero_lag: bool, offsets: Sequence[int], lags: Sequence[int | None]) -> str:
    """Burrow 1.2.1's ``calculatePartitionStatus`` (caching.go at v1.2.1)."""
    if zero_lag:
        return "OK"
    if stopped:
        return "STOP"
    if all(lag != 0 for lag in lags):
        if any(b < a for a, b in itertools.pairwise(offsets)):
            return "REWIND"
        if rule4_stalled(offsets):
            return "STALL"
        if all(a is not None and b is not None and b >= a for a, b in itertools.pairwise(lags)):
            return "WARN"
    return "OK"


@dataclass(frozen=True)
class RingVerdict:
    """What a ring decides on its own (recomputed only when a commit arrives)."""

    complete: float
    first_ts: int
    last_ts: int
    last_offset: int
    rest: str
    """The status when the current lag is not zero and the partition is not stopped."""


def ring_verdict(ring: CommitRing, rules: Rules = "current") -> RingVerdict | None:
    """The ring-only part of the rules (None for an empty ring)."""
    cfg, slots = ring.config, ring.slots
    if not slots:
        return None
    offsets, lags = [s[0] for s in slots], [s[2] for s in slots]
    if rules == "1.2.1":
        rest = decide_121(False, False, offsets, lags)
    else:
        allowed = cfg.allowed_lag
        rest = decide(
            False,
            False,
            rule2_rewinding(offsets),
            lag_never_within_allowed(lags, allowed),
            rule4_stalled(offsets),
            rule5_lag_not_decreasing(lags),
        )
    return RingVerdict(len(slots) / cfg.intervals, slots[0][1], slots[-1][1], offsets[-1], rest)


def verdict_at(
    verdict: RingVerdict, cfg: BurrowConfig, now: int, broker: Sequence[int], current_lag: int, rules: Rules
) -> str:
    """The partition status at ``now`` (µs): the order of ``calculatePartitionStatus``."""
    if verdict.complete < cfg.minimum_complete:
        return "OK"
    if current_lag <= (0 if rules == "1.2.1" else cfg.allowed_lag):
        return "OK"
    if rule3_stopped(now, (verdict.first_ts, verdict.last_ts), verdict.last_offset, broker):
        return "STOP"
    return verdict.rest


def evaluate_ring(
    ring: CommitRing, now: int, broker: Sequence[int], current_lag: int, rules: Rules = "current"
) -> tuple[str, float]:
    """(status, complete) of one partition at ``now`` (µs), from its ring and broker readings."""
    verdict = ring_verdict(ring, rules)
    if verdict is None:
        return "OK", 0.0
    return verdict_at(verdict, ring.config, now, broker, current_lag, rules), verdict.complete


def _us(col: str) -> pl.Expr:
    return pl.col(col).dt.cast_time_unit("us").dt.epoch("us")


def _commit_order(commits: pl.DataFrame) -> pl.DataFrame:
    """Offset commits (tombstones dropped, as Burrow does) in ``__consumer_offsets`` order."""
    frame = commits.filter(pl.col("committed_offset").is_not_null())
    if {"offsets_partition", "offsets_offset"} <= set(frame.columns) and frame[
        "offsets_offset"
    ].null_count() == 0:
        frame = frame.unique(["offsets_partition", "offsets_offset"], keep="first", maintain_order=True)
        return frame.sort("offsets_partition", "offsets_offset")
    return frame.sort("ts", maintain_order=True)


def partition_status_on_commits(
    commits: pl.DataFrame,
    log_ends: pl.DataFrame,
    at: Sequence[dt.datetime],
    config: BurrowConfig | None = None,
    rules: Rules = "current",
) -> pl.DataFrame:
    """Burrow's status of every committed partition at each time in ``at``.

    ``commits``: group, topic, partition, ts, committed_offset (and the ``__consumer_offsets``
    position when known). ``log_ends``: topic, partition, ts, log_end_offset. One row per
    (at, group, topic, partition) with a commit by then: status, current_lag, complete,
    commit_lag (lag at the newest commit) and last_commit.
    """
    cfg = config or BurrowConfig()
    times = sorted(int(t.timestamp() * _US) for t in at)
    readings = _readings(log_ends)
    rows: list[tuple[Any, ...]] = []
    ordered = _commit_order(commits).with_columns(_ts=_us("ts"))
    for (group, topic, part), frame in ordered.group_by(["group", "topic", "partition"], maintain_order=True):
        leo_ts, leo = readings.get((topic, part), ([], []))
        rows.extend(_partition_rows(str(group), str(topic), int(part), frame, leo_ts, leo, times, cfg, rules))
    if not rows:
        return pl.DataFrame(schema=_OUT)
    raw: SchemaDict = {**_OUT, "ts": pl.Int64, "last_commit": pl.Int64}
    frame = pl.DataFrame(rows, schema=raw, orient="row")
    return frame.with_columns(
        pl.from_epoch(c, "us").dt.replace_time_zone("UTC") for c in ("ts", "last_commit")
    )


_OUT: SchemaDict = {
    "ts": pl.Datetime("us", "UTC"),
    "group": pl.String,
    "topic": pl.String,
    "partition": pl.Int32,
    "status": pl.String,
    "current_lag": pl.Int64,
    "complete": pl.Float64,
    "commit_lag": pl.Int64,
    "last_commit": pl.Datetime("us", "UTC"),
}


def _readings(log_ends: pl.DataFrame) -> dict[tuple[str, int], tuple[list[int], list[int]]]:
    frame = log_ends.filter(pl.col("log_end_offset").is_not_null()).select(
        "topic", "partition", _us("ts").alias("_ts"), "log_end_offset"
    )
    out = {}
    for (topic, part), f in frame.sort("_ts").group_by(["topic", "partition"], maintain_order=True):
        out[(str(topic), int(part))] = (f["_ts"].to_list(), f["log_end_offset"].to_list())
    return out


def _partition_rows(
    group: str,
    topic: str,
    part: int,
    frame: pl.DataFrame,
    leo_ts: list[int],
    leo: list[int],
    times: list[int],
    cfg: BurrowConfig,
    rules: Rules,
) -> list[tuple[Any, ...]]:
    ring, out, i, verdict = CommitRing(cfg), [], 0, None
    cts, offs = frame["_ts"].to_list(), frame["committed_offset"].to_list()
    pending = sorted(range(len(cts)), key=lambda k: cts[k])  # commits become visible at their time
    for now in times:
        while i < len(pending) and cts[pending[i]] <= now:
            k = pending[i]
            j = bisect.bisect_right(leo_ts, cts[k])
            if j:  # a commit before any reading of its partition is dropped, as in Burrow
                ring.add(offs[k], cts[k], max(0, leo[j - 1] - offs[k]))
                verdict = None
            i += 1
        if not ring.slots:
            continue
        verdict = verdict or ring_verdict(ring, rules)
        assert verdict is not None
        j = bisect.bisect_right(leo_ts, now)
        broker = leo[max(0, j - cfg.intervals) : j]
        current = max(0, broker[-1] - verdict.last_offset) if broker else 0
        status = verdict_at(verdict, cfg, now, broker, current, rules)
        last = ring.slots[-1]
        out.append((now, group, topic, part, status, current, verdict.complete, last[2], last[1]))
    return out


def group_status_on_commits(partitions: pl.DataFrame, expire_group_s: float = EXPIRE_GROUP_S) -> pl.DataFrame:
    """Burrow's group status per (ts, group): the worst partition, STOP/STALL/REWIND as ERR.

    A group whose newest commit is older than ``expire_group_s`` is NOTFOUND (Burrow purges it).
    Also ``totallag`` (sum of current lags) and ``complete`` (share of complete partitions).
    """
    code = pl.col("status").replace_strict(STATUS_CODES, return_dtype=pl.Int8)
    severity = pl.when(code >= 3).then(3).otherwise(code)
    out = partitions.group_by("ts", "group", maintain_order=True).agg(
        severity.max().alias("_sev"),
        pl.col("current_lag").sum().alias("totallag"),
        (pl.col("complete") >= 1.0).mean().alias("complete"),
        pl.col("last_commit").max().alias("_last"),
    )
    expired = (pl.col("ts") - pl.col("_last")) > pl.duration(seconds=expire_group_s)
    names = {1: "OK", 2: "WARN", 3: "ERR"}
    status = pl.when(expired).then(pl.lit("NOTFOUND")).otherwise(pl.col("_sev").replace_strict(names))
    return (
        out.with_columns(status=status)
        .select("ts", "group", "status", "totallag", "complete")
        .sort("ts", "group")
    )


def commits_from_snapshots(offsets: pl.DataFrame) -> pl.DataFrame:
    """Estimated commits from offsets snapshots, for clusters whose ``__consumer_offsets`` cannot
    be read: one commit wherever the committed offset changed, timed halfway between the snapshot
    that first shows it and the one before (the first one seen: at its snapshot). A re-commit of
    an unchanged offset is invisible here, so a stalled consumer reads as stopped."""
    key = ["group", "topic", "partition"]
    off = pl.col("committed_offset")
    frame = offsets.filter(off.is_not_null()).sort([*key, "ts"])
    prev_ts = pl.col("ts").shift(1).over(key)
    changed = (off != off.shift(1).over(key)).fill_null(True)
    est = pl.when(prev_ts.is_null()).then(pl.col("ts")).otherwise(prev_ts + (pl.col("ts") - prev_ts) / 2)
    frame = frame.with_columns(est.alias("_est"), changed.alias("_changed"))
    return frame.filter("_changed").select(pl.col("_est").alias("ts"), *key, "committed_offset")


def with_commit_status(
    partition_status: pl.DataFrame,
    group_status: pl.DataFrame,
    commits: pl.DataFrame,
    log_ends: pl.DataFrame,
    config: BurrowConfig,
    rules: Rules = "current",
    source: str = "commits",
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The snapshot path's status frames with the status of every group that has commits
    replaced by the status on commits at the same instants; ``status_source`` says which
    (``source``: ``commits``, or ``estimated`` for :func:`commits_from_snapshots`; else
    ``snapshots``). Other columns (lags, counts) stay the snapshots'."""
    keys = ["group", "topic", "partition"]
    have = commits.select("group").unique()
    names = have["group"].implode()
    src = pl.when(pl.col("group").is_in(names)).then(pl.lit(source)).otherwise(pl.lit("snapshots"))
    if commits.is_empty():
        return partition_status.with_columns(status_source=src), group_status.with_columns(status_source=src)
    at = group_status.filter(pl.col("group").is_in(names))["ts"].unique().to_list()
    ps = partition_status_on_commits(commits, log_ends, at, config, rules)
    gs = group_status_on_commits(ps)
    code = pl.col("status").replace_strict(STATUS_CODES, return_dtype=pl.Int8)
    pstat = partition_status.join(
        ps.select("ts", *keys, pl.col("status").alias("_c")), on=["ts", *keys], how="left"
    )
    gstat = group_status.join(
        gs.select("ts", "group", pl.col("status").alias("_c")), on=["ts", "group"], how="left"
    )
    out = []
    for frame in (pstat, gstat):
        frame = frame.with_columns(status_source=src)
        by_commits = pl.col("status_source") == source
        frame = frame.with_columns(
            status=pl.when(by_commits).then(pl.col("_c").fill_null("OK")).otherwise("status")
        )
        frame = frame.drop("_c")
        if "status_code" in frame.columns:
            frame = frame.with_columns(code.cast(frame.schema["status_code"]).alias("status_code"))
        out.append(frame)
    return out[0], out[1]
