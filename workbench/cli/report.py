"""``workbench report`` and ``workbench demo``: render reports from the catalog."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from workbench.cli.options import reports_dir_option
from workbench.errors import NotFoundError

SAMPLE_DIR = "data/sample"
SAMPLE_CLUSTER = "sample"


def register(main: click.Group) -> None:
    """Add the ``report`` and ``demo`` commands to ``main``."""
    main.add_command(report)
    main.add_command(demo)


@click.command()
@click.argument("name", required=False)
@click.option(
    "-p",
    "--param",
    "params",
    nargs=2,
    multiple=True,
    metavar="KEY VALUE",
    help="A notebook parameter (repeatable); text is coerced to the default's type.",
)
@reports_dir_option("--out", "out_dir", "Directory for reports/<name>/<timestamp>.html and index.html.")
@click.option(
    "--data-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Data directory (sets the data_dir parameter).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "svg-static"]),
    default="html",
    show_default=True,
    help="html: interactive charts; svg-static: static SVG charts, no JavaScript.",
)
@click.option("--list", "list_only", is_flag=True, help="List the reports and their parameters.")
def report(
    name: str | None,
    params: tuple[tuple[str, str], ...],
    out_dir: str,
    data_dir: str | None,
    fmt: str,
    list_only: bool,
) -> None:
    """Render report NAME to an offline HTML page and print its path."""
    from workbench.report import CATALOG, read_defaults, render

    if list_only:
        for spec in CATALOG.values():
            names = ", ".join(read_defaults(spec.path))
            click.echo(f"{spec.name:<22} {spec.title}: {spec.description}\n{'':<22} parameters: {names}")
        return
    if name is None:
        raise click.UsageError("give a report NAME, or --list to see them")
    values: dict[str, Any] = dict(params)
    if data_dir is not None:
        values["data_dir"] = str(Path(data_dir).resolve())
    rendered = render(name, values, out_dir=out_dir, fmt=fmt)  # type: ignore[arg-type]
    click.echo(str(rendered.html))


@click.command()
@reports_dir_option("--out", "out_dir", "Directory for the reports and index.html.")
@click.option(
    "--data-dir",
    default=SAMPLE_DIR,
    show_default=True,
    type=click.Path(file_okay=False),
    help="The sample data directory.",
)
def demo(out_dir: str, data_dir: str) -> None:
    """Render every report in the catalog from the shipped sample data; print the paths and the index."""
    from workbench.report import CATALOG, read_defaults, render
    from workbench.report.notebook import find_data_dir

    sample = find_data_dir(data_dir).resolve()
    temporary = not (sample / "offsets").is_dir()
    if temporary:  # e.g. a wheel install: no data/sample next to it
        sample = _temporary_sample(sample)
    try:
        for spec in CATALOG.values():
            declared = read_defaults(spec.path)
            values = {"data_dir": str(sample), "cluster": SAMPLE_CLUSTER}
            rendered = render(spec.name, {k: v for k, v in values.items() if k in declared}, out_dir=out_dir)
            click.echo(str(rendered.html))
    finally:
        if temporary:  # the reports are self-contained: the simulated data is not needed after
            shutil.rmtree(sample, ignore_errors=True)
    click.echo(str(Path(out_dir) / "index.html"))


def _temporary_sample(missing: Path) -> Path:
    """Simulate the sample into a temporary directory when ``data/sample`` is not there."""
    try:
        from workbench.simulate import simulate
    except ImportError:
        raise NotFoundError(f"no sample data in {missing}: pass --data-dir DIR") from None
    from workbench.simulate.bench import write_bench
    from workbench.store import Store

    target = Path(tempfile.mkdtemp(prefix="workbench-sample-"))
    click.echo(f"no sample data in {missing}: simulating one in {target} (about a minute)", err=True)
    simulate(target, cluster=SAMPLE_CLUSTER, scale="sample", interval="5m")
    write_bench(Store(target), cluster=SAMPLE_CLUSTER)  # the latency report's benchmark runs
    return target
