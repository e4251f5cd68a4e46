"""workbench.fsutil: whole files or none, no temp files left, concurrent writers never tear a file."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from workbench.fsutil import atomic_write_bytes, atomic_write_text


def test_writes_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "index.html"
    atomic_write_text(path, "old")
    assert atomic_write_text(path, "new ✓") == path
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "meta.json"
    atomic_write_text(path, "{}")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_text(encoding="utf-8") == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["meta.json"]


def test_concurrent_writers_leave_one_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "index.html"
    bodies = [str(i) * 200_000 for i in range(8)]
    threads = [threading.Thread(target=atomic_write_text, args=(path, b)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert path.read_text(encoding="utf-8") in bodies
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_missing_directory_is_an_error_not_a_stray_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write_text(tmp_path / "nope" / "x.html", "x")
    assert list(tmp_path.iterdir()) == []
