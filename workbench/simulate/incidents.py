"""The incident timetable: what goes wrong in the simulated history, and when.

Times are stated for the default 7-day window (hours after its start). A shorter or longer
window scales them by ``days / 7`` so every incident still happens inside it; the two fixed
exceptions are the rewind's short stop (15 minutes) and the EMPTY group's backlog, which is
always 12 hours away from retention at the window's start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: Length of the reference window the hour marks below refer to.
REFERENCE_HOURS = 7 * 24

STALL_GROUP, STALL_TOPIC, STALL_FROM_H, STALL_TO_H = "fraud-case-manager", "fraud-scores", 40.0, 43.0
STOP_GROUP, STOP_TOPIC, STOP_FROM_H = "notifications-sender", "notifications", 78.0
REWIND_GROUP, REWIND_TOPIC, REWIND_AT_H, REWIND_BACK_H = "search-indexer", "search-index", 110.0, 24.0
REWIND_STOP_S, REWIND_RESET_S = 15 * 60, 5 * 60  # consumers stopped / offsets reset, before restart
CAPACITY_GROUP, CAPACITY_TOPIC, CAPACITY_FACTOR = "analytics-etl", "clickstream", 0.7
EMPTY_GROUP, EMPTY_TOPIC, EMPTY_RETENTION_HIT_H = "legacy-billing-export", "payments", 12.0
IDLE_EMPTY_GROUP, IDLE_TOPIC = "config-watcher-old", "config-changes"
GROWTH_TOPIC, GROWTH_AT_H = "inventory-updates", 100.0
NEVER_GROUP, NEVER_TOPIC, NEVER_PARTITION = "audit-archiver", "audit-log", 3
UNREAD_TOPIC = "dead-letter"


@dataclass(frozen=True)
class Incident:
    """One scheduled incident, with what a lag report should find in the data."""

    kind: str
    group: str | None
    topic: str
    start: dt.datetime | None
    end: dt.datetime | None
    finding: str


@dataclass(frozen=True)
class Timeline:
    """Snapshot steps of every incident for one window (``n_steps`` snapshots of ``interval_s``)."""

    start: dt.datetime
    interval_s: int
    n_steps: int

    def step(self, hours: float) -> int:
        """The snapshot step of a reference-window hour mark, scaled to this window."""
        frac = hours / REFERENCE_HOURS
        return min(self.n_steps - 1, max(0, round(frac * self.n_steps)))

    def ts(self, step: int) -> dt.datetime:
        """The timestamp of snapshot ``step``."""
        return self.start + dt.timedelta(seconds=step * self.interval_s)

    @property
    def stall(self) -> tuple[int, int]:
        """[first, last) steps during which the stalled group commits the same offset."""
        a = self.step(STALL_FROM_H)
        return a, max(a + 1, self.step(STALL_TO_H))

    @property
    def stop(self) -> int:
        """First step at which the stopped group has no members."""
        return self.step(STOP_FROM_H)

    @property
    def rewind(self) -> tuple[int, int, int]:
        """(consumers stop, offsets reset, consumers restart) steps of the rewind."""
        restart = max(2, self.step(REWIND_AT_H))
        reset = restart - max(1, round(REWIND_RESET_S / self.interval_s))
        stop = min(reset - 1, restart - max(2, round(REWIND_STOP_S / self.interval_s)))
        return max(0, stop), max(0, reset), restart

    @property
    def rewind_back_steps(self) -> int:
        """How many steps back the reset moves the committed offset."""
        return round(REWIND_BACK_H / REFERENCE_HOURS * self.n_steps)

    @property
    def growth(self) -> int:
        """Step at which the expanding topic's new partitions appear."""
        return max(1, self.step(GROWTH_AT_H))

    def incidents(self) -> list[Incident]:
        """The timetable as records (absolute UTC times), for summaries and documentation."""
        stall_a, stall_b = self.stall
        _, reset, restart = self.rewind
        end = self.ts(self.n_steps - 1)
        return [
            Incident(
                "stall",
                STALL_GROUP,
                STALL_TOPIC,
                self.ts(stall_a),
                self.ts(stall_b),
                "members stay assigned, committed offset flat, lag grows; catches up after",
            ),
            Incident(
                "stop",
                STOP_GROUP,
                STOP_TOPIC,
                self.ts(self.stop),
                end,
                "no members, state Empty, committed frozen, lag grows to the end",
            ),
            Incident(
                "rewind",
                REWIND_GROUP,
                REWIND_TOPIC,
                self.ts(reset),
                self.ts(restart),
                f"committed offset jumps back ~{REWIND_BACK_H:g}h of traffic, new member ids, "
                "lag spikes then drains over a few hours",
            ),
            Incident(
                "capacity",
                CAPACITY_GROUP,
                CAPACITY_TOPIC,
                None,
                None,
                f"consumes at most {CAPACITY_FACTOR:.0%} of peak produce rate: lag builds every "
                "afternoon (peak 15:00 UTC+1) and drains overnight",
            ),
            Incident(
                "empty",
                EMPTY_GROUP,
                EMPTY_TOPIC,
                self.start,
                end,
                "no members all window, committed frozen far behind; lag grows",
            ),
            Incident(
                "empty-idle",
                IDLE_EMPTY_GROUP,
                IDLE_TOPIC,
                self.start,
                end,
                "no members on an idle topic, caught up: lag 0, not an alert",
            ),
            Incident(
                "retention",
                EMPTY_GROUP,
                EMPTY_TOPIC,
                self.start + dt.timedelta(hours=EMPTY_RETENTION_HIT_H),
                end,
                "committed < log_start_offset: retention deleted messages the group never read",
            ),
            Incident(
                "retention",
                STOP_GROUP,
                STOP_TOPIC,
                self.ts(self.stop) + dt.timedelta(hours=72),
                None,
                "72h after the stop (outside a window shorter than that): committed < log_start",
            ),
            Incident(
                "growth",
                None,
                GROWTH_TOPIC,
                self.ts(self.growth),
                None,
                "new partitions appear in partition_offsets and in every reader's assignment, "
                "starting at offset 0",
            ),
            Incident(
                "never-committed",
                NEVER_GROUP,
                f"{NEVER_TOPIC}[{NEVER_PARTITION}]",
                self.start,
                end,
                "partition assigned to a member but committed_offset null: lag unknown, not 0",
            ),
            Incident(
                "unread-topic", None, UNREAD_TOPIC, None, None, "in partition_offsets only: no group reads it"
            ),
        ]
