"""Terminal rendering with rich. Cluster text is escaped so ``[red]`` in a group id stays text."""

from __future__ import annotations

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table

_STYLE = {"ok": "green", "warning": "yellow", "critical": "bold red"}


def lag_table(summary: pl.DataFrame, judged_by: str, console: Console | None = None) -> None:
    """Print the per-group lag summary of :func:`workbench.analyze.lag.latest_group_lag`."""
    console = console or Console()
    if summary.is_empty():
        console.print("no consumer groups found")
        return
    table = Table(title=f"Consumer-group lag, judged by {judged_by}", title_justify="left")
    for col, just in [
        ("group", "left"),
        ("state", "left"),
        ("level", "left"),
        ("total lag", "right"),
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
        note = "retention deleted unread data" if row["retention_gap"] else ""
        if row["committed_partitions"] < row["partitions"]:
            note = ", ".join(filter(None, [note, "partitions never committed"]))
        table.add_row(
            escape(row["group"]),
            escape(row["state"] or "-"),
            f"[{style}]{row['level']}[/]",
            f"{row['total_lag']:,}",
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
