"""Last stable offsets on the real broker with an open transaction; hanging-transaction spells."""

from __future__ import annotations

import datetime as dt
import time

import polars as pl
import pytest
from confluent_kafka import Producer

from workbench.analyze.lag.transactions import add_stable_lag, hanging_transactions
from workbench.collect.kafka import KafkaAdmin
from workbench.collect.offsets import snapshot_offsets
from workbench.config import load_settings
from workbench.frames import add_lag_columns

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def _rows(lsos: list[int], ends: list[int]) -> tuple[pl.DataFrame, pl.DataFrame]:
    ts = [T0 + i * MIN for i in range(len(lsos))]
    base = {"ts": ts, "cluster": "c", "topic": "t", "partition": 0}
    return pl.DataFrame(base | {"log_end_offset": ends}), pl.DataFrame(base | {"last_stable_offset": lsos})


# (name, LSO per minute, log end per minute, threshold min) -> spells (lso, stuck minutes, blocked, ongoing)
SPELLS = [
    # no transaction: LSO = log end throughout
    ("none", [10, 20, 30, 40], [10, 20, 30, 40], 1, []),
    # an open transaction from 253 while the log end grows 263 -> 323: 3 min stuck, 70 blocked
    ("hanging", [253, 253, 253, 253], [263, 283, 303, 323], 2, [(253, 3, 70, True)]),
    # same spell below the threshold: not reported
    ("short", [253, 253, 253, 253], [263, 283, 303, 323], 3, []),
    # the transaction committed at minute 3: a past spell, not ongoing
    ("ended", [5, 5, 5, 60, 70], [10, 30, 50, 60, 70], 1, [(5, 2, 45, False)]),
    # LSO below the log end, but the log end does not grow: nothing new waits behind the open
    # transaction, so it is not reported (the threshold is about a growing backlog)
    ("idle", [7, 7, 7, 7], [9, 9, 9, 9], 1, []),
    # the LSO moves each minute (short transactions): never stuck
    ("moving", [5, 15, 25, 35], [10, 20, 30, 40], 1, []),
]


@pytest.mark.parametrize(("name", "lsos", "ends", "minutes", "expected"), SPELLS, ids=[s[0] for s in SPELLS])
def test_hanging_transaction_spells(name, lsos, ends, minutes, expected) -> None:
    parts, stable = _rows(lsos, ends)
    out = hanging_transactions(parts, stable, dt.timedelta(minutes=minutes))
    got = [
        (r["last_stable_offset"], r["stuck_for"] // MIN, r["blocked"], r["ongoing"]) for r in out.to_dicts()
    ]
    assert got == expected


def test_open_transaction_on_the_real_broker(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=1)
    plain = Producer({"bootstrap.servers": kafka.bootstrap})
    for i in range(10):
        plain.produce(topic, str(i).encode(), partition=0)
    plain.flush(30)
    tx = Producer({"bootstrap.servers": kafka.bootstrap, "transactional.id": f"tx-{topic}"})
    tx.init_transactions(30)
    tx.begin_transaction()
    tx.produce(topic, b"in-flight", partition=0)
    tx.flush(30)  # written, not committed: the LSO stays at 10
    admin = KafkaAdmin(load_settings(kafka.bootstrap))
    snaps = []
    for extra in (5, 7):
        for i in range(extra):
            plain.produce(topic, str(i).encode(), partition=0)
        plain.flush(30)
        snaps.append(snapshot_offsets(admin, "c"))
        time.sleep(0.01)  # distinct snapshot timestamps
    parts = pl.concat([s.partitions for s in snaps]).filter(pl.col("topic") == topic)
    stable = pl.concat([s.stable for s in snaps if s.stable is not None]).filter(pl.col("topic") == topic)
    assert stable["last_stable_offset"].to_list() == [10, 10]
    assert parts["log_end_offset"].to_list() == [16, 23]
    out = hanging_transactions(parts, stable, dt.timedelta(0))
    assert out.select("topic", "last_stable_offset", "blocked", "ongoing").rows() == [(topic, 10, 13, True)]
    offsets = add_lag_columns(
        parts.with_columns(
            group=pl.lit("g"), committed_offset=pl.lit(8, pl.Int64), log_start_offset=pl.lit(0, pl.Int64)
        )
    )
    lag = add_stable_lag(offsets, stable)
    assert lag.select("lag", "readable_lag").rows() == [
        (8, 2),
        (15, 2),
    ]  # to HW vs what read_committed can read
    tx.abort_transaction(30)
