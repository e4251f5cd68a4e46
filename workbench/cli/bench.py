"""``workbench bench producer|consumer|e2e``: benchmarks in Kafka's perf-test vocabulary.

Each run (or each run of a ``--sweep`` matrix) is stored in the data directory as it finishes
(``bench_runs`` + ``bench_intervals``) and summarised in kafka-producer-perf-test's shape, or as
JSON with ``--json``. ``bench simulate`` writes the deterministic sample runs.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import click

from workbench.cli.options import SEED, Duration, Finite, connection_options, data_dir_option
from workbench.cli.progress import parse_all

F = Callable[..., Any]


def _bench_options(props_name: str) -> Callable[[F], F]:
    """The options every benchmark takes (perf-test names)."""

    def deco(f: F) -> F:
        opts: list[Callable[[F], F]] = [
            connection_options(required=True),
            click.option(
                "--topic", required=True, help="Topic to benchmark (must exist, or be auto-created)."
            ),
            click.option(
                "--num-records", type=click.IntRange(1, 10**12), required=True, help="Records to send/read."
            ),
            click.option(
                "--record-size", type=click.IntRange(1, 10**9), default=100, show_default=True, help="Bytes."
            ),
            click.option(
                "--throughput",
                type=Finite(-1, 1e9),
                default=-1.0,
                show_default=True,
                help="Target msg/s on an open-loop schedule; -1: unthrottled.",
            ),
            click.option(
                f"--{props_name}",
                "props",
                multiple=True,
                metavar="K=V ...",
                help="Client properties, as Kafka's tools take them: --"
                + props_name
                + " acks=1 linger.ms=5 (repeatable; a quoted value may hold several).",
            ),
            click.argument("more_props", nargs=-1, metavar=""),
            click.option(
                "--warmup-records",
                type=click.IntRange(0, 10**12),
                default=0,
                help="First N records are warm-up.",
            ),
            click.option(
                "--warmup-seconds", type=Finite(0, 86400), default=0.0, help="First S seconds are warm-up."
            ),
            click.option(
                "--interval",
                type=Duration(dt.timedelta(milliseconds=10), dt.timedelta(hours=1)),
                default="1s",
                show_default=True,
                help="Reporting interval (1s, 500ms...).",
            ),
            click.option(
                "--sweep", multiple=True, metavar="K=V1,V2", help="Run every combination (repeatable)."
            ),
            click.option(
                "--run-id", help="Run id (sweep runs get -1, -2, ...). Default: bench-<time>-<random>."
            ),
            click.option(
                "--label", help="Label for the run in reports (default: the sweep values or the kind)."
            ),
            click.option(
                "--cluster",
                default=None,
                help="Cluster to file the runs under (default: the data directory's one cluster, said "
                "on stderr; the capacity report uses runs of its own cluster only).",
            ),
            click.option("--json", "as_json", is_flag=True, help="Print the summaries as JSON."),
            click.option(
                "--no-latency", is_flag=True, hidden=True, help="Record no latency (overhead measurement)."
            ),
            data_dir_option,
        ]
        for opt in reversed(opts):
            f = opt(f)
        return f

    return deco


@click.group("bench")
def bench_group() -> None:
    """Benchmark a cluster: open-loop producer, consumer, end-to-end (perf-test options)."""


@bench_group.command("producer")
@_bench_options("producer-props")
def producer_cmd(**kw: Any) -> None:
    """Produce --num-records on an open-loop schedule: send->ack and schedule-delay latencies."""
    _run("producer", **kw)


@bench_group.command("e2e")
@_bench_options("producer-props")
def e2e_cmd(**kw: Any) -> None:
    """Produce and consume at once: send->ack, schedule delay and end-to-end latencies."""
    _run("e2e", **kw)


@bench_group.command("consumer")
@_bench_options("consumer-props")
def consumer_cmd(**kw: Any) -> None:
    """Consume --num-records from the beginning of --topic: records/s and MiB/s per interval."""
    _run("consumer", **kw)


def _run(kind: str, **kw: Any) -> None:
    from workbench.collect.bench import BenchSpec, parse_props, run_bench, sweep_specs
    from workbench.config import load_settings, mask_props, mask_text
    from workbench.errors import ConfigError
    from workbench.store import Store

    if kw["warmup_records"] and kw["warmup_seconds"]:
        raise ConfigError("give --warmup-records or --warmup-seconds, not both")
    props = parse_props(_prop_items(kw["props"], kw["more_props"], kind))
    settings = load_settings(kw["bootstrap_server"], kw["command_config"])
    kw["cluster"] = _bench_cluster(Store(kw["data_dir"]), kw["cluster"])
    base = BenchSpec(
        kind, kw["topic"], kw["num_records"], kw["record_size"], kw["throughput"], props,
        kw["warmup_records"], kw["warmup_seconds"], _seconds(kw["interval"], "--interval"),
        kw["run_id"] or "", kw["label"], kw["cluster"], record_latency=not kw["no_latency"],
        timeout_s=max(30.0, _seconds(kw["timeout"], "--timeout")),
    )  # fmt: skip
    store = Store(kw["data_dir"])
    results = []
    for unmasked in sweep_specs(base, kw["sweep"]):  # props keep secrets for the client; the rest is shown
        spec = replace(unmasked, label=mask_text(unmasked.label), sweep=mask_props(unmasked.sweep))
        result = _with_progress(functools.partial(run_bench, settings, spec), spec, kw["as_json"])
        store.append("bench_runs", result.runs)
        store.append("bench_intervals", result.intervals)
        results.append(result)
        if not kw["as_json"]:
            _echo_result(result, kw["data_dir"])
    if kw["as_json"]:
        payload = [r.to_json() for r in results]
        click.echo(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2, default=str))


def _prop_items(props: Sequence[str], more: Sequence[str], kind: str) -> list[str]:
    """The K=V items of ``--producer-props a=1 b=2`` (click hands over ``b=2`` as an argument)."""
    if more and not props:
        name = "--consumer-props" if kind == "consumer" else "--producer-props"
        from workbench.errors import ConfigError

        raise ConfigError(f"unexpected argument {more[0]!r}: client properties follow {name}")
    return [p for value in (*props, *more) for p in value.split()]


def _seconds(text: str, what: str) -> float:
    from workbench.units import parse_duration

    return parse_duration(text, what).total_seconds()


def _with_progress(fn: Callable[[Any], Any], spec: Any, quiet: bool) -> Any:
    """Run ``fn(progress_callback)`` with a one-line count on stderr (when a terminal).

    A plain line written once per interval, not a rich bar: rich's refresh thread holds the GIL
    about 1.5 ms ten times a second, which the send loop saw as schedule delay
    (docs/benchmark-floor.md)."""
    if quiet or not sys.stderr.isatty():
        return fn(None)
    label, start = spec.label or spec.kind, time.monotonic()

    def show(done: int, total: int) -> None:
        sys.stderr.write(f"\r{label} {done:,}/{total:,} records, {time.monotonic() - start:.0f} s")
        sys.stderr.flush()

    try:
        return fn(show)
    finally:
        sys.stderr.write("\r\x1b[K")  # gone when done, as the rich bars elsewhere


def _bench_cluster(store: Any, given: str | None) -> str:
    """``--cluster``, else the data directory's one cluster (said on stderr), else ``bench`` (said)."""
    from workbench.errors import ConfigError

    if given:
        return given
    names = sorted({c for ds in ("partition_offsets", "cluster_info") for c in store.clusters(ds)})
    if len(names) > 1:
        raise ConfigError(
            f"{store.root} holds clusters {', '.join(names)}: say which one was benchmarked with --cluster"
        )
    name = names[0] if names else "bench"
    why = "the data directory's cluster" if names else "no cluster in the data directory yet"
    click.echo(f"benchmark runs filed under cluster {name!r} ({why}); --cluster to choose", err=True)
    return name


