"""Tidy frames from the store: the offsets history with lag columns, partition offsets.

A JupyterLab user starts with ``workbench.load_offsets("data/sample", since="2d")`` (eager) or
``scan_offsets`` (lazy). Report inputs by domain: :mod:`~workbench.frames.lag`,
:mod:`~workbench.frames.capacity`, :mod:`~workbench.frames.bench` (benchmark runs),
:mod:`~workbench.frames.configs`.
"""

import importlib as _importlib
import typing as _typing

from workbench.frames import offsets
from workbench.frames.offsets import (
    add_lag_columns,
    add_stable_lag,
    load_latest_offsets,
    load_offsets,
    load_partition_offsets,
    resolve_window,
    scan_offsets,
    scan_partition_offsets,
    warmup_start,
)

if _typing.TYPE_CHECKING:
    from workbench.frames import bench, capacity, configs, lag, pieces
    from workbench.frames.pieces import offsets_in_pieces

_LAZY = ("bench", "capacity", "configs", "lag", "pieces")


def __getattr__(name: str) -> _typing.Any:
    """Load the report-input modules on first use (``workbench lag`` needs none but the lag one)."""
    if name in _LAZY:
        return _importlib.import_module(f"{__name__}.{name}")
    if name == "offsets_in_pieces":
        value = _importlib.import_module(f"{__name__}.pieces").offsets_in_pieces
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "add_lag_columns",
    "add_stable_lag",
    "bench",
    "capacity",
    "configs",
    "lag",
    "load_latest_offsets",
    "load_offsets",
    "load_partition_offsets",
    "offsets",
    "offsets_in_pieces",
    "pieces",
    "resolve_window",
    "scan_offsets",
    "scan_partition_offsets",
    "warmup_start",
]
