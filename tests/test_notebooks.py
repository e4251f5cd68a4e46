"""The report notebooks as files: clean, plainly parameterized, runnable by papermill and nbval."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from workbench.report import CATALOG

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHIPPED_SAMPLE = ROOT / "data" / "sample"


def test_every_catalog_notebook_exists() -> None:
    for spec in CATALOG.values():
        assert spec.path.is_file(), f"{spec.name}: {spec.path} is missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: clear outputs before saving"
            )
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_is_plain(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    from papermill.translators import PythonTranslator

    inspected = {p.name: p for p in PythonTranslator.inspect(tagged[0])}
    for line in tagged[0].source.splitlines():
        node = ast.parse(line).body[0]
        assert isinstance(node, ast.Assign), f"plain 'name = value  # type: KIND  meaning' lines: {line!r}"
        ast.literal_eval(node.value)
        name = node.targets[0].id  # type: ignore[attr-defined]
        # papermill's own inspector reads the same name, kind and meaning (`papermill --help-notebook`)
        assert name in inspected and inspected[name].help.strip(), f"no meaning after the kind: {line!r}"


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_papermill_command_line(sample_dir: Path, tmp_path: Path) -> None:
    """``papermill notebooks/lag_trend.ipynb out.ipynb -p since 3d`` from the repo root."""
    out = tmp_path / "out.ipynb"
    cmd = [
        sys.executable,
        "-m",
        "papermill",
        "notebooks/lag_trend.ipynb",
        str(out),
        "-p",
        "since",
        "3d",
        "--no-progress-bar",
    ]
    if sample_dir != SHIPPED_SAMPLE:
        cmd += ["-p", "data_dir", str(sample_dir)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    charts = sum(
        "altair-viz-" in str(o.get("data", {}).get("text/html", ""))
        for c in nb.cells
        for o in c.get("outputs", [])
    )
    assert charts >= 6


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
@pytest.mark.skipif(not (SHIPPED_SAMPLE / "offsets").is_dir(), reason="needs the shipped data/sample")
def test_nbval_lax_on_source_notebooks(tmp_path: Path) -> None:
    """What CI runs: ``pytest -p nbval --nbval-lax notebooks/`` (default parameters, data/sample;
    pyproject's addopts leave nbval out of other pytest runs)."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "nbval",
        "--nbval-lax",
        "notebooks/",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stdout[-3000:]
