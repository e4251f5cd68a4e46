"""Options shared by several commands, declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

F = Callable[..., Any]


def data_dir_option(f: F) -> F:
    """``--data-dir`` (env ``WORKBENCH_DATA_DIR``, default ``data``)."""
    return click.option(
        "--data-dir",
        envvar="WORKBENCH_DATA_DIR",
        default="data",
        show_default=True,
        type=click.Path(file_okay=False),
        help="Workbench data directory (env WORKBENCH_DATA_DIR).",
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
            default="15s",
            show_default=True,
            help="How long to wait for the cluster to answer before failing.",
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
