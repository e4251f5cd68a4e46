"""The ``workbench`` command: thin. Parses flags, calls the package, turns errors into exit codes.

Every :class:`workbench.errors.WorkbenchError` becomes one line on stderr (``error: ...``) and
its exit code (2 unless the error says otherwise). Command groups live in sibling modules and
are registered below.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import logging
import sys
from collections.abc import Iterator
from typing import Any

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


# -- command registration ------------------------------------------------------------------------
#: top-level command -> the sibling modules that register it, in order: a command imports only its
#: own modules (`workbench lag` does not load the report or benchmark code; docs/scale.md)
_MODULES: dict[str, tuple[str, ...]] = {
    "collect": ("offsets", "commits", "configs"),
    "compact": ("offsets",),
    "lag": ("offsets",),
    "import": ("imports",),
    "report": ("report",),
    "demo": ("report",),
    "simulate": ("simulate",),
    "validate": ("configs",),
    "bench": ("bench",),
    "prune": ("prune",),
    "capacity": ("capacity",),
    "store": ("store",),
    "check": ("store",),
    "transactions": ("transactions",),
    "rollup": ("rollup",),
    "spark": ("spark",),
}
_loaded: set[str] = set()


def _load(module: str) -> None:
    if module not in _loaded:
        _loaded.add(module)
        importlib.import_module(f"workbench.cli.{module}").register(main)


class _Commands(dict[str, click.Command]):
    """``main``'s subcommands: looking one up imports its modules; listing them imports all."""

    def _want(self, name: object) -> None:
        for module in _MODULES.get(name, ()) if isinstance(name, str) else ():
            _load(module)

    def _all(self) -> None:
        for modules in _MODULES.values():
            for module in modules:
                _load(module)

    def __contains__(self, name: object) -> bool:
        self._want(name)
        return super().__contains__(name)

    def __getitem__(self, name: str) -> click.Command:
        self._want(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        self._want(name)
        return super().get(name, default)

    def __iter__(self) -> Iterator[str]:
        self._all()
        return super().__iter__()

    def __len__(self) -> int:
        self._all()
        return super().__len__()

    def keys(self) -> Any:
        self._all()
        return super().keys()

    def values(self) -> Any:
        self._all()
        return super().values()

    def items(self) -> Any:
        self._all()
        return super().items()


main.commands = _Commands()


def run() -> None:
    """The ``workbench`` executable (and ``python -m workbench``): :func:`main` in a process of its own.

    At exit every object is frozen out of the garbage collector first: the interpreter's final
    collections would otherwise walk every imported module's objects (~0.25 s of CPU after a
    Polars command; docs/scale.md). Files and commits are closed explicitly before that, never
    by the collector. Tests call :func:`main` in process and keep their collector as it is.
    """
    atexit.register(gc.freeze)
    main()
