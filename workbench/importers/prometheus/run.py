"""The Prometheus import as a plan of range queries, run window by window.

:func:`plan_import` asks the server which metric names it holds and keeps the lag exporter
and broker queries that can answer; :func:`import_windows` runs them chunk by chunk and yields
each window's frames, so the caller stores history in complete windows (an interrupted import
keeps what it stored; a rerun skips stored rows).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from workbench.errors import PrometheusError
from workbench.importers import ImportResult
from workbench.importers.prometheus import frames
from workbench.importers.prometheus.client import PrometheusClient, chunks
from workbench.importers.prometheus.families import BROKER_QUERIES, LAG_FAMILIES, BrokerQuery, LagFamily

#: Called after each query with (queries done, queries in all).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportPlan:
    """What to ask for: the window, its step, the rate window and the families present."""

    cluster: str
    start: dt.datetime
    end: dt.datetime
    step: dt.timedelta
    rate_window: dt.timedelta
    lag: LagFamily | None
    brokers: tuple[BrokerQuery, ...]
    match_lag: str = ""
    match_brokers: str = ""
    #: the lag family's metrics the server holds (the others are not asked for)
    lag_present: frozenset[str] = frozenset()

    @property
    def windows(self) -> list[tuple[dt.datetime, dt.datetime]]:
        return list(chunks(self.start, self.end, self.step))

    @property
    def queries_per_window(self) -> int:
        lag = 0 if self.lag is None else sum(m in self.lag_present for m in _lag_metrics(self.lag))
        return lag + len(self.brokers)


def _lag_metrics(family: LagFamily) -> tuple[str | None, ...]:
    return (family.log_end, family.log_start, family.committed, family.lag)


def choose_lag_family(names: set[str], exporter: str | None) -> LagFamily | None:
    """The lag exporter whose log-end metric the server holds (``exporter`` picks one by name)."""
    known = {f.exporter: f for f in LAG_FAMILIES}
    if exporter is not None:
        if exporter not in known:
            raise PrometheusError(f"--exporter {exporter!r}: known are {', '.join(known)}")
        family = known[exporter]
        if family.log_end not in names:
            raise PrometheusError(f"the server holds no {family.log_end} (--exporter {exporter})")
        return family
    present = [f for f in LAG_FAMILIES if f.log_end in names]
    return next((f for f in present if (f.committed or f.lag) in names), present[0] if present else None)


def plan_import(
    client: PrometheusClient,
    cluster: str,
    since: dt.timedelta,
    step: dt.timedelta,
    rate_window: dt.timedelta | None = None,
    exporter: str | None = None,
    match_lag: str = "",
    match_brokers: str = "",
    now: dt.datetime | None = None,
) -> ImportPlan:
    """Ask the server which metrics it holds and plan the queries over the last ``since``."""
    names = client.metric_names()
    end = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    seconds = step.total_seconds()
    end = dt.datetime.fromtimestamp(end.timestamp() // seconds * seconds, dt.UTC)  # aligned instants
    window = rate_window or max(2 * step, dt.timedelta(minutes=2))
    lag = choose_lag_family(names, exporter)
    return ImportPlan(
        cluster=cluster,
        start=end - since,
        end=end,
        step=step,
        rate_window=window,
        lag=lag,
        brokers=tuple(q for q in BROKER_QUERIES if q.present(names)),
        match_lag=match_lag,
        match_brokers=match_brokers,
        lag_present=frozenset(m for m in _lag_metrics(lag) if m in names) if lag else frozenset(),
    )


def import_windows(
    client: PrometheusClient, plan: ImportPlan, progress: Progress | None = None
) -> Iterator[list[ImportResult]]:
    """Run the plan window by window; yield each window's results (offsets, partition offsets,
    broker metrics)."""
    windows = plan.windows
    total, done = len(windows) * plan.queries_per_window, 0

    def ask(expr: str, first: dt.datetime, last: dt.datetime) -> frames.Matrix:
        nonlocal done
        result = client.query_range(expr, first, last, plan.step)
        done += 1
        if progress is not None:
            progress(done, total)
        return result

    for first, last in windows:
        results = []
        if plan.lag is not None:
            results += _lag_window(plan, plan.lag, functools.partial(ask, first=first, last=last))
        broker = [
            frames.broker_metrics(
                q, ask(q.expr(plan.match_brokers, _promql(plan.rate_window)), first, last), plan.cluster
            )
            for q in plan.brokers
        ]
        if broker:
            import polars as pl

            results.append(ImportResult(pl.concat(broker), "broker_metrics"))
        yield results


def _lag_window(
    plan: ImportPlan, family: LagFamily, ask: Callable[[str], frames.Matrix]
) -> list[ImportResult]:
    def series(metric: str | None, per_partition: bool = False) -> frames.Matrix | None:
        if metric is None or metric not in plan.lag_present:
            return None
        if per_partition:
            return ask(family.partition_expr(metric, plan.match_lag))
        return ask(f"{metric}{{{plan.match_lag}}}")

    log_end, log_start = series(family.log_end, True), series(family.log_start, True)
    committed, lag = series(family.committed), series(family.lag)
    frames.check_one_cluster([r for r in (log_end, committed, lag) if r], family.exporter)
    parts = frames.partition_offsets(family, log_end or [], log_start, plan.cluster)
    groups = frames.offsets(family, committed, lag, parts, plan.cluster)
    return [ImportResult(groups, "offsets"), ImportResult(parts, "partition_offsets")]


def _promql(window: dt.timedelta) -> str:
    """A duration in PromQL's spelling (whole seconds or milliseconds)."""
    ms = round(window.total_seconds() * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"
