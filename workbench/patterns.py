"""Group and topic filters: regular expressions checked and run by one engine, Polars' (Rust).

The Rust ``regex`` crate matches in time linear in the text, so a pattern such as ``(a+)+$``
cannot blow up, and a pattern it compiles is a pattern every reader runs: the collector on
group names, :func:`workbench.frames.load_offsets` and ``workbench lag`` on stored history.
It has no look-around and no back-references; such patterns, and any it refuses (``[``, a
compiled size over its 10 MB limit), are a one-line :class:`ConfigError` naming the option.
A pattern matches a whole name (it is anchored).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl

from workbench.errors import ConfigError

#: Longest pattern accepted (longer ones are almost surely pasted by mistake).
MAX_LENGTH = 2000


def check(pattern: str, flag: str) -> str:
    """``pattern`` if Polars' engine compiles it, else :class:`ConfigError` naming ``flag``."""
    if len(pattern) > MAX_LENGTH:
        raise ConfigError(f"{flag}: pattern of {len(pattern)} characters; at most {MAX_LENGTH}")
    try:
        pl.Series([""], dtype=pl.String).str.contains(pattern)
    except pl.exceptions.PolarsError as exc:
        raise ConfigError(f"{flag} {pattern!r} is not a valid regular expression: {_reason(exc)}") from None
    return pattern


def _reason(exc: Exception) -> str:
    """The engine's own one-line reason (``unclosed character class``, ``look-around ...``)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if line.startswith("error: "):
            return line.removeprefix("error: ") + " (Rust regex syntax)"
    return lines[0].removeprefix("regex error: ") if lines else "rejected by the regex engine"


def anchored(patterns: Sequence[str], flag: str) -> str | None:
    """One whole-name pattern matching any of ``patterns`` (each checked), or None for none."""
    if not patterns:
        return None
    return "^(?:" + "|".join(f"(?:{check(p, flag)})" for p in patterns) + ")$"


def name_filter(column: str, pattern: str, flag: str = "pattern") -> pl.Expr:
    """An expression true where ``column`` matches ``pattern`` whole."""
    whole = anchored([pattern], flag)
    return pl.col(column).str.contains(whole) if whole else pl.lit(True)


def select(
    names: Iterable[str], include: Sequence[str] = (), exclude: Sequence[str] = (), flag: str = "--include"
) -> list[str]:
    """``names`` that match an ``include`` pattern (any, when none) and no ``exclude`` pattern."""
    series = pl.Series(list(names), dtype=pl.String)
    keep = pl.Series([True] * series.len(), dtype=pl.Boolean)
    if inc := anchored(include, flag):
        keep &= series.str.contains(inc)
    if exc := anchored(exclude, "--exclude"):
        keep &= ~series.str.contains(exc)
    return series.filter(keep).to_list()
