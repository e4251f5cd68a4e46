"""Consumer groups in the capacity plan: does each group keep up with the ingress it reads, and
how many instances a bound one needs for the forecast peak (see :mod:`.plan`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from workbench.analyze.capacity import sizing as sz

if TYPE_CHECKING:
    from workbench.analyze.capacity.plan import CapacityParams

__all__ = ["consumer_table"]


def consumer_table(consumption: pl.DataFrame, topics: pl.DataFrame, params: CapacityParams) -> pl.DataFrame:
    """Per group and topic: members, measured max consume rate (msg/s, over the partitions it
    commits), the p99 ingress of those same partitions, its ``state`` (:func:`_consumer_state`) and,
    when ``bound``, the instances needed for the forecast peak × headroom (capped at the partitions).

    ``consumption``: :attr:`window.Ingress.consumption`."""
    if consumption.is_empty():
        return pl.DataFrame()
    keys = ["group", "topic"]
    table = consumption.filter(pl.col("max_msg_per_s") > 0)
    recent = table.select(*keys, "last_msg_per_s")
    info = topics.select("topic", "partitions", "forecast_peak_bytes_per_s", "p99_bytes_per_s")
    growth = (pl.col("forecast_peak_bytes_per_s") / pl.col("p99_bytes_per_s")).fill_null(1.0).fill_nan(1.0)
    table = table.select(*keys, "max_msg_per_s", "p99_in", "members").join(info, on="topic", how="left")
    table = table.join(recent, on=keys, how="left")
    return (
        table.with_columns(
            state=_consumer_state(),
            behind=1 - pl.col("max_msg_per_s") / pl.col("p99_in"),
            forecast_peak_msg_per_s=pl.col("p99_in") * growth.clip(lower_bound=1.0),
        )
        .with_columns(bound=pl.col("state") == "bound")
        .pipe(_instances, params.headroom)
        .sort("bound", "group", "topic", descending=[True, False, False])
    )


def _consumer_state() -> pl.Expr:
    """``stopped`` (no member and no commit progress in the newest interval: capacity says nothing
    about it), ``bound`` (its fastest interval stays below 95 % of the p99 ingress it reads: it never
    kept up with the peak), else ``keeps up``."""
    idle = pl.col("last_msg_per_s").fill_null(0.0) <= 0
    stopped = idle & (pl.col("members").fill_null(0) == 0)
    return (
        pl.when(stopped)
        .then(pl.lit("stopped"))
        .when(pl.col("max_msg_per_s") < 0.95 * pl.col("p99_in"))
        .then(pl.lit("bound"))
        .otherwise(pl.lit("keeps up"))
    )


def _instances(frame: pl.DataFrame, headroom: float) -> pl.DataFrame:
    """``instances_needed`` for bound groups with members: ceil(peak × headroom / per-instance rate)."""
    needed = []
    for r in frame.iter_rows(named=True):
        n = None
        if r["bound"] and r["members"] and r["max_msg_per_s"]:
            per = r["max_msg_per_s"] / r["members"]
            target = max(r["forecast_peak_msg_per_s"] or 0.0, r["p99_in"] or 0.0)
            n = sz.consumers_needed(target, per, int(r["partitions"] or 1), headroom)
        needed.append(n)
    return frame.with_columns(instances_needed=pl.Series(needed, dtype=pl.Int64))
