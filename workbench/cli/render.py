"""Tables for the terminal (rich, cluster text escaped so ``[red]`` in a group id stays text) and
for pipes (plain aligned text without rich: cron, logs, ``| grep``; no colour, no boxes, no cut
column, no trailing blanks)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import polars as pl

from workbench import units

if TYPE_CHECKING:
    from rich.console import Console

_STYLE = {"ok": "green", "warning": "yellow", "critical": "bold red"}
#: C0 controls and DEL of untrusted cluster text, shown as "?" in piped output.
_CONTROLS = {c: "?" for c in [*range(32), 127]}
_LAG_COLUMNS = [
    ("group", "left"),
    ("state", "left"),
    ("level", "left"),
    ("total lag", "right"),
    ("to LSO", "right"),
    ("time lag", "right"),
    ("max lag", "right"),
    ("parts", "right"),
    ("committed", "right"),
    ("members", "right"),
    ("as of UTC", "left"),
    ("note", "left"),
]


def plain_console() -> Console:
    """Rich on a terminal; piped: no colour, no boxes, never a cut column."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console()
    return Console(width=100_000, no_color=True, highlight=False, soft_wrap=True)


def _piped(console: Console | None) -> bool:
    return console is None and not sys.stdout.isatty()


def _say(text: str, console: Console | None, piped: bool) -> None:
    """One line: written as is when piped, else printed by rich (``text`` is ours, not cluster text)."""
    if piped:
        sys.stdout.write(text + "\n")
    else:
        (console or plain_console()).print(text)


def plain_table(title: str, columns: list[tuple[str, str]], rows: list[list[str]]) -> str:
    """``rows`` aligned under ``columns`` ((name, "left"|"right")), two blanks apart, the title first."""
    rows = [[c.translate(_CONTROLS) for c in r] for r in rows]
    widths = [max([len(name), *(len(r[i]) for r in rows)]) for i, (name, _) in enumerate(columns)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if just == "right" else c.ljust(w)
            for c, w, (_, just) in zip(cells, widths, columns, strict=True)
        ).rstrip()

    return "\n".join([title, line([name for name, _ in columns]), *map(line, rows)]) + "\n"


def lag_table(summary: pl.DataFrame, judged_by: str, console: Console | None = None) -> None:
    """Print the per-group lag summary of :func:`workbench.analyze.lag.latest_group_lag`."""
    piped = _piped(console)
    if summary.is_empty():
        _say("no consumer groups found", console, piped)
        return
    rows = [
        [
            row["group"],
            row["state"] or "-",
            row["level"],
            f"{row['total_lag']:,}",
            "-" if row.get("readable_lag") is None else f"{row['readable_lag']:,}",
            "-" if row.get("time_lag_s") is None else units.duration(row["time_lag_s"]),
            "-" if row["max_partition_lag"] is None else f"{row['max_partition_lag']:,}",
            str(row["partitions"]),
            str(row["committed_partitions"]),
            str(row["members"]),
            row["as_of"].strftime("%m-%d %H:%M:%S"),
            "; ".join(row["flags"]),
        ]
        for row in summary.iter_rows(named=True)
    ]
    title = f"Consumer-group lag, judged by {judged_by}"
    counts = summary.group_by("level").len()
    parts = [f"{n} {lvl}" for lvl, n in sorted(counts.iter_rows(), key=lambda r: r[0])]
    footer = [f"{summary.height} groups: " + ", ".join(parts)]
    if "readable_lag" in summary.columns and summary["readable_lag"].is_not_null().any():
        footer.append("to LSO: lag to the last stable offsets, what a read_committed consumer can read now")
    if piped:
        sys.stdout.write(plain_table(title, _LAG_COLUMNS, rows) + "".join(f"{f}\n" for f in footer))
        return
    _rich_lag(console or plain_console(), title, rows, footer)


#: Columns left out, in this order, while the table is wider than the terminal (never the group,
#: its state and level, its lags; the note wraps).
_LAG_DROPPED_FIRST = ("as of UTC", "members", "committed", "parts", "max lag", "to LSO")
_LAG_KEPT_WHOLE = ("group", "state", "level", "total lag", "time lag")


def _rich_lag(console: Console, title: str, rows: list[list[str]], footer: list[str]) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    boxed = console.is_terminal
    names = [name for name, _ in _LAG_COLUMNS]
    width = {n: max(len(n), *(len(r[i]) for r in rows)) for i, n in enumerate(names)}
    shown = list(names)
    note_min = min(width["note"], 24)

    def needed() -> int:  # cells, their padding and the rules between them
        return sum(note_min if n == "note" else width[n] for n in shown) + 3 * len(shown) + 1

    left_out = []
    for name in _LAG_DROPPED_FIRST:
        if needed() <= console.width:
            break
        shown.remove(name)
        left_out.append(name)
    table = Table(title=title, title_justify="left", box=box.HEAVY_HEAD if boxed else None, pad_edge=boxed)
    for col, just in _LAG_COLUMNS:
        if col in shown:
            whole = col in _LAG_KEPT_WHOLE
            table.add_column(col, justify=just, no_wrap=whole, min_width=width[col] if whole else None)  # type: ignore[arg-type]
    for cells in rows:
        level = cells[2]
        styled = [escape(c) for c in cells]
        styled[2] = f"[{_STYLE[level]}]{level}[/]"
        table.add_row(*(c for c, n in zip(styled, names, strict=True) if n in shown))
    console.print(table)
    for line in footer:
        console.print(line)
    if left_out:
        console.print(
            f"left out on this {console.width}-column terminal: {', '.join(left_out)} "
            "(a wider terminal shows them; piped output, e.g. `| cat`, has every column)"
        )


def frame_table(frame: pl.DataFrame, title: str, console: Console | None = None) -> None:
    """Any small frame as an aligned table (cluster text escaped); numbers right-aligned with commas."""
    piped = _piped(console)
    if frame.is_empty():
        _say(f"{title}: nothing found", console, piped)
        return
    columns = [
        (name.replace("_", " "), "right" if dtype.is_numeric() else "left")
        for name, dtype in frame.schema.items()
    ]
    rows = [[_cell(v) for v in row] for row in frame.iter_rows()]
    if piped:
        sys.stdout.write(plain_table(title, columns, rows))
        return
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    console = console or plain_console()
    boxed = console.is_terminal
    table = Table(title=title, title_justify="left", box=box.HEAVY_HEAD if boxed else None, pad_edge=boxed)
    for name, just in columns:
        table.add_column(name, justify=just)  # type: ignore[arg-type]
    for cells in rows:
        table.add_row(*map(escape, cells))
    console.print(table)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d %H:%M:%S"))
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return str(value)


def tsv(frame: pl.DataFrame) -> str:
    """Tab-separated values with a header (lists joined by ``; ``, times ISO 8601 UTC, nulls empty)."""
    cols = [
        pl.col(c).list.eval(pl.element().cast(pl.String)).list.join("; ").alias(c)
        if isinstance(t, pl.List)
        else pl.col(c)
        for c, t in frame.schema.items()
    ]
    return frame.select(cols).write_csv(
        separator="\t", datetime_format="%Y-%m-%dT%H:%M:%S%.fZ", null_value=""
    )
