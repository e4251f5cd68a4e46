"""Tidy frames from the store: the offsets history with lag columns, partition offsets.

These are the functions a JupyterLab user calls first::

    import workbench
    df = workbench.load_offsets("data/sample", since="2d", groups="orders.*")
    df.to_pandas()
"""

from workbench.frames.offsets import (
    add_lag_columns,
    load_latest_offsets,
    load_offsets,
    load_partition_offsets,
    resolve_window,
    scan_offsets,
    warmup_start,
)
from workbench.frames.pieces import offsets_in_pieces

__all__ = [
    "add_lag_columns",
    "load_latest_offsets",
    "load_offsets",
    "load_partition_offsets",
    "offsets_in_pieces",
    "resolve_window",
    "scan_offsets",
    "warmup_start",
]
