"""The public API is what ``__all__`` says: every public name is listed, and the notebooks and the
README code use listed names only (httpx's ``test_all_imports_are_exported``)."""

from __future__ import annotations

import ast
import importlib
import json
import re
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [
    "workbench",
    "workbench.analyze",
    "workbench.analyze.burrow",
    "workbench.analyze.capacity",
    "workbench.analyze.config",
    "workbench.analyze.lag",
    "workbench.analyze.latency",
    "workbench.charts",
    "workbench.frames",
    "workbench.report",
]


def _public(module: types.ModuleType) -> set[str]:
    """Names a reader may use: not private, not ``annotations``, not a submodule never listed."""
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_") or name == "annotations":
            continue
        if isinstance(value, types.ModuleType) and name not in getattr(module, "__all__", ()):
            continue
        names.add(name)
    return names


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    listed = list(module.__all__)
    assert len(set(listed)) == len(listed), "duplicates in __all__"
    assert not [n for n in listed if not hasattr(module, n)], "listed but missing"
    if name != "workbench":  # workbench loads its names lazily: listed, not yet bound
        assert _public(module) == set(listed)


def _notebook_sources() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "code":
                src = cell["source"]
                out.append((f"{path.name}[{i}]", src if isinstance(src, str) else "".join(src)))
    return out


def _readme_sources() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return [(f"README.md block {i}", b) for i, b in enumerate(blocks)]


def _is_submodule(module_name: str, attr: str) -> bool:
    module = importlib.import_module(module_name)
    return hasattr(module, "__path__") and importlib.util.find_spec(f"{module_name}.{attr}") is not None


def _allowed(module_name: str, attr: str) -> bool:
    """Listed in the module's ``__all__``, or a public submodule of a package."""
    if attr in getattr(importlib.import_module(module_name), "__all__", ()):
        return True
    return not attr.startswith("_") and _is_submodule(module_name, attr)


def _uses(source: str) -> list[tuple[str, str]]:
    """(module, name) pairs a code block uses: imported names and attributes of workbench modules."""
    tree = ast.parse(source)
    bound: dict[str, str] = {}
    used: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "workbench":
                    bound[a.asname or a.name.split(".")[0]] = a.name if a.asname else "workbench"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("workbench"):
            for a in node.names:
                used.append((node.module, a.name))  # type: ignore[arg-type]
                if _is_submodule(node.module, a.name):  # type: ignore[arg-type]
                    bound[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        chain = []
        while isinstance(node, ast.Attribute):
            chain.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in bound and chain:
            module = bound[node.id]
            for attr in reversed(chain):
                used.append((module, attr))
                if not _is_submodule(module, attr):
                    break
                module = f"{module}.{attr}"
    return used


@pytest.mark.parametrize(
    ("where", "source"), [(w, s) for w, s in _notebook_sources() + _readme_sources() if "workbench" in s]
)
def test_notebooks_and_readme_use_listed_names(where: str, source: str) -> None:
    bad = sorted({f"{m}.{n}" for m, n in _uses(source) if not _allowed(m, n)})
    assert not bad, f"{where} uses names outside __all__: {bad}"
