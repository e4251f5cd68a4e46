"""Every public name has a docstring: `workbench.__all__`, and every public function, class and method
defined in the modules of `workbench.frames`, `workbench.analyze` and `workbench.report` (the API a
notebook user reads with `help()`)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import pytest

import workbench

PACKAGES = ("workbench.frames", "workbench.analyze", "workbench.report")


def _modules(package: str) -> Iterator[ModuleType]:
    pkg = importlib.import_module(package)
    yield pkg
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{package}.{info.name}")


def _members(obj: type) -> Iterator[tuple[str, object]]:
    for name, value in vars(obj).items():
        if name.startswith("_"):
            continue
        if isinstance(value, property):
            yield name, value.fget
        elif isinstance(value, classmethod | staticmethod):
            yield name, value.__func__
        elif inspect.isfunction(value):
            yield name, value


def public_objects() -> list[tuple[str, object]]:
    """(qualified name, object) of everything that must carry a docstring."""
    found: dict[str, object] = {f"workbench.{n}": getattr(workbench, n) for n in workbench.__all__}
    for package in PACKAGES:
        for module in _modules(package):
            for name, value in vars(module).items():
                if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
                    continue
                if inspect.isfunction(value) or inspect.isclass(value):
                    found[f"{module.__name__}.{name}"] = value
                if inspect.isclass(value):
                    found.update({f"{module.__name__}.{name}.{m}": f for m, f in _members(value)})
    return sorted(found.items())


def _documented(obj: object) -> bool:
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismodule(obj)):
        return True  # constants (CATALOG, FORMATS...) are documented where they are defined
    return bool((obj.__doc__ or "").strip())


def test_walk_finds_the_api() -> None:
    names = {n for n, _ in public_objects()}
    assert {
        "workbench.load_offsets",
        "workbench.frames.offsets.load_offsets",
        "workbench.report.render.render",
    } <= names
    assert len(names) > 50


@pytest.mark.parametrize("package", ["workbench", *PACKAGES])
def test_every_public_name_has_a_docstring(package: str) -> None:
    missing = [
        name
        for name, obj in public_objects()
        if (name.startswith(f"{package}.") and (package != "workbench" or name.count(".") == 1))
        and not _documented(obj)
    ]
    assert missing == [], f"add docstrings to: {', '.join(missing)}"


def test_docstrings_are_ten_lines_or_fewer() -> None:
    # long rationale belongs in docs/ (the docstring points there)
    import ast
    from pathlib import Path

    root = Path(workbench.__file__).parent
    long = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                doc = ast.get_docstring(node, clean=False)
                if doc and len(doc.strip().splitlines()) > 10:
                    long.append(f"{path.relative_to(root)}:{getattr(node, 'name', '<module>')}")
    assert not long, long
