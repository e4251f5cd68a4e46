"""The snapshot child's allocator setting (pure: no broker)."""

from __future__ import annotations

import os

import pytest

from workbench.collect.worker import _CHILD_MALLOC, _child_environment

NAME, VALUE = _CHILD_MALLOC


@pytest.mark.parametrize("before", [None, "", "dirty_decay_ms:500,muzzy_decay_ms:1000"])
def test_child_setting_comes_last_and_the_parent_is_restored(monkeypatch, before: str | None) -> None:
    if before is None:
        monkeypatch.delenv(NAME, raising=False)
    else:
        monkeypatch.setenv(NAME, before)
    with _child_environment():
        assert os.environ[NAME] == (f"{before},{VALUE}" if before else VALUE)
    assert os.environ.get(NAME) == before
