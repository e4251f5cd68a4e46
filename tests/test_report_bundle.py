"""The vega bundle inlined in every report page, kept on disk between processes (report/export.py)."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from workbench.report import export


@pytest.mark.slow  # vl-convert builds the bundle once: a few seconds of CPU
def test_the_bundle_is_built_once_then_read_from_the_cache(tmp_path: Path, monkeypatch) -> None:
    import vl_convert

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    vl = importlib.metadata.version("vl-convert-python")
    built = export._cached_bundle(vl, "6.4")
    kept = tmp_path / "workbench" / "vega" / f"vl-convert-{vl}-vega-lite-6.4.js"
    assert kept.read_text(encoding="utf-8") == built
    assert "window.vegaEmbed=" in built and [p.name for p in kept.parent.iterdir()] == [kept.name]
    monkeypatch.setattr(vl_convert, "javascript_bundle", None)  # a second build would fail
    assert export._cached_bundle(vl, "6.4") == built


@pytest.mark.slow
def test_an_unwritable_cache_still_gives_the_bundle(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "workbench").write_text("a file where the cache directory would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    bundle = export._cached_bundle(importlib.metadata.version("vl-convert-python"), "6.4")
    assert "window.vegaEmbed=" in bundle
