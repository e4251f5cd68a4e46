"""Where the store lives (a local directory or an object-store URI) and OS-error translation."""

from __future__ import annotations

import errno
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from workbench.errors import StoreError, StoreFullError, StoreReadOnlyError
from workbench.store import objectstore

_OS_ERROR_RE = re.compile(r"os error (\d+)|errno[ =:]*(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Location:
    """The data directory: ``uri`` is an absolute local path or a ``scheme://`` URI."""

    uri: str
    local: bool
    storage_options: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, root: str | os.PathLike[str]) -> Location:
        """A location from a path or URI; object-store credentials come from the environment."""
        text = os.fspath(root)
        if "://" in text and not text.startswith("file://"):
            uri = text.rstrip("/")
            return cls(uri, False, objectstore.storage_options(uri))
        text = text.removeprefix("file://")
        return cls(str(Path(text).absolute()), True)

    def join(self, *parts: str) -> str:
        """``uri/part/part`` (a path for a local root)."""
        return "/".join([self.uri, *(p.strip("/") for p in parts)])

    @property
    def lock_dir(self) -> Path:
        """Where locks live: ``DATA_DIR/.locks``, or a per-host directory for a remote root."""
        return Path(self.uri) / ".locks" if self.local else objectstore.lock_dir(self.uri)

    def scrub(self, text: str) -> str:
        """``text`` with the root's secret options masked."""
        return objectstore.scrub(text, self.storage_options)

    @property
    def display(self) -> Path | str:
        """What messages show: a :class:`Path` for a local root, else the URI."""
        return Path(self.uri) if self.local else self.uri


def os_errno(exc: BaseException) -> int | None:
    """The OS error number behind ``exc`` (an OSError or a Rust ``os error N`` message)."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc.errno
    m = _OS_ERROR_RE.search(str(exc))
    return int(m.group(1) or m.group(2)) if m else None


def translate(exc: BaseException, where: object, doing: str) -> StoreError:
    """One-line :class:`StoreError` for an exception raised while ``doing`` something at ``where``."""
    code = os_errno(exc)
    if code == errno.ENOSPC or code == errno.EDQUOT:
        return StoreFullError(
            f"{where}: no space left on the device while {doing}; nothing was committed: "
            "free space (workbench prune, workbench compact) and retry"
        )
    if code == errno.EROFS:
        return StoreReadOnlyError(
            f"{where}: read-only file system while {doing}; nothing was committed: "
            "point --data-dir at a writable directory"
        )
    if code in (errno.EACCES, errno.EPERM):
        return StoreReadOnlyError(
            f"{where}: permission denied while {doing}; nothing was committed: check the directory's "
            "owner and mode, or point --data-dir elsewhere"
        )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(f"{where}: {doing} failed: {first[:300]}")


_PANIC_LINE = re.compile(
    r"^(thread '.*' \(\d+\) panicked at |thread '.*' panicked at |stack backtrace:|note: |\s+\d+: |\s+at )"
)


@contextmanager
def quiet_native_panics() -> Iterator[None]:
    """Keep a Rust panic message (printed by a native library's worker thread while it fails
    on a full disk) off the terminal: the failure arrives as an exception and becomes one line.

    Everything else written to stderr meanwhile is passed on afterwards. Thread-safe: while
    threads overlap inside it, the first one in redirects stderr and the last one out restores it.
    """
    with _quiet_lock:
        if _quiet["depth"] == 0:
            sys.stderr.flush()
            try:
                buf = os.memfd_create("workbench-stderr")
                saved = os.dup(2)
            except (AttributeError, OSError):
                buf = saved = -1
            else:
                os.dup2(buf, 2)
            _quiet.update(buf=buf, saved=saved)
        _quiet["depth"] += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet["depth"] -= 1
            if _quiet["depth"] == 0 and _quiet["saved"] >= 0:
                _restore_stderr(_quiet["buf"], _quiet["saved"])


_quiet_lock = threading.Lock()
_quiet = {"depth": 0, "buf": -1, "saved": -1}


def _restore_stderr(buf: int, saved: int) -> None:
    """Put stderr back and pass on what was written to it, less any Rust panic message."""
    os.dup2(saved, 2)
    os.close(saved)
    os.lseek(buf, 0, os.SEEK_SET)
    text = os.read(buf, 1 << 20).decode(errors="replace")
    os.close(buf)
    lines, skip_next = [], False
    for line in text.splitlines(keepends=True):
        if skip_next or _PANIC_LINE.match(line):
            skip_next = "panicked at" in line
            continue
        lines.append(line)
    if len(lines) < len(text.splitlines()):  # a panic was dropped: drop its blank lines too
        lines = [line for line in lines if line.strip()]
    if lines:
        sys.stderr.write("".join(lines))
