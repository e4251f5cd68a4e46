"""`import workbench` stays light: the heavy libraries load only when a name that needs them is used.

Structural, not timed: a fresh interpreter imports workbench and reports which modules it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "polars",
    "pandas",
    "pyarrow",
    "deltalake",
    "altair",
    "confluent_kafka",
    "papermill",
    "nbconvert",
    "numpy",
)
PROBE = "import json, sys; import {what}; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"


def loaded_after(what: str) -> set[str]:
    """Top-level module names in sys.modules after ``import <what>`` in a new interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(what=what)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(out.stdout))


@pytest.mark.parametrize(
    "what", ["workbench", "workbench.errors", "workbench.config", "workbench.units", "workbench.cli"]
)
def test_import_does_not_load_heavy_libraries(what: str) -> None:
    heavy = loaded_after(what) & set(HEAVY)
    assert heavy == set(), (
        f"`import {what}` loads {sorted(heavy)}: import them inside the functions that need them"
    )


def test_public_names_still_load_lazily() -> None:
    probe = "import sys, workbench; workbench.load_offsets; print('polars' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "True"


def test_importtime_confirms(tmp_path: object) -> None:
    """`python -X importtime -c 'import workbench'` lists no heavy module (the same check, another way)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import workbench"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0] for line in out.stderr.splitlines() if "|" in line
    }
    assert "workbench" in imported
    assert imported & set(HEAVY) == set()


@pytest.mark.parametrize(("preset", "want_last"), [(None, "muzzy_decay_ms:0"), ("narenas:2", "narenas:2")])
def test_allocator_options_reach_polars(preset: str | None, want_last: str) -> None:
    """`workbench.tune_allocator()` before Polars: Polars appends our jemalloc options (the last
    setting wins) to its own; a value the user exported wins over ours."""
    import os

    from workbench import JEMALLOC_CONF

    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if preset:
        env["_RJEM_MALLOC_CONF"] = preset
    probe = (
        "import os, workbench; assert workbench.tune_allocator(); import polars; "
        "print(os.environ['_RJEM_MALLOC_CONF'])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
    conf = out.stdout.strip()
    assert conf.endswith(want_last), out.stderr
    assert (JEMALLOC_CONF in conf) is (preset is None)


@pytest.mark.slow  # a second or more: out of the fast loop
def test_import_changes_no_environment() -> None:
    """`import workbench` (and the analyze domains) leave os.environ as it was (Polars is imported
    first: it sets its own allocator variable on import)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    probe = (
        "import os, json, polars; before = dict(os.environ); import workbench, workbench.analyze, "
        "workbench.frames, workbench.report; print(json.dumps(dict(os.environ) == before))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
    assert out.stdout.strip() == "true", out.stderr
