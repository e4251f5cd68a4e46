"""Consecutive runs packed into bounded lists: the store's clustered files, the analysis's pieces."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def pack_runs(runs: Iterable[tuple[list[T], int]], limit: int) -> list[list[T]]:
    """Consecutive ``(values, rows)`` runs packed into lists of at most ``limit`` rows, in order (a
    run bigger than ``limit`` is a list of its own)."""
    out: list[list[T]] = []
    size = limit + 1
    for values, count in runs:
        if size + count > limit:
            out.append([])
            size = 0
        out[-1].extend(values)
        size += count
    return out
