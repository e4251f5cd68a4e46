"""One collector per (data directory, cluster, kind): an advisory ``flock`` on a lock file.

The kernel releases a ``flock`` when its holder dies, even by ``kill -9``, so a stale lock
never blocks the next start. The file (``DATA_DIR/.locks/collect-<kind>-<cluster>.lock``)
holds the holder's PID for the message. Local file systems only: NFS locks are not reliable; for an
object-store data directory the lock lives on this host (``Location.lock_dir``), so it keeps two
collectors of one cluster apart on one host only (docs/fleet.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from workbench.errors import ConfigError
from workbench.store._location import Location


def lock_path(data_dir: str | os.PathLike[str], cluster: str, kind: str) -> Path:
    """Where the lock of this collector lives (the cluster name quoted into a file name)."""
    return Location.parse(data_dir).lock_dir / f"collect-{kind}-{quote(cluster, safe='')}.lock"


@contextlib.contextmanager
def collector_lock(data_dir: str | os.PathLike[str], cluster: str, kind: str = "offsets") -> Iterator[Path]:
    """Hold the lock for the block, or raise a one-line ConfigError naming the holder."""
    path = lock_path(data_dir, cluster, kind)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)  # read-only: a remount ro stays possible
    except OSError as exc:
        raise ConfigError(
            f"cannot create the collector lock {path}: {exc.strerror}; check {data_dir}"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise ConfigError(
                f"another collector (pid {holder}) is already collecting {kind} of cluster {cluster!r} "
                f"into {data_dir}; stop it first (one collector per data directory and cluster)"
            ) from None
        with contextlib.suppress(OSError):  # the PID only serves the message
            path.write_text(f"{os.getpid()}\n")
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the flock
