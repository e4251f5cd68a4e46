"""Import modules a command needs later on a background thread (docs/scale.md, `workbench lag`).

While the main thread waits on native code that releases the GIL (delta-rs loading table logs,
Polars decoding Parquet), a second core runs the Python of these imports. Only modules whose
imports cannot wait on the main thread's (third-party leaves and analysis modules that the main
thread has not started) belong here; a failure is left to the main thread's own import to report.
"""

from __future__ import annotations

import importlib
import threading


def preload(*names: str) -> threading.Thread:
    """Start importing ``names`` in order on a daemon thread; returns the thread."""

    def run() -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # the main thread imports it again and reports the error
                return

    thread = threading.Thread(target=run, name="workbench-preload", daemon=True)
    thread.start()
    return thread
