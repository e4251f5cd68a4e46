"""``workbench prune``: delete collected history and rendered reports older than a cutoff.

A dry run by default: it lists what it would delete. ``--yes`` deletes and regenerates
``reports/index.html``. The deletion itself lives in :mod:`workbench.store.prune` (data) and
:mod:`workbench.report.prune` (reports).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from workbench import units
from workbench.cli.options import data_dir_option, reports_dir_option
from workbench.errors import NotFoundError
from workbench.units import parse_age


def register(main: click.Group) -> None:
    """Add the ``prune`` command to ``main``."""
    main.add_command(prune)


@click.command("prune")
@click.option(
    "--older-than",
    required=True,
    help="Age cutoff: delete what is older than this (90d, 12w, 36h).",
)
@data_dir_option
@reports_dir_option("--reports", "reports_dir", "Reports directory (reports/<name>/<timestamp>.html).")
@click.option("--yes", is_flag=True, help="Really delete. Without it: a dry run that lists what would go.")
def prune(older_than: str, data_dir: str, reports_dir: str, yes: bool) -> None:
    """Delete snapshot day partitions and report files older than --older-than.

    A dry run unless --yes. Only dataset directories directly under --data-dir are pruned, so
    shipped sample data in a subdirectory (data/sample) stays unless --data-dir points at it.
    """
    from workbench.report.prune import plan_report_prune, prune_reports
    from workbench.store.prune import delete_partitions, plan_data_prune

    cutoff = _cutoff(older_than)
    _check_dirs(data_dir, Path(reports_dir))
    parts = plan_data_prune(data_dir, cutoff)
    files = plan_report_prune(reports_dir, cutoff)
    verb = "delete" if yes else "would delete"
    for p in parts:
        click.echo(f"{verb} {p.path} ({p.files} files, {units.bytes_iec(p.size)})")
    for f in files:
        click.echo(f"{verb} {f.path} ({units.bytes_iec(f.size)})")
    when = cutoff.strftime("%Y-%m-%d %H:%M UTC")
    if not yes:
        click.echo(
            f"dry run: {len(parts)} day partition(s) and {len(files)} report file(s) older than {when} "
            "would be deleted; pass --yes to delete them",
            err=True,
        )
        return
    from workbench.cli.progress import progress

    with progress("prune", "day partitions") as update:
        n_parts = delete_partitions(parts, update)
    n_files = prune_reports(reports_dir, files) if Path(reports_dir).is_dir() else 0
    click.echo(f"deleted {n_parts} day partition(s) and {n_files} report file(s) older than {when}", err=True)


def _cutoff(older_than: str, now: dt.datetime | None = None) -> dt.datetime:
    age = parse_age(older_than, "--older-than")
    return (now or dt.datetime.now(dt.UTC)) - age


def _check_dirs(data_dir: str, reports_dir: Path) -> None:
    remote = "://" in data_dir and not data_dir.startswith("file://")
    if not remote and not Path(data_dir).is_dir() and not reports_dir.is_dir():
        raise NotFoundError(
            f"nothing to prune: neither data directory {data_dir} nor reports directory {reports_dir} "
            "exists; check --data-dir and --reports"
        )
