"""Terminal rendering with rich. Cluster text is escaped so ``[red]`` in a group id stays text."""

from __future__ import annotations

import polars as pl
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from workbench import units

_STYLE = {"ok": "green", "warning": "yellow", "critical": "bold red"}


def plain_console() -> Console:
    """Rich on a terminal; piped (cron, logs, ``| grep``): no colour, no boxes, never a cut column."""
    import sys

    if sys.stdout.isatty():
        return Console()
    return Console(width=100_000, no_color=True, highlight=False, soft_wrap=True)


def lag_table(summary: pl.DataFrame, judged_by: str, console: Console | None = None) -> None:
    """Print the per-group lag summary of :func:`workbench.analyze.lag.latest_group_lag`."""
    console = console or plain_console()
    if summary.is_empty():
        console.print("no consumer groups found")
        return
    boxed = console.is_terminal
    table = Table(
        title=f"Consumer-group lag, judged by {judged_by}",
        title_justify="left",
        box=box.HEAVY_HEAD if boxed else None,
        pad_edge=boxed,
    )
    for col, just in [
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
    ]:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for row in summary.iter_rows(named=True):
        style = _STYLE[row["level"]]
        note = "; ".join(row["flags"])
        table.add_row(
            escape(row["group"]),
            escape(row["state"] or "-"),
            f"[{style}]{row['level']}[/]",
            f"{row['total_lag']:,}",
            "-" if row.get("readable_lag") is None else f"{row['readable_lag']:,}",
            "-" if row.get("time_lag_s") is None else units.duration(row["time_lag_s"]),
            "-" if row["max_partition_lag"] is None else f"{row['max_partition_lag']:,}",
            str(row["partitions"]),
            str(row["committed_partitions"]),
            str(row["members"]),
            row["as_of"].strftime("%m-%d %H:%M:%S"),
            note,
        )
    console.print(table)
    counts = summary.group_by("level").len()
    parts = [f"{n} {lvl}" for lvl, n in sorted(counts.iter_rows(), key=lambda r: r[0])]
    console.print(f"{summary.height} groups: " + ", ".join(parts))
    if "readable_lag" in summary.columns and summary["readable_lag"].is_not_null().any():
        console.print("to LSO: lag to the last stable offsets, what a read_committed consumer can read now")


def frame_table(frame: pl.DataFrame, title: str, console: Console | None = None) -> None:
    """Any small frame as an aligned table (cluster text escaped); numbers right-aligned with commas."""
    console = console or plain_console()
    if frame.is_empty():
        console.print(f"{title}: nothing found")
        return
    boxed = console.is_terminal
    table = Table(title=title, title_justify="left", box=box.HEAVY_HEAD if boxed else None, pad_edge=boxed)
    for name, dtype in frame.schema.items():
        table.add_column(name.replace("_", " "), justify="right" if dtype.is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(*(_cell(v) for v in row))
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
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, list):
        return escape("; ".join(map(str, value)))
    return escape(str(value))


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
