"""Last stable offsets: what a read_committed consumer can read (ListOffsets, read_committed).

The offsets snapshot asks for them beside the watermarks (one more request in flight) and
stores them as ``stable_offsets``. confluent-kafka 2.16 exposes neither DescribeProducers nor
ListTransactions, so the open transactions themselves are not collected: the hanging-transaction
finding names the partitions and the command that lists them (``docs/transactions.md``).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.schema import conform, empty


def stable_frame(ts: dt.datetime, cluster: str, stable: dict[tuple[str, int], int | None]) -> pl.DataFrame:
    """The ``stable_offsets`` rows of one snapshot (partitions whose leader did not answer: null)."""
    if not stable:
        return empty("stable_offsets")
    keys = sorted(stable)
    frame = pl.DataFrame(
        {
            "ts": [ts] * len(keys),
            "cluster": cluster,
            "topic": [t for t, _ in keys],
            "partition": [p for _, p in keys],
            "last_stable_offset": [stable[k] for k in keys],
            "source": "collector",
        },
        schema_overrides={"last_stable_offset": pl.Int64, "partition": pl.Int32},
    )
    return conform(frame, "stable_offsets")
