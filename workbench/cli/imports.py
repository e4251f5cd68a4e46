"""``workbench import ...``: files from other tools into the data directory.

Every subcommand parses all its FILEs first and writes only when all parsed, so a bad file
writes nothing (fix it and rerun the same command without duplicating rows). To add a format,
write a reader returning :class:`workbench.importers.ImportResult` and a command that calls
:func:`run_import` with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import click

from workbench.cli.options import Finite, Instant, data_dir_option, mask_label
from workbench.cli.progress import parse_all
from workbench.scalars import as_datetime

if TYPE_CHECKING:  # the importers load polars: only when a command runs (`--help` stays quick)
    import polars as pl

    from workbench.importers import ImportResult, Source
    from workbench.store import Store

#: Reads one input (a path or stdin's text) into a result.
Reader = Callable[["Source"], "ImportResult"]

_FILES = click.argument("files", nargs=-1, required=True, metavar="FILE...")
_AT_HELP = (
    "When the input was produced: ISO 8601 (naive = UTC) or a duration back from now (2h). "
    "Default: each file's modification time; now for stdin."
)


@click.group("import")
def import_group() -> None:
    """Import files from other tools into the data directory (FILE '-' reads stdin)."""


@import_group.command("consumer-groups")
@_FILES
@click.option("--cluster", required=True, help="Name to file the rows under (the output does not name it).")
@click.option("--at", type=Instant(), help=_AT_HELP)
@data_dir_option
def consumer_groups(files: tuple[str, ...], cluster: str, at: dt.datetime | None, data_dir: str) -> None:
    """Import `kafka-consumer-groups --describe` output (3.x/4.x, --all-groups, --verbose).

    Capture stderr too (2>&1): it carries the "no active members" and "rebalancing" messages
    that give each group's state.
    """
    from workbench.importers import read_consumer_groups

    when = at
    run_import(files, lambda source: read_consumer_groups(source, cluster, when), data_dir)


@import_group.command("burrow")
@_FILES
@click.option("--cluster", help="File the rows under this name instead of the response's status.cluster.")
@click.option("--at", type=Instant(), help=_AT_HELP.replace("input was produced", "Burrow answered"))
@data_dir_option
def burrow(files: tuple[str, ...], cluster: str | None, at: dt.datetime | None, data_dir: str) -> None:
    """Import Burrow /v3/kafka/<cluster>/consumer/<group>/lag JSON (object, array or JSON lines).

    Log end = end.offset + current_lag (Burrow floors that lag at 0).
    """
    from workbench.importers import read_burrow

    when = at
    run_import(files, lambda source: read_burrow(source, cluster, when), data_dir)


# -- benchmark outputs (bench_runs + bench_intervals) ------------------------------------------
_BENCH_CLUSTER = click.option(
    "--cluster", default="bench", show_default=True, help="Name to file the runs under."
)
_BENCH_LABEL = click.option(
    "--label", callback=mask_label, help="Label for the run in reports (default: tool and file name)."
)
_BENCH_AT = click.option("--at", type=Instant(), help=_AT_HELP.replace("input was produced", "the run ended"))
_RECORD_SIZE = click.option(
    "--record-size",
    type=click.IntRange(min=1),
    help="The run's record size in bytes: exact bytes (records x size) instead of the printed MB.",
)


@import_group.command("perf-test")
@_FILES
@_BENCH_CLUSTER
@_BENCH_LABEL
@_BENCH_AT
@_RECORD_SIZE
@click.option(
    "--partitions",
    type=click.IntRange(1, 1_000_000),
    help="Partitions of the topic the run wrote to (the output does not say; the capacity report "
    "needs it to turn the run into throughput per partition).",
)
@data_dir_option
def perf_test(
    files: tuple[str, ...],
    cluster: str,
    label: str | None,
    at: dt.datetime | None,
    record_size: int | None,
    partitions: int | None,
    data_dir: str,
) -> None:
    """Import kafka-producer-perf-test output (window and summary lines, steady-state variant).

    Latencies are ms (send() -> callback), MB is MiB. The output has no timestamps: the run
    ends at --at (default: the file's modification time).
    """
    import dataclasses

    import polars as pl

    from workbench.cli.bench import run_bench_import
    from workbench.importers.bench_frames import BenchImport
    from workbench.importers.perf_test import read_producer_perf

    def read(source: Source) -> BenchImport:
        result = read_producer_perf(source, cluster, at, label, record_size)
        if partitions is None:
            return result
        runs = result.runs.with_columns(partitions=pl.lit(partitions, result.runs.schema["partitions"]))
        return dataclasses.replace(result, runs=runs)

    run_bench_import(files, read, data_dir)


@import_group.command("consumer-perf-test")
@_FILES
@_BENCH_CLUSTER
@_BENCH_LABEL
@click.option(
    "--utc-offset",
    type=Finite(-14, 14),
    default=0.0,
    show_default=True,
    help="Hours the tool's local time is ahead of UTC (-14 to 14).",
)
@_RECORD_SIZE
@data_dir_option
def consumer_perf_test(
    files: tuple[str, ...],
    cluster: str,
    label: str | None,
    utc_offset: float,
    record_size: int | None,
    data_dir: str,
) -> None:
    """Import kafka-consumer-perf-test CSV (with or without --show-detailed-stats)."""
    from workbench.cli.bench import run_bench_import
    from workbench.importers.perf_test import read_consumer_perf

    run_bench_import(
        files, lambda source: read_consumer_perf(source, cluster, label, utc_offset, record_size), data_dir
    )


@import_group.command("e2e-latency")
@_FILES
@_BENCH_CLUSTER
@_BENCH_LABEL
@_BENCH_AT
@data_dir_option
def e2e_latency(
    files: tuple[str, ...], cluster: str, label: str | None, at: dt.datetime | None, data_dir: str
) -> None:
    """Import EndToEndLatency (kafka-e2e-latency) output: average and percentiles, ms."""
    from workbench.cli.bench import run_bench_import
    from workbench.importers.perf_test import read_e2e_latency

    when = at
    run_bench_import(files, lambda source: read_e2e_latency(source, cluster, when, label), data_dir)


@import_group.command("omb")
@_FILES
@_BENCH_CLUSTER
@_BENCH_LABEL
@_BENCH_AT
@data_dir_option
def omb(
    files: tuple[str, ...], cluster: str, label: str | None, at: dt.datetime | None, data_dir: str
) -> None:
    """Import OpenMessaging Benchmark result JSON (publish ms, publish delay us, end-to-end ms)."""
    from workbench.cli.bench import run_bench_import
    from workbench.importers.omb import read_omb

    when = at
    run_bench_import(files, lambda source: read_omb(source, cluster, when, label), data_dir)


@import_group.command("rdkafka-perf")
@_FILES
@_BENCH_CLUSTER
@_BENCH_LABEL
@_BENCH_AT
@data_dir_option
def rdkafka_perf(
    files: tuple[str, ...], cluster: str, label: str | None, at: dt.datetime | None, data_dir: str
) -> None:
    """Import librdkafka rdkafka_performance -u tables and summary lines."""
    from workbench.cli.bench import run_bench_import
    from workbench.importers.rdkafka_perf import read_rdkafka_perf

    when = at
    run_bench_import(files, lambda source: read_rdkafka_perf(source, cluster, when, label), data_dir)


@import_group.command("hlog")
@_FILES
@click.option(
    "--unit", type=click.Choice(["ns", "us", "ms"]), required=True, help="Unit of the logged values."
)
@click.option(
    "--latency",
    type=click.Choice(["send_to_ack", "schedule_delay", "end_to_end"]),
    default="send_to_ack",
    show_default=True,
    help="Which latency the log holds.",
)
@_BENCH_CLUSTER
@_BENCH_LABEL
@_BENCH_AT
@data_dir_option
def hlog(
    files: tuple[str, ...],
    unit: str,
    latency: str,
    cluster: str,
    label: str | None,
    at: dt.datetime | None,
    data_dir: str,
) -> None:
    """Import an HdrHistogram interval log (.hlog); each tag is a run."""
    from workbench.cli.bench import run_bench_import
    from workbench.importers.hlog import read_hlog

    when = at
    run_bench_import(files, lambda source: read_hlog(source, unit, cluster, latency, when, label), data_dir)


def run_import(files: Sequence[str], reader: Reader, data_dir: str) -> None:
    """Parse every file (``-`` = stdin) with ``reader``, then append all results to the store.

    Prints one line per file; notes (skipped groups...) go to stderr.
    """
    from workbench.errors import ConfigError
    from workbench.importers import read_stdin
    from workbench.store import Store

    if list(files).count("-") > 1:
        raise ConfigError("'-' (stdin) can be given once")
    parsed = parse_all(files, reader, read_stdin)
    store = Store(data_dir)
    for name, result in parsed:
        fresh = unstored(store, result.dataset, result.frame)
        if fresh.height:
            store.append(result.dataset, fresh)
        label = "<stdin>" if name == "-" else name
        click.echo(_summary(label, result, data_dir, fresh.height))
        notes = list(result.notes)
        if fresh.height < result.frame.height:
            skipped = result.frame.height - fresh.height
            notes.append(f"{skipped} rows were already stored for the same snapshot time: not written again")
        for note in notes:
            click.echo(f"{label}: note: {note}", err=True)


#: The columns that make a row the same row again, per dataset (the snapshot key).
_ROW_KEYS = ("ts", "cluster", "source", "group", "topic", "partition", "instance", "metric", "detail")


def unstored(store: Store, dataset: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` whose snapshot key (ts, cluster, source, group, partition...) is
    not stored yet, so importing one input twice stores its rows once."""
    import polars as pl

    keys = [c for c in _ROW_KEYS if c in frame.columns]
    if frame.is_empty() or "ts" not in keys:
        return frame
    since, newest = as_datetime(frame["ts"].min()), as_datetime(frame["ts"].max())
    until = None if newest is None else newest + dt.timedelta(microseconds=1)
    stored = [
        store.scan(dataset, cluster=c, since=since, until=until).select(keys).collect()
        for c in frame["cluster"].unique().to_list()
    ]
    return frame.join(pl.concat(stored), on=keys, how="anti", nulls_equal=True, maintain_order="left")


def _summary(name: str, result: ImportResult, data_dir: str, written: int) -> str:
    frame = result.frame
    counted = frame.height if written == frame.height else f"{written} new of {frame.height}"
    where = ""
    if frame.height:
        clusters = ", ".join(sorted(frame["cluster"].unique().to_list()))
        where = f" (cluster {clusters}, at {as_datetime(frame['ts'].min()):%Y-%m-%dT%H:%M:%SZ})"
    return (
        f"{name}: {counted} rows, {result.groups} groups, {result.partitions} partitions "
        f"written to {data_dir}/{result.dataset}{where}"
    )


def register(main: click.Group) -> None:
    """Add the ``import`` group to the ``workbench`` group."""
    from workbench.cli.prometheus import prometheus

    import_group.add_command(prometheus)
    main.add_command(import_group)
