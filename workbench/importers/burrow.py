"""Burrow consumer-group JSON -> the ``offsets`` dataset.

Details: docs/importers.md (`workbench.importers.burrow`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from workbench.errors import InputFileError
from workbench.importers import UNKNOWN_STATE, ImportResult, Source, read_input, rows_frame, snapshot_time

SOURCE = "burrow"
_MAX_MS = 253402300799999  # 9999-12-31T23:59:59.999Z


@dataclass(frozen=True)
class _Where:
    """Where a JSON value sits: the file, the line its top-level value starts on, a label."""

    name: str
    line: int
    label: str = ""

    def fail(self, problem: str) -> InputFileError:
        return InputFileError(self.name, self.line, f"{self.label}{problem}")


@dataclass
class _Parse:
    """Rows and notes gathered while reading one input."""

    ts: dt.datetime
    cluster: str | None
    rows: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seen: dict[tuple[str, str, str, int], int] = field(default_factory=dict)


def read_burrow(source: Source, cluster: str | None = None, at: dt.datetime | None = None) -> ImportResult:
    """Parse Burrow ``/lag`` (or ``/status``) JSON completely; see the module docstring.

    Args:
        source: a path, the JSON text, or an :class:`~workbench.importers.InputText`.
        cluster: file the rows under this cluster instead of the response's ``status.cluster``.
        at: when Burrow answered (naive means UTC). Default: the file's mtime, else now.

    Raises:
        InputFileError: malformed JSON (with its line) or a missing/mistyped key (named).
    """
    text = read_input(source)
    state = _Parse(snapshot_time(at, text), cluster or None)
    for where, value in _responses(text.name, text.text):
        _read_response(state, where, value)
    return ImportResult(rows_frame(state.rows), "offsets", tuple(state.notes))


def parse_burrow(source: Source, cluster: str | None = None, at: dt.datetime | None = None) -> pl.DataFrame:
    """The ``offsets`` frame of :func:`read_burrow` (notes dropped)."""
    return read_burrow(source, cluster, at).frame


def _responses(name: str, text: str) -> list[tuple[_Where, object]]:
    """Every top-level JSON value, with arrays unpacked, each with where it starts."""
    decoder = json.JSONDecoder()
    out: list[tuple[_Where, object]] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            break
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputFileError(name, exc.lineno, f"malformed JSON: {exc.msg} (column {exc.colno})") from exc
        except RecursionError:
            raise InputFileError(name, line, "JSON nested too deeply: not a Burrow response") from None
        except ValueError as exc:  # an integer of more than 4,300 digits
            raise InputFileError(name, line, f"malformed JSON: {exc}") from None
        if isinstance(value, list):
            out += [(_Where(name, line, f"array item {i}: "), item) for i, item in enumerate(value)]
        else:
            out.append((_Where(name, line), value))
    if not out:
        raise InputFileError(name, None, "no JSON in the file: expected Burrow /lag responses")
    return out


def _read_response(state: _Parse, where: _Where, response: object) -> None:
    """Add the rows of one response, or a note why it adds none."""
    if not isinstance(response, dict):
        raise where.fail(f"expected a JSON object (a Burrow response), found {type(response).__name__}")
    if response.get("error") is True:
        state.notes.append(f"line {where.line}: skipped Burrow error response: {response.get('message')!r}")
        return
    bare = "partitions" in response and not isinstance(response.get("status"), dict)
    status = response if bare else _get(response, "status", dict, where)
    prefix = "" if bare else "status."
    group = _get(status, "group", str, where, prefix)
    if status.get("status") == "NOTFOUND":
        state.notes.append(f"line {where.line}: skipped group {group!r}: Burrow status NOTFOUND")
        return
    cluster = state.cluster or _get(status, "cluster", str, where, prefix)
    partitions = _get(status, "partitions", list, where, prefix)
    parsed = [_partition_row(p, where, f"{prefix}partitions[{i}]") for i, p in enumerate(partitions)]
    group_state = "Stable" if any(row["host"] for row, _ in parsed) else UNKNOWN_STATE
    for row, _ in parsed:
        _claim(state, where, (cluster, group, str(row["topic"]), int(str(row["partition"]))))
        row.update(ts=state.ts, cluster=cluster, group=group, group_state=group_state, source=SOURCE)
        state.rows.append(row)
    _check_time(state, where, group, [ms for _, ms in parsed if ms is not None])
    _note_partial(state, where, response, group)


def _claim(state: _Parse, where: _Where, key: tuple[str, str, str, int]) -> None:
    """Refuse a (cluster, group, topic, partition) that an earlier response already gave."""
    if key in state.seen:
        raise where.fail(
            f"group {key[1]!r} {key[2]}-{key[3]} already appeared on line {state.seen[key]}: "
            "one snapshot per file, split responses fetched at different times"
        )
    state.seen[key] = where.line


def _partition_row(part: object, where: _Where, path: str) -> tuple[dict[str, object], int | None]:
    """One Burrow partition status -> (row without snapshot/cluster/group, commit time in ms)."""
    if not isinstance(part, dict):
        raise where.fail(f"key {path!r} is not a JSON object")
    topic = _get(part, "topic", str, where, path + ".")
    partition = _get(part, "partition", int, where, path + ".")
    if not 0 <= partition < 2**31:
        raise where.fail(f"key '{path}.partition' is {partition}: expected a partition number")
    end = _get(part, "end", dict, where, path + ".", nullable=True)
    committed = log_end = commit_ms = None
    if end is not None:
        committed = _get(end, "offset", int, where, path + ".end.")
        lag = _get(part, "current_lag", int, where, path + ".")
        if committed < 0 or lag < 0:
            raise where.fail(f"key '{path}' has a negative offset or lag: expected 0 or more")
        log_end = committed + lag
        if log_end >= 2**63:
            raise where.fail(f"key '{path}.end.offset' + current_lag is {log_end}: above a 64-bit offset")
        commit_ms = _commit_ms(end, where, path + ".end.")
    row: dict[str, object] = {
        "topic": topic,
        "partition": partition,
        "committed_offset": committed,
        "log_end_offset": log_end,
        "host": _text(part, "owner", where, path + "."),
        "client_id": _text(part, "client_id", where, path + "."),
    }
    return row, commit_ms


def _text(obj: dict, key: str, where: _Where, prefix: str) -> str | None:
    """An optional string (absent, null or empty -> None); any other type is an error."""
    if obj.get(key) in (None, ""):
        return None
    return _get(obj, key, str, where, prefix)


def _commit_ms(end: dict, where: _Where, prefix: str) -> int | None:
    """``end.timestamp``: optional, else integer milliseconds between 1970 and 9999."""
    if end.get("timestamp") is None:
        return None
    stamp = _get(end, "timestamp", int, where, prefix)
    if not 0 <= stamp <= _MAX_MS:
        raise where.fail(f"key {prefix + 'timestamp'!r} is {stamp}: expected milliseconds since 1970")
    return stamp


def _get(obj: dict, key: str, kind: type, where: _Where, prefix: str = "", nullable: bool = False) -> Any:
    """``obj[key]`` checked to be a ``kind`` (ints exclude booleans); errors name the key path."""
    if key not in obj:
        raise where.fail(f"missing key {prefix + key!r}: is this a Burrow /lag response?")
    value = obj[key]
    if value is None and nullable:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = {int: "an integer", str: "a string", list: "an array", dict: "an object"}[kind]
        raise where.fail(f"key {prefix + key!r} is {json.dumps(value)[:40]}: expected {expected}")
    return value


def _check_time(state: _Parse, where: _Where, group: str, commits_ms: list[int]) -> None:
    """Note a snapshot time earlier than the newest commit the response holds (a wrong --at)."""
    if not commits_ms:
        return
    newest = dt.datetime.fromtimestamp(max(commits_ms) / 1000, dt.UTC)
    if newest > state.ts + dt.timedelta(seconds=1):
        state.notes.append(
            f"line {where.line}: group {group!r}: snapshot time {state.ts.isoformat()} is before its "
            f"newest commit ({newest.isoformat()}): pass the time Burrow answered with --at"
        )


def _note_partial(state: _Parse, where: _Where, response: dict, group: str) -> None:
    """A ``/status`` response lists only partitions that are not OK."""
    request = response.get("request")
    url = request.get("url") if isinstance(request, dict) else None
    if isinstance(url, str) and url.rstrip("/").endswith("/status"):
        state.notes.append(
            f"line {where.line}: group {group!r} comes from /status, which lists only partitions that "
            "are not OK: fetch /lag for all of them"
        )
