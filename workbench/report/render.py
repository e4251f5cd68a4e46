"""Render one report: check parameters, run the notebook with papermill, export offline HTML.

:func:`render` reads as the whole flow: look up, check parameters, execute, (on failure keep
the failed notebook and raise), export, write, re-index. This is the only module that runs
notebooks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import nbformat

import workbench
from workbench.environ import temporary_env
from workbench.errors import ConfigError, ReportError
from workbench.fsutil import atomic_write_text
from workbench.report.catalog import ReportSpec, get_report
from workbench.report.export import to_html
from workbench.report.index import write_index
from workbench.report.notebook import FIGURES_KEY, FINDINGS_KEY
from workbench.report.notify import findings_document
from workbench.report.parameters import check_parameters, read_defaults

Format = Literal["html", "svg-static"]
FORMATS: tuple[str, ...] = ("html", "svg-static")
KERNEL = "python3"
#: Environment variable read by :func:`workbench.charts.setup` in the kernel.
CHARTS_ENV = "WORKBENCH_CHARTS"


@dataclass(frozen=True)
class Rendered:
    """A written report: the HTML page, the executed notebook and its metadata file."""

    name: str
    html: Path
    notebook: Path
    meta: Path
    seconds: float
    findings_file: Path | None = None
    summary: dict[str, Any] | None = None
    findings: tuple[dict[str, Any], ...] = ()


def render(
    name: str,
    params: Mapping[str, Any] | None = None,
    out_dir: str | os.PathLike[str] = "reports",
    fmt: Format = "html",
    catalog: Mapping[str, ReportSpec] | None = None,
    progress: bool = False,
) -> Rendered:
    """Render report ``name`` with ``params`` into ``out_dir/<name>/<YYYYmmddTHHMMSSZ>.html``.

    Parameter names are checked against the notebook's ``parameters`` cell before anything
    runs (:class:`ConfigError`), and text values coerced to the defaults' types. A failing cell
    keeps ``<stamp>.failed.ipynb`` and raises :class:`ReportError` naming the cell and error.
    ``fmt="svg-static"`` draws charts as static SVG (no JavaScript at all). The index page
    ``out_dir/index.html`` is regenerated.
    """
    started = time.monotonic()
    spec = get_report(name, catalog)
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    passed = check_parameters(spec.path, params or {})
    effective = {**read_defaults(spec.path), **passed}
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    target = _target_dir(Path(out_dir), spec.name)
    stamp = _free_stamp(target, now)
    try:
        executed = _execute(spec, passed, target, stamp, fmt, progress)
    except ReportError:
        write_index(Path(out_dir), catalog)  # the failed run is listed, with its error
        raise
    page = _page(spec, effective, set(passed), now, executed)
    html_path = target / f"{stamp}.html"
    atomic_write_text(html_path, to_html(executed, page))
    meta_path = target / f"{stamp}.json"
    meta = {**page, "parameters": _jsonable(effective), "passed": _jsonable(passed), "format": fmt}
    meta |= {
        "html": html_path.name,
        "notebook": f"{stamp}.ipynb",
        "seconds": round(time.monotonic() - started, 2),
    }
    findings = notebook_findings(executed)
    meta["findings_file"] = f"{stamp}.findings.json"
    meta["cluster"] = effective.get("cluster")
    atomic_write_text(meta_path, json.dumps(meta, indent=2, default=str))
    findings_path = target / f"{stamp}.findings.json"
    figures = notebook_findings(executed, FIGURES_KEY)
    atomic_write_text(findings_path, findings_document({**meta, "html": str(html_path)}, findings, figures))
    write_index(Path(out_dir), catalog)
    return Rendered(
        spec.name,
        html_path,
        target / f"{stamp}.ipynb",
        meta_path,
        time.monotonic() - started,
        findings_path,
        {**meta, "html": str(html_path)},
        tuple(findings),
    )


def _target_dir(out_dir: Path, name: str) -> Path:
    target = out_dir / name
    target.mkdir(parents=True, exist_ok=True)
    return target


def _free_stamp(target: Path, now: dt.datetime) -> str:
    """``YYYYmmddTHHMMSSZ``, with ``-2``, ``-3``... when a report of that second exists."""
    base = now.strftime("%Y%m%dT%H%M%SZ")
    stamp, n = base, 1
    while any(target.glob(f"{stamp}.*")):
        n += 1
        stamp = f"{base}-{n}"
    return stamp


def _progress_options(spec: ReportSpec) -> dict[str, Any]:
    """papermill's own tqdm bar on stderr: which report, cells done of cells, elapsed."""
    return {"desc": f"report {spec.name}", "unit": "cell", "leave": False}


