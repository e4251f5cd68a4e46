"""Name the open transactions that hold a partition's last stable offset (KIP-664 APIs).

confluent-kafka 2.16 has neither DescribeProducers nor ListTransactions; kafka-python 3.0
(already the seam for DescribeLogDirs and the group fan-out) has both, and DescribeTransactions:
``describe_producers`` asks each partition's leader for its active producers (an open
transaction has ``current_transaction_start_offset`` >= 0), ``list_transactions`` maps producer
ids to transactional ids, ``describe_transactions`` gives each one's state, start time and
timeout. A broker or ACL that refuses the naming steps leaves those columns null.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

import polars as pl

from workbench.collect.logdirs import KafkaPythonAdmin, no_kafka_deprecations, translate
from workbench.config import ClientSettings
from workbench.errors import KafkaAuthError, KafkaRequestError, KafkaUnavailableError
from workbench.schema import conform, empty

log = logging.getLogger(__name__)

Partition = tuple[str, int]


class Unsupported(KafkaRequestError):
    """The broker predates DescribeProducers / ListTransactions (Kafka < 3.0)."""


def stuck_partitions(
    previous: pl.DataFrame | None, stable: pl.DataFrame | None, partitions: pl.DataFrame
) -> list[Partition]:
    """Partitions whose LSO is below the log end now and equal to the previous snapshot's LSO
    (a transaction open across at least one interval); all with LSO < log end if no previous."""
    if stable is None or stable.is_empty():
        return []
    key = ["topic", "partition"]
    now = stable.select(*key, "last_stable_offset").join(partitions.select(*key, "log_end_offset"), on=key)
    now = now.filter(pl.col("last_stable_offset") < pl.col("log_end_offset"))
    if previous is not None:
        before = previous.select(*key, pl.col("last_stable_offset").alias("_before"))
        now = now.join(before, on=key).filter(pl.col("_before") == pl.col("last_stable_offset"))
    return sorted((t, int(p)) for t, p in now.select(key).rows())


class TransactionsClient(KafkaPythonAdmin):
    """A kafka-python admin client for the transaction APIs, created on first use."""

    purpose = "transactions"

    def open_transactions(
        self, ts: dt.datetime, cluster: str, partitions: Iterable[Partition]
    ) -> pl.DataFrame:
        """The ``open_transactions`` rows of ``partitions`` at ``ts`` (empty: none open)."""
        wanted = sorted(set(partitions))
        if not wanted:
            return empty("open_transactions")
        producers = self._producers(wanted)
        if not producers:
            return empty("open_transactions")
        names = self._names({p["producer_id"] for p in producers})
        rows = [
            {"ts": ts, "cluster": cluster, "source": "collector"} | p | names.get(p["producer_id"], {})
            for p in producers
        ]
        return conform(pl.DataFrame(rows, infer_schema_length=None), "open_transactions")

    def _producers(self, wanted: list[Partition]) -> list[dict[str, Any]]:
        """Producers with a transaction open on ``wanted`` (DescribeProducers, to each leader)."""
        with no_kafka_deprecations():
            from kafka.structs import TopicPartition

        try:
            answer = self._admin().describe_producers([TopicPartition(t, p) for t, p in wanted])
        except Exception as exc:
            raise self._translate(exc, "describe producers") from exc
        return [
            {
                "topic": tp.topic,
                "partition": tp.partition,
                "producer_id": s.producer_id,
                "producer_epoch": s.producer_epoch,
                "start_offset": s.current_transaction_start_offset,
                "last_timestamp": _instant(s.last_timestamp),
            }
            for tp, state in sorted(answer.items())
            for s in state.active_producers
            if s.current_transaction_start_offset >= 0
        ]

    def _names(self, producer_ids: set[int]) -> dict[int, dict[str, Any]]:
        """producer id -> transactional id, state, start time, timeout; {} where refused."""
        admin = self._admin()
        try:
            listed = admin.list_transactions(producer_id_filters=sorted(producer_ids))
            ids = {t.transactional_id: t.producer_id for ts in listed.values() for t in ts}
            described = admin.describe_transactions(sorted(ids)) if ids else {}
        except Exception as exc:
            log.warning("open transactions not named: %s", self._translate(exc, "list transactions"))
            return {}
        out: dict[int, dict[str, Any]] = {}
        for txn_id, d in described.items():
            if d.producer_id not in producer_ids:
                continue
            out[d.producer_id] = {
                "transactional_id": txn_id,
                "state": str(d.state.value),
                "start_time": _instant(d.transaction_start_time_ms),
                "timeout_ms": d.transaction_timeout_ms,
            }
        return out

    def _translate(self, exc: BaseException, what: str) -> Exception:
        with no_kafka_deprecations():
            from kafka import errors as kerr

        denied = (
            kerr.TopicAuthorizationFailedError,
            kerr.TransactionalIdAuthorizationFailedError,
            kerr.ClusterAuthorizationFailedError,
        )
        if isinstance(exc, denied):
            return KafkaAuthError(
                f"{what}: Kafka refused it ({type(exc).__name__}); check the principal's ACLs"
            )
        if isinstance(exc, kerr.UnsupportedVersionError):
            return Unsupported(f"{what}: the broker does not support it (Kafka 3.0+ needed)")
        return translate(exc, what, self.settings.bootstrap_servers, self.timeout_s)


def _instant(ms: int | None) -> dt.datetime | None:
    return None if ms is None or ms < 0 else dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


class StuckWatch:
    """The collector's memory between snapshots: names the open transactions of partitions
    whose LSO did not move since the previous snapshot. Never fails a snapshot: a refused or
    unsupported request is logged once and the watch stays quiet (``open_transactions`` None)."""

    def __init__(self, settings: ClientSettings, timeout_s: float) -> None:
        from workbench.collect.groups_confluent import needs_confluent

        self.client = None if needs_confluent(settings.config) else TransactionsClient(settings, timeout_s)
        self.previous: pl.DataFrame | None = None
        self.disabled: str | None = None if self.client else "only confluent-kafka can log in"

    def after(self, cluster: str, snap: Any) -> pl.DataFrame | None:
        """``open_transactions`` rows for ``snap`` (an :class:`OffsetsSnapshot`), or None."""
        stuck = [] if self.previous is None else stuck_partitions(self.previous, snap.stable, snap.partitions)
        self.previous = snap.stable if snap.stable is not None else self.previous
        if not stuck or self.client is None or self.disabled:
            return None
        try:
            return self.client.open_transactions(snap.ts, cluster, stuck)
        except (KafkaAuthError, Unsupported) as exc:
            self.disabled = str(exc)
            log.warning("open transactions are not collected from now on: %s", exc)
        except (KafkaRequestError, KafkaUnavailableError) as exc:
            log.warning("open transactions not collected this snapshot: %s", exc)
            self.client.close()
        return None


def open_transactions_now(
    admin: Any, client: TransactionsClient, cluster: str, topics: str | None
) -> pl.DataFrame:
    """Live: every partition (topics matching the regex ``topics``) whose LSO is below its log
    end, with the open transactions that hold it (``admin``: a ``KafkaAdmin``). One row per
    partition and producer; a partition whose producers were not found keeps null names."""
    meta = admin.metadata()
    names = pl.Series([t for t in meta.topics if not t.startswith("__")], dtype=pl.String)
    kept = set((names.filter(names.str.contains(topics)) if topics else names).to_list())
    parts = [(t, p) for t, tm in meta.topics.items() if t in kept for p in tm.partitions]
    marks_in_flight = admin.submit_watermarks(parts)
    stable = admin.resolve_stable_offsets(admin.submit_stable_offsets(parts))
    marks = admin.resolve_watermarks(marks_in_flight)
    rows = [
        {"topic": t, "partition": p, "log_end_offset": marks[(t, p)][1], "last_stable_offset": lso}
        for (t, p), lso in stable.items()
        if lso is not None and marks.get((t, p), (None, None))[1] is not None and lso < marks[(t, p)][1]
    ]
    schema = {
        "topic": pl.String,
        "partition": pl.Int32,
        "log_end_offset": pl.Int64,
        "last_stable_offset": pl.Int64,
    }
    held = pl.DataFrame(rows, schema=schema).with_columns(
        blocked=pl.col("log_end_offset") - pl.col("last_stable_offset")
    )
    ts = dt.datetime.now(dt.UTC)
    found = client.open_transactions(ts, cluster, held.select("topic", "partition").rows())
    cols = [
        "producer_id",
        "producer_epoch",
        "transactional_id",
        "state",
        "start_offset",
        "start_time",
        "timeout_ms",
    ]
    return held.join(found.select("topic", "partition", *cols), on=["topic", "partition"], how="left").sort(
        "topic", "partition", "start_offset"
    )
