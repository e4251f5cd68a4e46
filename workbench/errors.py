"""The workbench's one exception hierarchy.

Third-party exceptions are translated at the boundary (``raise ... from exc``). The CLI turns
any :class:`WorkbenchError` into a one-line message (``str(err)``) and a non-zero exit code,
so every message names the problem and what to do about it.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class of every error the workbench raises on purpose."""

    exit_code = 2


class ConfigError(WorkbenchError):
    """A bad setting: malformed client.properties, unknown parameter, bad duration, bad rule file."""


class InputFileError(WorkbenchError):
    """A file from another tool could not be parsed. The message names the file and line."""

    def __init__(self, path: object, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class KafkaUnavailableError(WorkbenchError):
    """The cluster could not be reached, or did not answer in time."""


class KafkaAuthError(WorkbenchError):
    """The cluster refused our credentials."""


class KafkaRequestError(WorkbenchError):
    """The cluster answered a request with an error."""


class PrometheusError(WorkbenchError):
    """A Prometheus server could not be reached or refused a query (``workbench import prometheus``)."""


class NotFoundError(WorkbenchError):
    """A named thing (group, topic, run, report, cluster) does not exist."""


class StoreError(WorkbenchError):
    """The data directory holds something unexpected (wrong schema version, unreadable file)."""


class StoreFullError(StoreError):
    """The data directory's device is full (ENOSPC, quota): nothing was committed; retry later."""


class StoreReadOnlyError(StoreError):
    """The data directory cannot be written (read-only file system, permissions)."""


class StoreLayoutError(StoreError):
    """A dataset is in another layout or schema version than this workbench reads."""


class ReportError(WorkbenchError):
    """A report failed to render. The message names the failing cell and the kept notebook."""


class NotifyError(WorkbenchError):
    """A notification could not be delivered (the report itself was written)."""
