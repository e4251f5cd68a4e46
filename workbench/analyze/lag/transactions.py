"""Transactions: lag to the last stable offset, and hanging transactions.

A read_committed consumer reads nothing at or past the last stable offset (LSO): the first
offset of the oldest open transaction. :func:`add_stable_lag` adds what such a consumer can still
read; :func:`hanging_transactions` finds partitions whose LSO stayed put below a growing log end
for longer than a threshold (a transaction left open blocks every read_committed consumer).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench import units as hz
from workbench.frames.offsets import add_stable_lag

__all__ = [
    "add_stable_lag",
    "hanging_findings",
    "hanging_over",
    "hanging_transactions",
    "held_findings",
    "held_groups",
    "name_hanging",
]

_KEY = ["cluster", "topic", "partition"]


def hanging_transactions(
    partitions: pl.DataFrame, stable: pl.DataFrame, threshold: dt.timedelta
) -> pl.DataFrame:
    """Spells where a partition's LSO stayed below its log end, unchanged, for longer than
    ``threshold`` while the log end grew. One row per spell: cluster, topic, partition,
    last_stable_offset, since, until (last snapshot of the spell), stuck_for, log_end_offset
    (at ``until``), blocked (log end - LSO at ``until``), ongoing (the spell reaches the
    partition's latest snapshot)."""
    lso = pl.col("last_stable_offset")
    frame = (
        partitions.select("ts", *_KEY, "log_end_offset")
        .join(stable.select("ts", *_KEY, "last_stable_offset"), on=["ts", *_KEY])
        .filter(lso.is_not_null() & pl.col("log_end_offset").is_not_null())
        .sort([*_KEY, "ts"])
    )
    open_ = lso < pl.col("log_end_offset")
    brk = (~open_) | (lso != lso.shift(1).over(_KEY)).fill_null(True)
    frame = frame.with_columns(_open=open_, _spell=brk.cum_sum().over(_KEY))
    latest = frame.group_by(_KEY).agg(pl.col("ts").max().alias("_latest"))
    spells = (
        frame.filter("_open")
        .group_by([*_KEY, "_spell"])
        .agg(
            lso.first(),
            pl.col("ts").min().alias("since"),
            pl.col("ts").max().alias("until"),
            pl.col("log_end_offset").first().alias("_end0"),
            pl.col("log_end_offset").last(),
        )
        .join(latest, on=_KEY)
        .with_columns(stuck_for=pl.col("until") - pl.col("since"))
    )
    grew = pl.col("log_end_offset") > pl.col("_end0")
    return (
        spells.filter((pl.col("stuck_for") > threshold) & grew)
        .with_columns(blocked=pl.col("log_end_offset") - lso, ongoing=pl.col("until") == pl.col("_latest"))
        .select(*_KEY, lso, "since", "until", "stuck_for", "log_end_offset", "blocked", "ongoing")
        .sort(_KEY)
    )


def hanging_over(
    log_ends: pl.DataFrame | None,
    stable: pl.DataFrame | None,
    threshold_s: float | None,
    open_txns: pl.DataFrame | None = None,
) -> pl.DataFrame | None:
    """:func:`hanging_transactions` when both histories and a threshold exist, else None;
    named by :func:`name_hanging` when the collector recorded ``open_transactions``."""
    if log_ends is None or stable is None or threshold_s is None:
        return None
    return name_hanging(hanging_transactions(log_ends, stable, dt.timedelta(seconds=threshold_s)), open_txns)


def name_hanging(hanging: pl.DataFrame, open_txns: pl.DataFrame | None) -> pl.DataFrame:
    """``hanging`` plus ``transactions``: the open transactions (``open_transactions`` rows seen
    during the spell, starting at its LSO) as one sentence each; an empty list where none was seen."""
    if open_txns is None or open_txns.is_empty() or hanging.is_empty():
        return hanging.with_columns(transactions=pl.lit([], pl.List(pl.String)))
    name = pl.format(
        "{} (producer id {}, epoch {}, {}, started {})",
        pl.col("transactional_id").fill_null("transactional id unknown"),
        "producer_id",
        "producer_epoch",
        pl.col("state").fill_null("state unknown"),
        pl.col("start_time").dt.strftime("%Y-%m-%d %H:%M:%S UTC").fill_null("at an unknown time"),
    )
    seen = (
        hanging.select(*_KEY, "last_stable_offset", "since", "until")
        .join(open_txns, on=_KEY)
        .filter(
            pl.col("ts").is_between("since", "until")
            & (pl.col("start_offset") == pl.col("last_stable_offset"))
        )
        .group_by(*_KEY, "since")
        .agg(name.unique(maintain_order=True).alias("transactions"))
    )
    return (
        hanging.join(seen, on=[*_KEY, "since"], how="left")
        .with_columns(pl.col("transactions").fill_null(pl.lit([], pl.List(pl.String))))
        .sort(_KEY)
    )


def hanging_findings(hanging: pl.DataFrame | None, top_n: int = 10) -> list[tuple[str, str]]:
    """Partitions whose last stable offset stayed below a growing log end (open transaction)."""
    if hanging is None or hanging.is_empty():
        return []
    out = []
    for r in hanging.sort("stuck_for", descending=True).head(top_n).to_dicts():
        state = "still open" if r["ongoing"] else f"until {hz.instant(r['until'])}"
        named = r.get("transactions") or []
        who = (
            f"Held by {'; '.join(named)}."
            if named
            else "List the open transactions with workbench transactions --topic "
            f"'^{r['topic']}$' (or kafka-transactions.sh describe-producers --topic {r['topic']} "
            f"--partition {r['partition']})."
        )
        out.append(
            (
                "critical" if r["ongoing"] else "warning",
                f"{r['topic']} partition {r['partition']}: a transaction has held the last stable offset at "
                f"{hz.count(r['last_stable_offset'])} since {hz.instant(r['since'])} ({state}, "
                f"{hz.duration(r['stuck_for'].total_seconds())}) while {hz.count(r['blocked'])} newer "
                f"messages wait: read_committed consumers read nothing past it. {who}",
            )
        )
    return out


def held_groups(offsets: pl.DataFrame, stable: pl.DataFrame | None) -> pl.DataFrame | None:
    """Per group at its newest snapshot with a known LSO: ``lag`` (to the log end),
    ``readable_lag`` (to the last stable offsets: what a read_committed consumer can read) and
    ``held_partitions``; only groups with lag waiting behind an open transaction. None: no LSOs."""
    if stable is None or offsets.is_empty():
        return None
    newest = offsets.filter(pl.col("ts") == pl.col("ts").max().over("group"))
    lagged = add_stable_lag(newest, stable).filter(pl.col("readable_lag").is_not_null())
    return (
        lagged.group_by("group")
        .agg(
            pl.col("ts").first(),
            pl.col("lag").sum(),
            pl.col("readable_lag").sum(),
            (pl.col("lag") > pl.col("readable_lag")).sum().cast(pl.Int64).alias("held_partitions"),
        )
        .filter(pl.col("held_partitions") > 0)
        .sort("lag", "group", descending=[True, False])
    )


def held_findings(held: pl.DataFrame | None, top_n: int = 10) -> list[tuple[str, str]]:
    """Groups whose lag is partly behind an open transaction: lag to the log end and to the LSO."""
    if held is None or held.is_empty():
        return []
    return [
        (
            "info",
            f"{r['group']}: {hz.count(r['lag'])} messages behind the log end at {hz.instant(r['ts'])}, "
            f"{hz.count(r['lag'] - r['readable_lag'])} of them behind an open transaction on "
            f"{r['held_partitions']} partition{'s' if r['held_partitions'] != 1 else ''}: a read_committed "
            f"consumer can read {hz.count(r['readable_lag'])} now (lag to the last stable offset).",
        )
        for r in held.head(top_n).to_dicts()
    ]
