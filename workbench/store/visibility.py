"""The completion marker: a collector's snapshot is visible only once its ``collections`` row is.

A collector writes a snapshot's datasets first and its ``ok`` ``collections`` row last, each an
atomic commit. Readers keep a collector-written row only when the ``collections`` table holds an
``ok`` row of the same cluster, kind and ``ts``; a crash between the commits leaves rows that no
reader sees. Rows from other sources (``simulate``, importers) are exempt: each of those writes a
whole history in one run that is re-run on failure. See ``docs/store.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl

from workbench.store.files import DataFile, may_hold

if TYPE_CHECKING:
    from workbench.store.delta import Store

#: dataset -> (collections ``kind``, ``source`` of the collector that writes it).
MARKED: dict[str, tuple[str, str]] = {
    "offsets": ("offsets", "collector"),
    "partition_offsets": ("offsets", "collector"),
    **{
        name: ("configs", "collect")
        for name in ("cluster_info", "brokers", "configs", "topic_partitions", "log_dirs")
    },
}


def marks(
    store: Store, kind: str, cluster: str | None, since: dt.datetime | None, until: dt.datetime | None
) -> pl.DataFrame:
    """``cluster`` and ``ts`` of the ``ok`` collections rows of ``kind`` in [since, until]."""
    end = until + dt.timedelta(microseconds=1) if until is not None else None
    lf = store.scan("collections", cluster=cluster, since=since, until=end)
    return lf.filter(pl.col("ok") & (pl.col("kind") == kind)).select("cluster", "ts").unique().collect()


def visible(
    store: Store,
    dataset: str,
    lf: pl.LazyFrame,
    cluster: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    chosen: list[DataFile],
) -> pl.LazyFrame:
    """``lf`` without the collector rows of snapshots whose completion marker is not committed.

    Costs nothing when the files' ``source`` statistics show no collector rows (simulated or
    imported history).
    """
    if dataset not in MARKED:
        return lf
    kind, source = MARKED[dataset]
    if not any(may_hold(f, source) for f in chosen):
        return lf
    done = marks(store, kind, cluster, since, until)
    exempt = pl.col("source").is_null() | (pl.col("source") != source)
    if cluster is not None:
        return lf.filter(exempt | pl.col("ts").is_in(done["ts"].implode()))
    return pl.concat(
        [lf.filter(exempt), lf.filter(~exempt).join(done.lazy(), on=["cluster", "ts"], how="semi")]
    )
