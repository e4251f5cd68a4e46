"""Tidy frames from the store: the offsets history with lag columns, partition offsets.

A JupyterLab user starts with ``workbench.load_offsets("data/sample", since="2d")`` (eager) or
``scan_offsets`` (lazy). Report inputs by domain: :mod:`~workbench.frames.lag`,
:mod:`~workbench.frames.capacity`, :mod:`~workbench.frames.bench` (benchmark runs),
:mod:`~workbench.frames.configs`.
"""

from workbench.frames import bench, capacity, configs, lag, offsets, pieces
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
from workbench.frames.pieces import offsets_in_pieces

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
