"""A notebook's ``parameters`` cell: read the defaults, check and coerce the passed values.

The cell must stay plain: one ``name = literal`` per line, no annotations, no comments holding
``=`` (papermill's own inference breaks on them). Values passed on the command line arrive as
text and are coerced to the type of the default (``"3"`` -> ``3`` for an int parameter);
``None`` gives None for any parameter, as papermill's ``-p name None`` does; ``none`` and
``null`` too, except where the default is text: there they are the literal value offered.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from workbench.errors import ConfigError, ReportError

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
_NULL = {"none", "null"}


def parameters_cell_index(nb: nbformat.NotebookNode) -> int:
    """Index of the cell tagged ``parameters``."""
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return i
    raise ReportError("the notebook has no cell tagged 'parameters'")


def read_defaults(notebook: str | Path) -> dict[str, Any]:
    """The parameters and their default values, in the order the cell declares them."""
    try:
        nb = nbformat.read(str(notebook), as_version=4)
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read the report notebook {notebook}: {exc}") from exc
    source = nb.cells[parameters_cell_index(nb)].source
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ReportError(f"{notebook}: the parameters cell is not valid Python: {exc}") from exc
    defaults: dict[str, Any] = {}
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            raise ReportError(f"{notebook}: the parameters cell must hold only plain 'name = value' lines")
        try:
            defaults[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError as exc:
            raise ReportError(
                f"{notebook}: parameter {node.targets[0].id!r} needs a literal default"
            ) from exc
    return defaults


def coerce(name: str, value: Any, default: Any) -> Any:
    """``value`` converted to the type of ``default``; :class:`ConfigError` if it does not fit."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text == "None" or (not isinstance(default, str) and (text.lower() in _NULL or not text)):
        return None
    try:
        if isinstance(default, bool):
            return _to_bool(text)
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        kind = type(default).__name__
        raise ConfigError(
            f"parameter {name}: {value!r} is not a valid {kind} (default {default!r})"
        ) from None
    return value


def _to_bool(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError(text)


def check_parameters(notebook: str | Path, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``params`` against the notebook's parameters cell and coerce them.

    Raises :class:`ConfigError` listing the valid names when a name is unknown, before anything
    runs. Returns the coerced values (only those passed).
    """
    defaults = read_defaults(notebook)
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        valid = ", ".join(defaults)
        raise ConfigError(
            f"unknown parameter {', '.join(unknown)} for {Path(notebook).name}: valid are {valid}"
        )
    return {name: coerce(name, value, defaults[name]) for name, value in params.items()}
