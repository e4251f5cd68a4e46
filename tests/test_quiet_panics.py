"""`quiet_native_panics`: a Rust panic message stays off stderr, other text passes, and threads that
overlap inside it leave stderr as it was (the first in redirects, the last out restores)."""

from __future__ import annotations

import os
import threading

import pytest

from workbench.store._location import quiet_native_panics


def _stderr_id() -> tuple[int, int]:
    st = os.fstat(2)
    return st.st_dev, st.st_ino


def test_a_panic_is_dropped_and_other_text_passes(capfd: pytest.CaptureFixture[str]) -> None:
    with quiet_native_panics():
        os.write(2, b"thread 'tokio-runtime-worker' panicked at src/lib.rs:1:1:\nNo space left\n")
        os.write(2, b"a warning worth keeping\n")
    assert capfd.readouterr().err == "a warning worth keeping\n"


@pytest.mark.parametrize("first_out", ["a", "b"])
def test_overlapping_threads_restore_stderr(first_out: str, capfd: pytest.CaptureFixture[str]) -> None:
    """a enters, b enters, then one leaves and the other: stderr is the same file afterwards (an
    unsafe redirect restored b's saved copy, a's buffer, when a left first)."""
    before = _stderr_id()
    inside = {name: threading.Event() for name in "ab"}
    may_leave = {name: threading.Event() for name in "ab"}

    def run(name: str) -> None:
        with quiet_native_panics():
            inside[name].set()
            os.write(2, f"from {name}\n".encode())
            may_leave[name].wait(30)

    threads = {name: threading.Thread(target=run, args=(name,)) for name in "ab"}
    threads["a"].start()
    inside["a"].wait(30)
    threads["b"].start()
    inside["b"].wait(30)
    for name in (first_out, "b" if first_out == "a" else "a"):
        may_leave[name].set()
        threads[name].join(30)
    assert _stderr_id() == before
    err = capfd.readouterr().err
    assert "from a\n" in err and "from b\n" in err
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"
