"""Kafka capacity workbench.

Gathers what a Kafka cluster knows about itself into Polars frames and renders offline HTML
reports. The public API is re-exported here lazily, so ``import workbench`` stays fast:

>>> import workbench
>>> offsets = workbench.load_offsets("data/sample", cluster="sample", since="2d")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "ClientSettings": "workbench.config",
    "Store": "workbench.store",
    "WorkbenchError": "workbench.errors",
    "load_offsets": "workbench.frames",
    "load_partition_offsets": "workbench.frames",
    "load_settings": "workbench.config",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # for type checkers and IDEs; at run time names load lazily below
    from workbench.config import ClientSettings as ClientSettings
    from workbench.config import load_settings as load_settings
    from workbench.errors import WorkbenchError as WorkbenchError
    from workbench.frames import load_offsets as load_offsets
    from workbench.frames import load_partition_offsets as load_partition_offsets
    from workbench.store import Store as Store


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
