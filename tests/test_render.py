"""Piped tables: aligned plain text, cluster text as given (no markup), controls shown as '?'."""

from __future__ import annotations

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
