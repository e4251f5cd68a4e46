"""The ``workbench`` command: thin. Parses flags, calls the package, turns errors into exit codes.

Every :class:`workbench.errors.WorkbenchError` becomes one line on stderr (``error: ...``) and
its exit code (2 unless the error says otherwise). Command groups live in sibling modules and
are registered below.
"""

from __future__ import annotations

import atexit
import gc
import logging
import sys

import click

import workbench
from workbench.errors import WorkbenchError


class _Group(click.Group):
    """A click group that turns workbench errors into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except WorkbenchError as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(err.exit_code)
        except click.UsageError as err:  # a bad option of a subcommand: one line too
            where = err.ctx.command_path if err.ctx else ctx.command_path
            message = " ".join(err.format_message().split())
            click.echo(f"error: {message} (see '{where} -h')", err=True)
            ctx.exit(err.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="kafka-capacity-workbench")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """Kafka capacity workbench: consumer-lag history, configs, benchmarks and offline reports."""
    workbench.tune_allocator()  # before any command imports Polars; report kernels inherit it
    workbench.skip_slow_imports()  # before nbformat/altair load jsonschema
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if verbose < 2:  # librdkafka's connection chatter only with -vv; failures arrive as our errors
        logging.getLogger("workbench.librdkafka").setLevel(logging.CRITICAL)


# -- command registration (one line per module) ------------------------------------------------
from workbench.cli import bench as _bench  # noqa: E402
from workbench.cli import capacity as _capacity  # noqa: E402
from workbench.cli import commits as _commits  # noqa: E402
from workbench.cli import configs as _configs  # noqa: E402
from workbench.cli import imports as _imports  # noqa: E402
from workbench.cli import offsets as _offsets  # noqa: E402
from workbench.cli import prune as _prune  # noqa: E402
from workbench.cli import report as _report  # noqa: E402
from workbench.cli import rollup as _rollup  # noqa: E402
from workbench.cli import simulate as _simulate  # noqa: E402
from workbench.cli import spark as _spark  # noqa: E402
from workbench.cli import store as _store  # noqa: E402
from workbench.cli import transactions as _transactions  # noqa: E402

_offsets.register(main)
_imports.register(main)
_report.register(main)
_simulate.register(main)
_configs.register(main)
_bench.register(main)
_prune.register(main)
_capacity.register(main)
_commits.register(main)
_store.register(main)
_transactions.register(main)
_rollup.register(main)
_spark.register(main)


def run() -> None:
    """The ``workbench`` executable (and ``python -m workbench``): :func:`main` in a process of its own.

    At exit every object is frozen out of the garbage collector first: the interpreter's final
    collections would otherwise walk every imported module's objects (~0.25 s of CPU after a
    Polars command; docs/scale.md). Files and commits are closed explicitly before that, never
    by the collector. Tests call :func:`main` in process and keep their collector as it is.
    """
    atexit.register(gc.freeze)
    main()
