"""Piped tables: aligned plain text, cluster text as given (no markup), controls shown as '?'."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.cli.render import plain_table

COLUMNS = [("group", "left"), ("lag", "right"), ("note", "left")]


@pytest.mark.parametrize(
    ("rows", "want"),
    [
        (
            [["a", "1", ""], ["long-group", "1,234", "x"]],
            ["T", "group         lag  note", "a               1", "long-group  1,234  x"],
        ),
        ([["[red]g[/]", "7", "-"]], ["T", "group      lag  note", "[red]g[/]    7  -"]),
        ([["g\x1b[2Jx\n", "0", "a\tb"]], ["T", "group    lag  note", "g?[2Jx?    0  a?b"]),
    ],
)
def test_plain_table(rows: list[list[str]], want: list[str]) -> None:
    got = plain_table("T", COLUMNS, rows)
    assert got.splitlines() == want
    assert all(line == line.rstrip() for line in got.splitlines())


def _summary(groups: list[str]) -> pl.DataFrame:
    n = len(groups)
    return pl.DataFrame(
        {
            "group": groups,
            "state": ["Stable"] * n,
            "level": ["critical", *["ok"] * (n - 1)],
            "total_lag": [186_721_140 - i for i in range(n)],
            "readable_lag": [None] * n,
            "time_lag_s": [259_200.0] * n,
            "max_partition_lag": [36_744_261] * n,
            "partitions": [6] * n,
            "committed_partitions": [6] * n,
            "members": [0] * n,
            "as_of": [dt.datetime(2026, 11, 19, 23, 55, tzinfo=dt.UTC)] * n,
            "flags": [["committed below the log start on 6 partitions (retention deleted unread data)"]] * n,
        }
    )


@pytest.mark.parametrize(
    ("width", "left_out"),
    [(200, []), (120, ["as of UTC", "members", "committed", "parts", "max lag"]), (80, [])],
)
def test_a_narrow_terminal_leaves_out_columns_never_cuts_a_group(width: int, left_out: list[str]) -> None:
    """A terminal too narrow drops the least needed columns (said in a line), the note wraps, and
    group names, levels and lags are never cut."""
    import io
    import re

    from rich.console import Console

    from workbench.cli.render import lag_table

    groups = ["clickstream-sessionizer", "legacy-billing-export", "[red]g[/]"]
    out = io.StringIO()
    lag_table(
        _summary(groups), "time lag", Console(file=out, width=width, force_terminal=True, no_color=True)
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())  # styles, not width
    assert all(g in text for g in groups)
    assert "186,721,140" in text and "critical" in text and "3 d" in text
    assert max(len(line) for line in text.splitlines()) <= width
    said = [line for line in text.splitlines() if line.startswith("left out on this")]
    if width == 200:
        assert not said and "as of UTC" in text
    else:
        assert said and f"{width}-column terminal" in said[0]
        if width == 120:
            assert all(name in said[0] for name in left_out)
