"""The scalar reference of :func:`workbench.analyze.burrow.partition_status`.

A plain Python loop over each partition's snapshots that keeps Burrow's rings (commits, broker
log ends) like ``storage/inmemory.go`` and calls the scalar rule functions like
``evaluator/caching.go``. Slow on purpose: it is the readable definition the vectorized
implementation is tested against, not something to run on a large history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from workbench.analyze._groupby.prepare import prepare
from workbench.analyze.burrow.rules import (
    BurrowConfig,
    decide,
    lag_never_within_allowed,
    rule1_zero_lag,
    rule2_rewinding,
    rule3_stopped,
    rule4_stalled,
    rule5_lag_not_decreasing,
)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class Slot:
    """One commit slot of Burrow's ring."""

    offset: int
    timestamp: int
    lag: int | None


@dataclass
class Ring:
    """A partition's state: commit slots, broker log-end readings, the last seen offset."""

    config: BurrowConfig
    slots: list[Slot] = field(default_factory=list)
    broker: list[int | None] = field(default_factory=list)
    seen_offset: int | None = None
    seen_since: int = 0
    last_end: int | None = None

    def observe(
        self, now: int, committed: int | None, lag: int | None, log_end: int | None, owned: bool = False
    ) -> None:
        """Add one snapshot: a broker reading, and a commit when there is a committed offset.

        An unchanged offset is an old commit re-observed, unless a live member owns the partition
        (``owned``): a live consumer keeps committing, so the commit is taken as fresh.
        """
        self.broker = [*self.broker, log_end][-self.config.intervals :]
        if committed is None:
            return
        if committed != self.seen_offset or owned:
            self.seen_offset, self.seen_since = committed, now
        slot = Slot(committed, self.seen_since, lag)
        min_distance = round(self.config.min_distance_s * 1e6)
        if self.slots and slot.timestamp - self.slots[-1].timestamp < min_distance:
            self.slots[-1] = Slot(committed, self.slots[-1].timestamp, lag)  # merge, keep older ts
        else:
            self.slots = [*self.slots, slot][-self.config.intervals :]


def evaluate_window(
    now: int, slots: list[Slot], current_lag: int | None, broker: list[int | None], config: BurrowConfig
) -> tuple[str, float]:
    """Burrow's ``evaluatePartitionStatus`` + ``calculatePartitionStatus`` on one window."""
    complete = len(slots) / config.intervals
    if not slots or complete < config.minimum_complete:
        return "OK", complete
    offsets = [s.offset for s in slots]
    lags = [s.lag for s in slots]
    status = decide(
        zero_lag=rule1_zero_lag(current_lag, config.allowed_lag),
        stopped=rule3_stopped(now, [s.timestamp for s in slots], offsets[-1], broker),
        rewinding=rule2_rewinding(offsets),
        never_ok=lag_never_within_allowed(lags, config.allowed_lag),
        stalled=rule4_stalled(offsets),
        not_decreasing=rule5_lag_not_decreasing(lags),
    )
    return status, complete


def _current_lag(ring: Ring, lag: int | None) -> int | None:
    """The snapshot's lag, else the newest known log end − the last commit (floored at 0)."""
    if lag is not None or not ring.slots:
        return lag
    return None if ring.last_end is None else max(0, ring.last_end - ring.slots[-1].offset)


def reference_partition_status(offsets: pl.DataFrame, config: BurrowConfig | None = None) -> pl.DataFrame:
    """Row-by-row status: keys, ts, status, complete (sorted like ``partition_status``)."""
    config = config or BurrowConfig()
    frame = prepare(offsets)
    out: list[tuple[str, float]] = []
    rings: dict[int, Ring] = {}
    for row in frame.iter_rows(named=True):
        ring = rings.setdefault(row["_pid"], Ring(config))
        now = (row["ts"] - EPOCH) // dt.timedelta(microseconds=1)
        owned = row.get("member_id") is not None
        ring.observe(now, row["committed_offset"], row["lag"], row["log_end_offset"], owned)
        if row["log_end_offset"] is not None:
            ring.last_end = row["log_end_offset"]
        current = _current_lag(ring, row["lag"])
        out.append(evaluate_window(now, ring.slots, current, ring.broker, config))
    keys = [c for c in ("cluster", "group", "topic", "partition", "ts") if c in frame.columns]
    return frame.select(keys).with_columns(
        status=pl.Series([s for s, _ in out], dtype=pl.String),
        complete=pl.Series([c for _, c in out], dtype=pl.Float64),
    )
