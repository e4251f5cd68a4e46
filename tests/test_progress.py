"""Long commands show progress on a terminal and stay one summary line when piped."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120", "TERM": "xterm"}


def _run(args: list[str], tty: bool) -> tuple[str, str]:
    """Run ``workbench ARGS``; with ``tty`` stderr is a pseudo-terminal. Returns (stdout, stderr)."""
    cmd = [sys.executable, "-m", "workbench", *args]
    if not tty:
        done = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=120, check=True)
        return done.stdout, done.stderr
    master, slave = pty.openpty()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave, env=ENV, text=True) as proc:
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        out = proc.stdout.read() if proc.stdout else ""
        assert proc.wait(timeout=120) == 0
    os.close(master)
    return out, b"".join(chunks).decode(errors="replace")


@pytest.mark.slow  # a second or more: out of the fast loop
@pytest.mark.parametrize(
    ("args", "unit"),
    [
        (["compact", "--all-days"], "datasets"),
        (["import", "consumer-groups", "--cluster", "c"], "files"),
    ],
)
def test_bar_on_a_terminal_one_line_when_piped(tmp_path: Path, args: list[str], unit: str) -> None:
    if args[0] == "import":
        listing = tmp_path / "cg.txt"
        listing.write_text((ROOT / "tests/data/importers/cg-4x-describe.txt").read_text())
        args = [*args, str(listing)]
    args = [*args, "--data-dir", str(tmp_path / "data")]
    out, err = _run(args, tty=True)
    assert unit in err and "0:00:" in err  # the bar: step, items, elapsed
    out, err = _run([*args[:-2], "--data-dir", str(tmp_path / "data2")], tty=False)
    assert unit not in err and "\x1b[" not in err + out  # piped: no bar, no escape codes
    assert len(out.strip().splitlines()) >= 1
