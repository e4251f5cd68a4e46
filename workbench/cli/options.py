"""Options and value types shared by several commands, declared once.

Every duration, instant and number a command takes goes through a type here, so ``inf``,
``nan``, negative, zero and overflowing values are one-line errors (exit 2) everywhere, with
the ranges of :mod:`workbench.validate` (``docs/input-ranges.md``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import click

from workbench import validate
from workbench.errors import ConfigError

F = Callable[..., Any]
_MS = dt.timedelta(milliseconds=1)


def _flag(param: click.Parameter | None) -> str:
    return param.opts[0] if param is not None and param.opts else "value"


class Duration(click.ParamType):
    """``30s``, ``5m``, ``1h``, ``7d`` -> :class:`datetime.timedelta` within ``[minimum, maximum]``."""

    name = "duration"

    def __init__(self, minimum: dt.timedelta = _MS, maximum: dt.timedelta = validate.LONGEST) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        return validate.duration(value, _flag(param), self.minimum, self.maximum)


class Instant(click.ParamType):
    """When something happened: ISO 8601 (naive = UTC) or a duration back from now, 2010 to now+1d."""

    name = "instant"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        return validate.instant(str(value), _flag(param))


class WindowBound(click.ParamType):
    """A since/until/at bound over stored history (kept as text; checked not to overflow)."""

    name = "instant"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        validate.window_bound(str(value), _flag(param))
        return str(value)


class Finite(click.ParamType):
    """A finite float within optional bounds (``inf`` and ``nan`` refused)."""

    name = "number"

    def __init__(self, minimum: float | None = None, maximum: float | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{_flag(param)} {value!r} is not a number") from None
        return validate.number(number, _flag(param), self.minimum, self.maximum)


INT64_MAX = 2**63 - 1
#: How many snapshots a collector may be asked to take.
COUNT = click.IntRange(min=1, max=10**9)
#: Timeouts waiting for the cluster: 100 ms to an hour.
TIMEOUT = Duration(dt.timedelta(milliseconds=100), dt.timedelta(hours=1))
#: A random seed numpy and Python both take.
SEED = click.IntRange(min=0, max=2**32 - 1)


def mask_label(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A ``--label`` callback: ``key=value`` secrets in a label never reach the store."""
    from workbench.config import mask_text

    return mask_text(value)


def interval_option(default: str, shortest: dt.timedelta, help: str) -> Callable[[F], F]:
    """A collector's ``--interval`` between snapshots: ``shortest`` to 7 days."""
    return click.option(
        "--interval",
        type=Duration(shortest, dt.timedelta(days=7)),
        default=default,
        show_default=True,
        help=help,
    )


def data_dir_option(f: F) -> F:
    """``--data-dir`` (env ``WORKBENCH_DATA_DIR``, default ``data``)."""
    return click.option(
        "--data-dir",
        envvar="WORKBENCH_DATA_DIR",
        default="data",
        show_default=True,
        type=click.Path(file_okay=False),
        help="Workbench data directory, or s3://BUCKET/PREFIX (env WORKBENCH_DATA_DIR; docs/fleet.md).",
    )(f)


def reports_dir_option(flag: str, dest: str, help: str) -> Callable[[F], F]:
    """A reports directory option (default ``reports``): ``--out`` of report/demo, ``--reports`` of prune."""
    return click.option(
        flag, dest, default="reports", show_default=True, type=click.Path(file_okay=False), help=help
    )


def connection_options(required: bool = True) -> Callable[[F], F]:
    """``--bootstrap-server``, ``--command-config``, ``--timeout``, as Kafka's CLI tools take them."""

    def deco(f: F) -> F:
        f = click.option(
            "--timeout",
            type=TIMEOUT,
            default="15s",
            show_default=True,
            help="How long to wait for the cluster to answer before failing (100ms to 1h).",
        )(f)
        f = click.option(
            "--command-config",
            type=click.Path(dir_okay=False),
            help="Kafka client.properties (SASL/SSL); ${env:VAR} and ${file:PATH} expand secrets.",
        )(f)
        return click.option(
            "--bootstrap-server",
            envvar="WORKBENCH_BOOTSTRAP_SERVER",
            required=required,
            help="HOST:PORT[,HOST:PORT...] of the cluster (env WORKBENCH_BOOTSTRAP_SERVER).",
        )(f)

    return deco


#: ``--format table|tsv|json`` for commands that print one frame.
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "tsv", "json"]),
    default="table",
    show_default=True,
    help="table: aligned columns (no boxes or colour when piped); tsv: tab-separated with a header; json.",
)
