"""``kafka-consumer-groups.sh --describe`` text -> the ``offsets`` dataset.

Handles what ``ConsumerGroupCommand`` prints for ``--describe [--offsets]`` with ``--group G``
(repeatable) or ``--all-groups``, Kafka 3.x (Scala) and 4.x (Java) alike, with or without
``--verbose`` (adds ``LEADER-EPOCH``):

Details: docs/importers.md (`workbench.importers.consumer_groups`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import polars as pl

from workbench.errors import ConfigError, InputFileError
from workbench.importers import (
    UNKNOWN_STATE,
    ImportResult,
    InputText,
    Source,
    read_input,
    rows_frame,
    snapshot_time,
)

SOURCE = "consumer-groups"
MISSING = "-"

_REQUIRED = ("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST")
_OPTIONAL = ("LEADER-EPOCH", "CLIENT-ID")
_STATE_RE = re.compile(
    r"^(?:Warning: )?Consumer group '(?P<group>.*)' (?P<what>has no active members|is rebalancing)\.$"
)
_MISSING_RE = re.compile(r"^Error: (?:The consumer|Consumer) group '(?P<group>.*)' does not exist\.$")
_INT_RE = re.compile(r"^-?[0-9]+$")
_STATES = {"has no active members": "Empty", "is rebalancing": "PreparingRebalance"}


@dataclass(frozen=True)
class _Header:
    """The column names of the current table and where TOPIC starts (for spaced group ids)."""

    columns: tuple[str, ...]
    topic_col: int


@dataclass
class _Parse:
    """State while reading one input, line by line."""

    name: str
    header: _Header | None = None
    rows: list[dict[str, object]] = field(default_factory=list)
    seen: dict[tuple[str, str, int], int] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    with_members: set[str] = field(default_factory=set)
    missing: list[str] = field(default_factory=list)

    def fail(self, lineno: int, problem: str) -> InputFileError:
        return InputFileError(self.name, lineno, problem)


def read_consumer_groups(source: Source, cluster: str, at: dt.datetime | None = None) -> ImportResult:
    """Parse ``kafka-consumer-groups --describe`` output completely; see the module docstring.

    Args:
        source: a path, the output text, or an :class:`~workbench.importers.InputText`.
        cluster: the cluster name to file the rows under (the output does not name it).
        at: when the tool ran (naive means UTC). Default: the file's mtime, else now.

    Raises:
        InputFileError: a line that is not part of the format, naming the file and line.
    """
    if not cluster:
        raise ConfigError("pass the cluster name (--cluster NAME): consumer-groups output does not name it")
    text = read_input(source)
    state = _Parse(text.name)
    lines = text.text.splitlines()
    _check_tool_failure(state, lines)
    for lineno, line in enumerate(lines, start=1):
        _read_line(state, lineno, line.rstrip())
    return _result(state, text, cluster, snapshot_time(at, text))


def parse_consumer_groups(source: Source, cluster: str, at: dt.datetime | None = None) -> pl.DataFrame:
    """The ``offsets`` frame of :func:`read_consumer_groups` (notes dropped)."""
    return read_consumer_groups(source, cluster, at).frame


def _check_tool_failure(state: _Parse, lines: list[str]) -> None:
    """Refuse output of a failed run first, wherever its stack trace (stderr) landed.

    Kafka 4.x fails the whole command, exit code 0, when any ``--group`` does not exist:
    ``Error: Executing consumer group command failed due to ...GroupIdNotFoundException``.
    """
    for lineno, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("Error: ") and not _MISSING_RE.match(stripped):
            raise state.fail(lineno, f"the tool reported an error, so the output is incomplete: {stripped}")


def _read_line(state: _Parse, lineno: int, line: str) -> None:
    """Dispatch one line: blank, state message, error message, header or data row."""
    stripped = line.strip()
    if not stripped:
        return
    if m := _STATE_RE.match(stripped):
        state.states[m["group"]] = _STATES[m["what"]]
    elif m := _MISSING_RE.match(stripped):
        state.missing.append(m["group"])
    elif _is_header(stripped):
        state.header = _parse_header(state, lineno, line)
    elif state.header is None:
        raise state.fail(
            lineno,
            f"expected a 'GROUP TOPIC PARTITION ...' header before {_clip(stripped)!r}: "
            "is this kafka-consumer-groups --describe output?",
        )
    else:
        _read_row(state, lineno, line, state.header)


def _is_header(stripped: str) -> bool:
    first = stripped.split(None, 1)[0]
    return first == "GROUP" or (first == "TOPIC" and "PARTITION" in stripped.split())


def _parse_header(state: _Parse, lineno: int, line: str) -> _Header:
    """Check the header names the --describe offsets columns and remember their order."""
    names = tuple(line.split())
    if "COORDINATOR" in names or "#MEMBERS" in names:
        raise state.fail(lineno, "this is --describe --state output, which has no offsets: use --describe")
    if "#PARTITIONS" in names:
        raise state.fail(lineno, "this is --describe --members output, which has no offsets: use --describe")
    if names[0] != "GROUP":
        raise state.fail(lineno, "no GROUP column (Kafka before 2.0?): use a newer kafka-consumer-groups")
    problem = _header_problem(names)
    if problem:
        raise state.fail(lineno, f"unexpected header ({problem}): expected {' '.join(_REQUIRED)} CLIENT-ID")
    topic = re.search(r"\sTOPIC(?:\s|$)", line)
    return _Header(names, topic.start() + 1 if topic else 0)


def _header_problem(names: tuple[str, ...]) -> str | None:
    """What is wrong with a GROUP... header, or None."""
    unknown = [n for n in names if n not in _REQUIRED + _OPTIONAL]
    absent = [n for n in _REQUIRED if n not in names]
    if unknown:
        return f"unknown column {', '.join(unknown)}"
    if absent:
        return f"no {', '.join(absent)} column"
    if len(set(names)) != len(names):
        return "a column appears twice"
    if "CLIENT-ID" in names and names[-1] != "CLIENT-ID":
        return "CLIENT-ID is not last"
    return None


def _splits(line: str, header: _Header) -> list[list[str]]:
    """Ways to split a data row into header-many values, most likely first.

    First plain whitespace splitting. Second, when the header is padded as the tool pads it
    (GROUP at least 15 wide), the text before TOPIC's position as one group id containing
    spaces. A missing trailing CLIENT-ID becomes ``""``.
    """
    n = len(header.columns)
    candidates = [line.split(None, n - 1)]
    head, rest = line[: header.topic_col], line[header.topic_col :]
    if header.topic_col > 15 and len(head.split()) > 1 and head.endswith(" ") and rest[:1].strip():
        candidates.append([head.strip(), *rest.split(None, n - 2)])
    for values in candidates:
        if len(values) == n - 1 and header.columns[-1] == "CLIENT-ID":
            values.append("")
    return candidates


def _read_row(state: _Parse, lineno: int, line: str, header: _Header) -> None:
    """Add one data row (or, for a member without partitions, note that the group has members).

    Raises the first way of splitting's error when no way of splitting gives a valid row.
    """
    errors: list[InputFileError] = []
    for values in _splits(line, header):
        try:
            cols = _columns(state, lineno, line, header, values)
            row = None if cols["TOPIC"] == MISSING == cols["PARTITION"] else _offsets(state, lineno, cols)
            break
        except InputFileError as err:
            errors.append(err)
    else:
        raise errors[0]
    member = _text(cols["CONSUMER-ID"])
    if member is not None:
        state.with_members.add(cols["GROUP"])
    if row is not None:
        _claim(state, lineno, (cols["GROUP"], cols["TOPIC"], int(str(row["partition"]))))
        host, client = (_text(cols["HOST"]), _text(cols.get("CLIENT-ID", ""))) if member else (None, None)
        row.update(group=cols["GROUP"], topic=cols["TOPIC"], member_id=member, host=host, client_id=client)
        state.rows.append(row)


def _columns(state: _Parse, lineno: int, line: str, header: _Header, values: list[str]) -> dict[str, str]:
    if len(values) != len(header.columns):
        raise state.fail(
            lineno,
            f"expected {len(header.columns)} columns ({' '.join(header.columns)}), "
            f"found {len(values)}: {_clip(line.strip())!r}",
        )
    return dict(zip(header.columns, values, strict=True))


def _claim(state: _Parse, lineno: int, key: tuple[str, str, int]) -> None:
    """Refuse a (group, topic, partition) an earlier line already gave."""
    if key in state.seen:
        raise state.fail(
            lineno,
            f"group {key[0]!r} {key[1]}-{key[2]} already appeared on line {state.seen[key]}: "
            "one snapshot per file, split concatenated runs",
        )
    state.seen[key] = lineno


def _offsets(state: _Parse, lineno: int, cols: dict[str, str]) -> dict[str, object]:
    """PARTITION, CURRENT-OFFSET, LOG-END-OFFSET, checked against LAG (= LEO - committed)."""

    def number(column: str, optional: bool = True) -> int | None:
        value = cols[column]
        if value == MISSING and optional:
            return None
        if not _INT_RE.match(value):
            raise state.fail(lineno, f"{column} is {_clip(value)!r}: expected a whole number or '-'")
        number = int(value)
        if not -(2**63) <= number < 2**63:
            raise state.fail(lineno, f"{column} is {_clip(value)}: out of range for a 64-bit Kafka offset")
        return number

    partition = number("PARTITION", optional=False)
    if partition is None or not 0 <= partition < 2**31:
        raise state.fail(lineno, f"PARTITION is {cols['PARTITION']!r}: expected a partition number")
    if "LEADER-EPOCH" in cols:
        number("LEADER-EPOCH")
    committed, end, lag = number("CURRENT-OFFSET"), number("LOG-END-OFFSET"), number("LAG")
    if committed is not None and committed < 0:  # -1: no commit, as the tool itself treats it
        committed = None
    if end is not None and end < 0:
        raise state.fail(lineno, f"LOG-END-OFFSET is {end}: expected an offset (0 or more) or '-'")
    expected = end - committed if end is not None and committed is not None else None
    if lag != expected:
        raise state.fail(
            lineno,
            f"LAG is {cols['LAG']!r} but LOG-END-OFFSET - CURRENT-OFFSET is "
            f"{'-' if expected is None else expected}: columns out of place?",
        )
    return {"partition": partition, "committed_offset": committed, "log_end_offset": end}


def _text(value: str) -> str | None:
    return None if value == MISSING else value


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _result(state: _Parse, text: InputText, cluster: str, ts: dt.datetime) -> ImportResult:
    """Stamp the rows with the snapshot, the cluster and each group's state; collect notes."""
    with_rows = {str(r["group"]) for r in state.rows}
    for row in state.rows:
        group = str(row["group"])
        fallback = "Stable" if group in state.with_members else UNKNOWN_STATE
        row.update(ts=ts, cluster=cluster, group_state=state.states.get(group, fallback), source=SOURCE)
    notes = [f"group {g!r} does not exist: skipped" for g in state.missing]
    notes += [
        f"group {g!r} is {s}, with no partitions listed: nothing to import"
        for g, s in state.states.items()
        if g not in with_rows
    ]
    return ImportResult(rows_frame(state.rows), "offsets", tuple(notes))
