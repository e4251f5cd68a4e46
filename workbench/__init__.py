"""Kafka capacity workbench.

Gathers what a Kafka cluster knows about itself into Polars frames and renders offline HTML
reports. The public API is re-exported here lazily, so ``import workbench`` stays fast (and
changes nothing in the environment: see :func:`tune_allocator`):

>>> import workbench
>>> offsets = workbench.load_offsets("data/sample", cluster="sample", since="2d")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Polars' allocator settings that :func:`tune_allocator` sets: keep freed pages for 1 s (Polars'
#: 0.5 s makes batch-after-batch work re-zero memory; 10 s kept 100-400 MB more resident). See
#: docs/allocator.md.
JEMALLOC_CONF = "dirty_decay_ms:1000,muzzy_decay_ms:0"


def tune_allocator() -> bool:
    """Set Polars' jemalloc options (:data:`JEMALLOC_CONF`) for this process and its children,
    unless ``_RJEM_MALLOC_CONF`` is already set. True when they take effect (Polars not yet
    imported). The CLI and the bench scripts call it first; ``import workbench`` never does."""
    import sys

    os.environ.setdefault("_RJEM_MALLOC_CONF", JEMALLOC_CONF)
    return "polars" not in sys.modules


#: Optional imports that cost seconds and that nothing here uses (docs/scale.md): jsonschema loads
#: rfc3987_syntax when it is installed, which compiles about 40 Lark grammars (2.3 s of CPU in every
#: report kernel and CLI run) for an "iri" format check that altair and nbformat never make.
SKIPPED_IMPORTS = ("rfc3987_syntax",)


def skip_slow_imports() -> None:
    """Keep :data:`SKIPPED_IMPORTS` from loading in this process (unless already loaded): an
    optional ``import`` of them then fails as if they were not installed. The CLI and
    :mod:`workbench.charts` call it; ``import workbench`` never does."""
    import sys

    for name in SKIPPED_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: "not installed" (import docs)


# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "ClientSettings": "workbench.config",
    "Store": "workbench.store",
    "ConfigError": "workbench.errors",
    "InputFileError": "workbench.errors",
    "KafkaAuthError": "workbench.errors",
    "KafkaRequestError": "workbench.errors",
    "KafkaUnavailableError": "workbench.errors",
    "NotFoundError": "workbench.errors",
    "ReportError": "workbench.errors",
    "StoreError": "workbench.errors",
    "WorkbenchError": "workbench.errors",
    "load_offsets": "workbench.frames",
    "load_partition_offsets": "workbench.frames",
    "scan_offsets": "workbench.frames",
    "scan_partition_offsets": "workbench.frames",
    "load_settings": "workbench.config",
}

__all__ = sorted(
    [*_EXPORTS, "JEMALLOC_CONF", "SKIPPED_IMPORTS", "__version__", "skip_slow_imports", "tune_allocator"]
)

if TYPE_CHECKING:  # for type checkers and IDEs; at run time names load lazily below
    from workbench.config import ClientSettings as ClientSettings
    from workbench.config import load_settings as load_settings
    from workbench.errors import ConfigError as ConfigError
    from workbench.errors import InputFileError as InputFileError
    from workbench.errors import KafkaAuthError as KafkaAuthError
    from workbench.errors import KafkaRequestError as KafkaRequestError
    from workbench.errors import KafkaUnavailableError as KafkaUnavailableError
    from workbench.errors import NotFoundError as NotFoundError
    from workbench.errors import ReportError as ReportError
    from workbench.errors import StoreError as StoreError
    from workbench.errors import WorkbenchError as WorkbenchError
    from workbench.frames import load_offsets as load_offsets
    from workbench.frames import load_partition_offsets as load_partition_offsets
    from workbench.frames import scan_offsets as scan_offsets
    from workbench.frames import scan_partition_offsets as scan_partition_offsets
    from workbench.store import Store as Store


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