def _echo_result(result: Any, data_dir: str) -> None:
    spec = result.spec
    prefix = f"[{spec.label}] " if spec.sweep else ""
    for line in result.summary_lines():
        click.echo(prefix + line)
    for note in result.notes:
        click.echo(f"{prefix}warning: {note}", err=True)
    click.echo(f"{prefix}run {spec.run_id} stored in {data_dir}", err=True)


@bench_group.command("simulate")
@data_dir_option
@click.option("--cluster", default="sample", show_default=True, help="Name to file the runs under.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed: same seed, same data.")
def simulate_cmd(data_dir: str, cluster: str, seed: int) -> None:
    """Write deterministic synthetic benchmark runs (the linger.ms x acks sweep of data/sample)."""
    from workbench.simulate.bench import write_bench
    from workbench.store import Store

    store = Store(data_dir)
    if cluster in store.clusters("bench_runs"):
        from workbench.errors import ConfigError

        raise ConfigError(
            f"{data_dir} already holds benchmark runs for cluster {cluster!r}: writing them again would "
            f"duplicate them; remove {data_dir}/bench_runs and {data_dir}/bench_intervals first"
        )
    runs, intervals = write_bench(store, cluster=cluster, seed=seed)
    click.echo(f"{runs} runs, {intervals} interval rows written to {data_dir} (cluster {cluster})")


def run_bench_import(files: Sequence[str], reader: Callable[[Any], Any], data_dir: str) -> None:
    """Parse every file (``-`` = stdin) into benchmark frames, then store them all.

    Nothing is written unless every file parsed. One line per file; notes go to stderr.
    """

    from workbench.errors import ConfigError
    from workbench.importers import read_stdin
    from workbench.store import Store

    if list(files).count("-") > 1:
        raise ConfigError("'-' (stdin) can be given once")
    parsed = parse_all(files, reader, read_stdin)
    store = Store(data_dir)
    for name, result in parsed:
        store.append("bench_runs", result.runs)
        store.append("bench_intervals", result.intervals)
        label = "<stdin>" if name == "-" else name
        ids = ", ".join(result.runs["run_id"].to_list())
        click.echo(
            f"{label}: {result.runs.height} runs ({ids}), "
            f"{result.intervals.height} interval rows written to {data_dir}"
        )
        for note in result.notes:
            click.echo(f"{label}: note: {note}", err=True)


def register(main: click.Group) -> None:
    """Add the ``bench`` group to the ``workbench`` command."""
    main.add_command(bench_group)
