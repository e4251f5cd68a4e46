"""``workbench report`` and ``workbench demo``: render reports from the catalog."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from workbench.cli.options import reports_dir_option
from workbench.errors import NotFoundError, NotifyError, ReportError

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
@click.option(
    "--notify",
    "notify_urls",
    multiple=True,
    metavar="URL",
    help="Send findings (and failures) to https://WEBHOOK (Slack-style JSON), alertmanager+http://HOST:PORT "
    "or mailto:ADDR?smtp=HOST:PORT. Repeatable.",
)
@click.option(
    "--notify-level",
    type=click.Choice(["info", "warning", "critical"]),
    default="critical",
    show_default=True,
    help="Send findings at or above this severity.",
)
@click.option("--list", "list_only", is_flag=True, help="List the reports and their parameters.")
def report(
    name: str | None,
    params: tuple[tuple[str, str], ...],
    out_dir: str,
    data_dir: str | None,
    fmt: str,
    notify_urls: tuple[str, ...],
    notify_level: str,
    list_only: bool,
) -> None:
    """Render report NAME to an offline HTML page and print its path."""
    from workbench.report import CATALOG, render
    from workbench.report.notebook import is_uri
    from workbench.report.notify import parse_target

    if list_only:
        _list_reports(CATALOG.values())
        return
    if name is None:
        raise click.UsageError("give a report NAME, or --list to see them")
    targets = [parse_target(url) for url in notify_urls]  # bad URLs fail before anything runs
    values: dict[str, Any] = dict(params)
    if data_dir is not None:
        values["data_dir"] = data_dir if is_uri(data_dir) else str(Path(data_dir).resolve())
    try:
        rendered = render(name, values, out_dir=out_dir, fmt=fmt, progress=_on_terminal())  # type: ignore[arg-type]
    except ReportError as exc:
        _notify_failure(targets, name, values, exc)
        raise
    _summary_line(rendered)
    click.echo(str(rendered.html))
    _notify(targets, rendered, notify_level)


def _on_terminal() -> bool:
    return sys.stderr.isatty()


def _summary_line(rendered: Any) -> None:
    """One line on stderr: the report, its time and its findings by severity."""
    counts: dict[str, int] = {}
    for finding in rendered.findings:
        counts[finding.get("level", "info")] = counts.get(finding.get("level", "info"), 0) + 1
    order = ("critical", "warning", "info", "ok")
    found = ", ".join(f"{counts[k]} {k}" for k in order if counts.get(k)) or "none"
    click.echo(f"report {rendered.name}: rendered in {rendered.seconds:.1f} s; findings: {found}", err=True)


def _list_reports(specs: Any) -> None:
    """Each report with its parameters: kind, default and meaning (from the notebook's parameters cell)."""
    from workbench.report.parameters import read_parameters

    for spec in specs:
        click.echo(f"{spec.name}: {spec.title}. {spec.description}")
        for param in read_parameters(spec.path).values():
            click.echo(f"    -p {param.describe()}")
        click.echo("")


def _notify(targets: list[Any], rendered: Any, level: str) -> None:
    """Send the rendered report's findings at or above ``level``; one line per target."""
    from workbench.report.notify import at_or_above, send

    chosen = at_or_above(rendered.findings, level)
    failures = []
    for target in targets:
        if not chosen:
            click.echo(f"notify {target.describe()}: nothing at or above {level}, not sent", err=True)
            continue
        try:
            send(target, rendered.summary, chosen, rendered.html)
            click.echo(f"notify {target.describe()}: sent {len(chosen)} finding(s)", err=True)
        except NotifyError as exc:
            failures.append(str(exc))
    if failures:
        raise NotifyError("; ".join(failures))


def _notify_failure(targets: list[Any], name: str, values: dict[str, Any], exc: Exception) -> None:
    """A scheduled run that fails must reach people too: one critical finding naming the error."""
    from workbench.report.notify import send

    summary = {"name": name, "title": f"report {name}", "cluster": values.get("cluster"), "html": ""}
    finding = {"level": "critical", "text": f"report {name} failed: {exc}"}
    for target in targets:
        if target.kind == "mail":
            continue  # no HTML to attach; the failed notebook stays on disk (named in the message)
        try:
            send(target, summary, [finding], Path())
        except NotifyError as err:
            click.echo(f"error: {err}", err=True)


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

    sample = Path(find_data_dir(data_dir)).resolve()  # demo: a local sample directory
    temporary = not (sample / "offsets").is_dir()
    if temporary:  # e.g. a wheel install: no data/sample next to it
        sample = _temporary_sample(sample)
    try:
        for spec in CATALOG.values():
            declared = read_defaults(spec.path)
            values = {"data_dir": str(sample), "cluster": SAMPLE_CLUSTER}
            chosen = {k: v for k, v in values.items() if k in declared}
            rendered = render(spec.name, chosen, out_dir=out_dir, progress=_on_terminal())
            _summary_line(rendered)
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
