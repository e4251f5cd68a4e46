"""A notebook's ``parameters`` cell: names, defaults, kinds and meanings; values checked before any run.

One ``name = literal  # type: KIND  meaning`` per line (papermill's own comment syntax, read with its
inspector). Text from the command line is converted and validated by KIND before the kernel starts;
``none``/``null`` gives None unless the kind is a choice that lists ``none``. Kinds: docs/reports.md.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from workbench.errors import ConfigError, ReportError

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
_NULL = {"none", "null"}
_CHOICE_RE = re.compile(r"^choice\((?P<values>[^)]*)\)$")
#: The longest window or duration a parameter accepts (beyond it a typo such as 99999999d is likely).
MAX_DURATION = dt.timedelta(days=3660)
#: Instants outside these years are refused (a typo, or an epoch-zero timestamp).
YEARS = (2000, 2200)


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: its default, kind (``int``, ``duration``, ``choice(a|b)``...) and meaning."""

    name: str
    default: Any
    kind: str
    help: str

    @property
    def choices(self) -> tuple[str, ...]:
        """The allowed values of a ``choice(a|b)`` kind; empty for other kinds."""
        match = _CHOICE_RE.match(self.kind)
        return tuple(match.group("values").split("|")) if match else ()

    def describe(self) -> str:
        """``since (duration or instant, default '7d'): how far back...`` for ``report --list``."""
        kind = f"one of {', '.join(self.choices)}" if self.choices else _KIND_WORDS.get(self.kind, self.kind)
        return f"{self.name} ({kind}, default {self.default!r}): {self.help or 'no description'}"


def parameters_cell_index(nb: nbformat.NotebookNode) -> int:
    """Index of the cell tagged ``parameters``."""
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return i
    raise ReportError("the notebook has no cell tagged 'parameters'")


def read_parameters(notebook: str | Path) -> dict[str, Parameter]:
    """Every declared parameter, in the cell's order."""
    from papermill.translators import PythonTranslator

    try:
        nb = nbformat.read(str(notebook), as_version=4)
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read the report notebook {notebook}: {exc}") from exc
    cell = nb.cells[parameters_cell_index(nb)]
    defaults = _literal_defaults(notebook, cell.source)
    declared = {p.name: p for p in PythonTranslator.inspect(cell)}
    params = {}
    for name, default in defaults.items():
        info = declared.get(name)
        kind = info.inferred_type_name if info and info.inferred_type_name != "None" else _kind_of(default)
        params[name] = Parameter(name, default, kind, info.help.strip() if info else "")
    return params


def read_defaults(notebook: str | Path) -> dict[str, Any]:
    """The parameters and their default values, in the order the cell declares them."""
    return {name: p.default for name, p in read_parameters(notebook).items()}


def _literal_defaults(notebook: str | Path, source: str) -> dict[str, Any]:
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


def _kind_of(default: Any) -> str:
    if isinstance(default, bool):
        return "bool"
    return {int: "int", float: "float"}.get(type(default), "str")


def coerce(name: str, value: Any, default: Any, kind: str | None = None) -> Any:
    """``value`` converted and checked for parameter ``name``; :class:`ConfigError` naming the fix."""
    kind = kind or _kind_of(default)
    if not isinstance(value, str):
        return value
    text = value.strip()
    choices = _CHOICE_RE.match(kind)
    if choices:
        return _choice(name, text, choices.group("values").split("|"))
    if text.lower() in _NULL or (not text and kind not in ("str", "path")):
        return None
    check = _CHECKS.get(kind)
    if check is None:
        return value
    try:
        return check(text)
    except (ValueError, OverflowError) as exc:
        hint = _KIND_WORDS.get(kind, kind)
        detail = f" ({exc})" if str(exc) and not str(exc).startswith(("invalid literal", "could not")) else ""
        raise ConfigError(f"parameter {name}: {value!r} is not a valid {hint}{detail}") from None


def _choice(name: str, text: str, values: list[str]) -> str | None:
    if text in values:
        return text
    if text.lower() in _NULL:
        return None
    raise ConfigError(f"parameter {name}: {text!r} is not one of {', '.join(values)}")


def _to_bool(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError(text)


def _to_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


def _to_duration(text: str) -> str:
    if _span(text) is None:
        raise ValueError("use a number with a unit: 30s, 5m, 1h, 7d, 2w")
    return text


def _span(text: str) -> dt.timedelta | None:
    """The duration ``text`` names, None when it is no duration; ValueError when out of range."""
    from workbench.timeparse import parse_duration

    try:
        span = parse_duration(text)
    except ConfigError:
        return None
    except (OverflowError, ValueError):
        raise ValueError("must be a finite duration") from None
    if span <= dt.timedelta(0):
        raise ValueError("must be longer than zero")
    if span > MAX_DURATION:
        raise ValueError(f"longer than {MAX_DURATION.days} days")
    return span


def _to_since(text: str) -> str:
    """A duration back from the newest snapshot, or an ISO 8601 instant."""
    if _span(text) is not None:
        return text
    try:
        instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("use a duration (7d) or ISO 8601 (2026-11-27T14:00Z)") from None
    if not YEARS[0] <= instant.year <= YEARS[1]:
        raise ValueError(f"the year must be between {YEARS[0]} and {YEARS[1]}")
    return text


def _to_regex(text: str) -> str:
    import polars as pl

    try:
        pl.Series([""]).str.contains(text)
    except pl.exceptions.PolarsError as exc:
        reason = next((ln for ln in str(exc).splitlines() if ln.startswith("error:")), "not a regex")
        raise ValueError(reason.removeprefix("error:").strip()) from None
    return text


def _to_fraction(text: str) -> float:
    number = _to_float(text)
    if not 0 <= number <= 1:
        raise ValueError("must be between 0 and 1")
    return number


def _to_int(text: str) -> int:
    number = int(text)
    if abs(number) >= 2**63:
        raise ValueError("out of range: within 64-bit integers")
    return number


def _to_count(text: str) -> int:
    number = _to_int(text)
    if number < 1:
        raise ValueError("must be 1 or more")
    return number


_CHECKS: dict[str, Callable[[str], Any]] = {
    "bool": _to_bool,
    "int": _to_int,
    "count": _to_count,
    "float": _to_float,
    "fraction": _to_fraction,
    "duration": _to_duration,
    "since": _to_since,
    "regex": _to_regex,
}
_KIND_WORDS = {
    "bool": "true or false",
    "int": "whole number",
    "count": "whole number of 1 or more",
    "float": "number",
    "fraction": "fraction from 0 to 1",
    "duration": "duration such as 30s, 5m, 1h, 7d",
    "since": "duration back from the newest snapshot (7d) or ISO 8601 instant",
    "regex": "regular expression (Rust regex syntax, matched whole)",
    "str": "text",
    "path": "path",
    "list": "comma-separated list",
}


def check_parameters(notebook: str | Path, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``params`` (names and values) against the notebook before anything runs; coerced values."""
    declared = read_parameters(notebook)
    unknown = sorted(set(params) - set(declared))
    if unknown:
        valid = ", ".join(declared)
        raise ConfigError(
            f"unknown parameter {', '.join(unknown)} for {Path(notebook).name}: valid are {valid}"
        )
    return {
        name: coerce(name, value, declared[name].default, declared[name].kind)
        for name, value in params.items()
    }
