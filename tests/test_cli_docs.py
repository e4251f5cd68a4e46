"""docs/cli.md is generated from the commands' `--help` by scripts/gen-cli-docs and must be up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workbench.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_cli_reference_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen-cli-docs"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_cli_reference_covers_every_command() -> None:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"## workbench {name}\n" in text, name
