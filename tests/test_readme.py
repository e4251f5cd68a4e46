"""The README's examples work: its Python examples run from notebooks/ (where JupyterLab opens)
on the shipped sample, every frame they show has rows, and every ``workbench`` command line in
its shell examples names a real command with real options."""

from __future__ import annotations

import ast
import os
import re
import shlex
from pathlib import Path

import click
import polars as pl
import pytest

from workbench.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(language: str, text: str | None = None) -> list[str]:
    """The README's fenced code blocks in ``language``."""
    text = README.read_text(encoding="utf-8") if text is None else text
    return [body for lang, body in _FENCE.findall(text) if lang == language]


def command_lines(text: str | None = None) -> list[str]:
    """Every ``workbench ...`` command of the shell blocks, continuation lines joined, comments cut."""
    lines = []
    for body in blocks("bash", text):
        joined = re.sub(r"\\\n\s*", " ", body)
        for line in joined.splitlines():
            line = line.split(" #")[0].strip()
            line = re.sub(r"^python3 -m workbench\b", "workbench", line.split("&& ")[-1])
            if line.startswith("workbench "):
                lines.append(line)
    return lines


def _command(words: list[str]) -> tuple[click.Command, list[str]]:
    cmd: click.Command = main
    while isinstance(cmd, click.Group) and words and words[0] in cmd.commands:
        cmd = cmd.commands[words.pop(0)]
    return cmd, words


def test_readme_has_runnable_examples() -> None:
    assert len(blocks("python")) >= 2 and len(command_lines()) >= 10


@pytest.mark.parametrize("line", command_lines(), ids=lambda line: line[:60])
def test_shell_example_names_real_commands_and_options(line: str) -> None:
    cmd, rest = _command(shlex.split(line)[1:])
    assert not isinstance(cmd, click.Group), f"{line}: no such command"
    known = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}
    used = {w.split("=")[0] for w in rest if w.startswith("-") and w != "-"}
    assert used <= known, f"{line}: unknown option(s) {sorted(used - known)}"


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_example_runs_from_notebooks_and_shows_rows(
    index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT / "notebooks")
    tree = ast.parse(blocks("python")[index])
    namespace: dict[str, object] = {}
    for node in tree.body:
        code = ast.unparse(node)
        if isinstance(node, ast.Expr):
            value = eval(compile(code, "README.md", "eval"), namespace)
            if isinstance(value, pl.LazyFrame):
                value = value.head(5).collect()
            if isinstance(value, pl.DataFrame):
                assert value.height > 0, f"README example shows an empty frame: {code}"
        else:
            exec(compile(code, "README.md", "exec"), namespace)
    assert os.getcwd().endswith("notebooks")