def _execute(
    spec: ReportSpec, params: dict[str, Any], target: Path, stamp: str, fmt: Format, progress: bool
) -> Any:
    """Run the notebook with papermill; keep the failed notebook and raise on a failing cell."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    _check_kernel()
    out = target / f"{stamp}.ipynb"
    try:
        with (
            temporary_env(CHARTS_ENV, "svg" if fmt == "svg-static" else "html"),
            _kernel_sockets() as sockets,
        ):
            papermill.execute_notebook(
                str(spec.path),
                str(out),
                parameters=params,
                kernel_name=KERNEL,
                progress_bar=progress and _progress_options(spec),
                log_output=False,
                cwd=os.getcwd(),
                config=kernel_config(sockets),
            )
    except PapermillExecutionError as exc:
        failed = out.with_name(f"{stamp}.failed.ipynb")
        if out.exists():
            out.replace(failed)
        message = _failure_message(spec, exc, failed)
        meta = {"name": spec.name, "failed": True, "error": message, "passed": _jsonable(params)}
        atomic_write_text(target / f"{stamp}.json", json.dumps(meta, indent=2, default=str))
        raise ReportError(message) from None
    except Exception as exc:  # papermill/nbclient errors: kernel died, timeout, unreadable notebook
        raise ReportError(f"report {spec.name}: could not run {spec.path}: {exc}") from exc
    return nbformat.read(str(out), as_version=4)


def _failure_message(spec: ReportSpec, exc: Any, failed: Path) -> str:
    """``report X failed in cell N, line L (`statement`): Error: message; failed notebook kept at P``."""
    from papermill.exceptions import strip_color

    index = _source_cell_index(spec.path, exc.source, exc.cell_index)
    line, statement = _failing_line(exc.source, [strip_color(t) for t in exc.traceback or []])
    last = strip_color(f"{exc.ename}: {exc.evalue}").strip().splitlines()
    error = last[-1] if last else exc.ename
    where = f"cell {index}, line {line}" if line else f"cell {index}"
    return f"report {spec.name} failed in {where} (`{statement}`): {error}; failed notebook kept at {failed}"


def _failing_line(source: str, traceback: list[str]) -> tuple[int | None, str]:
    """The cell's line that raised (IPython marks it ``----> N``), else the cell's first statement."""
    for frame in traceback:
        match = re.search(r"^-+> (\d+)", frame, re.M)
        if match:
            number = int(match.group(1))
            lines = source.splitlines()
            if 1 <= number <= len(lines) and lines[number - 1].strip():
                return number, lines[number - 1].strip()
            break
    first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
    return None, first


def _source_cell_index(notebook: Path, source: str, executed_index: int) -> int:
    """The failing cell's index in the source notebook (papermill's counts its injected cell)."""
    cells = nbformat.read(str(notebook), as_version=4).cells
    matches = [i for i, cell in enumerate(cells) if cell.source == source]
    if matches:
        return min(matches, key=lambda i: abs(i - executed_index))
    return executed_index


def kernel_config(sockets: Path | None = None) -> Any:
    """Traitlets config for the kernel manager: talk to the kernel over IPC (Unix sockets) rather
    than TCP on localhost, so ipykernel has no reason to warn "Kernel is running over TCP without
    encryption". The sockets live in ``sockets`` (a directory of this render's own): jupyter_client
    would otherwise name them ``kernel-ipc-N`` in the working directory, shared by every render
    started there at once. Windows has no IPC transport and keeps TCP."""
    from traitlets.config import Config

    if os.name == "nt":
        return Config({"KernelManager": {"transport": "tcp"}})
    manager: dict[str, Any] = {"transport": "ipc"}
    if sockets is not None:
        manager["ip"] = str(sockets / "kernel")
    return Config({"KernelManager": manager})


@contextlib.contextmanager
def _kernel_sockets() -> Iterator[Path]:
    """A private directory for one render's kernel sockets, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="wb-kernel-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _check_kernel() -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        raise ReportError(
            f"no Jupyter kernel named {KERNEL!r}: install one with 'python -m ipykernel install --sys-prefix'"
        ) from None


def _page(
    spec: ReportSpec, effective: Mapping[str, Any], passed: set[str], now: dt.datetime, nb: Any
) -> dict[str, Any]:
    """The page header: title, time, parameters (passed ones marked) and the notebook's data window."""
    info = notebook_info(nb)
    return {
        "name": spec.name,
        "title": spec.title,
        "description": spec.description,
        "generated_at": now.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "generated_iso": now.isoformat(),
        "window": info.get("window", ""),
        "parameters": [(key, shown_value(key, value), key in passed) for key, value in effective.items()],
        "notebook": str(spec.notebook),
        "version": workbench.__version__,
    }


#: Parameters that hold a path: the header shows them relative, never the absolute local path.
PATH_PARAMETERS = frozenset({"data_dir", "rules_file"})


def shown_value(key: str, value: Any) -> str:
    """A parameter as the page header shows it: ``not set`` for None, a path relative to the
    working directory (else ``…/parent/name``), other values as Python literals."""
    if value is None:
        return "not set"
    if key in PATH_PARAMETERS:
        path = Path(str(value))
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(Path("…", *path.parts[-2:])) if path.is_absolute() else str(path)
    return repr(value)


def notebook_info(nb: Any) -> dict[str, Any]:
    """What the notebook reported about itself (``metadata.workbench`` of its outputs), merged."""
    info: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            info.update(output.get("metadata", {}).get("workbench", {}))
    return info


def notebook_findings(nb: Any, key: str = FINDINGS_KEY) -> list[dict[str, Any]]:
    """Every finding the notebook showed (:func:`workbench.report.notebook.show_findings`), in order;
    with ``key=FIGURES_KEY`` every figure (:func:`workbench.report.notebook.show_figures`)."""
    found: list[dict[str, Any]] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            found.extend(output.get("metadata", {}).get(key, []))
    return found


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | None | list) else str(v) for k, v in values.items()
    }
