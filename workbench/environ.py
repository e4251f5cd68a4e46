"""An environment variable set for what a block starts (a child process, a kernel), then restored."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def temporary_env(name: str, value: str) -> Iterator[None]:
    """``name`` set to ``value`` inside the block; its former value (or its absence) after."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before
