"""The collector's plan, clock flag and lock, without Kafka: tables of inputs and outcomes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import polars as pl
import pytest

from workbench.collect.lock import collector_lock, lock_path
from workbench.collect.loop import _Clock, _newest_stored
from workbench.collect.plan import LoopPlan, timeout_seconds
from workbench.errors import ConfigError
from workbench.schema import CLOCK_FLAG_PREFIX, conform
from workbench.store import Store

T0 = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)

# (interval, count, duration) -> error fragment, or None when accepted
PLANS = [
    (("30s", None, None), None),  # the default
    (("0.2s", 5, None), None),  # short intervals are fine
    (("1m", None, "70s"), None),  # a duration
    (("inf", None, None), "finite"),  # infinite interval
    (("1e400", None, None), "finite"),  # overflows a float
    (("99999999d", None, None), "100 years"),  # overflows a timedelta
    (("-1", None, None), "positive"),  # negative
    (("0", None, None), "positive"),  # zero
    (("30s", 1, "1m"), "not both"),  # count and duration
    (("30s", 0, None), "at least 1"),  # zero count
    (("30s", None, "inf"), "finite"),  # infinite duration
    (("400d", None, None), "too long"),  # over a year
]


@pytest.mark.parametrize(("args", "error"), PLANS, ids=[str(a) for a, _ in PLANS])
def test_plan(args, error):
    if error is None:
        assert LoopPlan.parse(*args).interval.total_seconds() > 0
    else:
        with pytest.raises(ConfigError, match=error):
            LoopPlan.parse(*args)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("15s", None),
        ("1h", None),
        ("inf", "finite"),
        ("2h", "too long"),
        ("-1", "positive"),
        ("0", "positive"),
    ],
)
def test_timeout(text, error):
    if error is None:
        assert timeout_seconds(text) > 0
    else:
        with pytest.raises(ConfigError, match=f"--timeout.*{error}|{error}"):
            timeout_seconds(text)


# previous stamp, this stamp (seconds after T0), interval 30 s -> flag fragment or None
CLOCKS = [
    (None, 0, None),  # the first snapshot of a run with no stored history
    (0, 30, None),  # on time
    (0, 3.5, None),  # a gap of more than a tenth of the interval
    (0, 2.9, "under a tenth"),  # a second collector or a jittery clock
    (10, 5, "stepped back 5.000s"),  # NTP stepped the clock back
    (10, 10, "did not advance"),  # the same stamp twice
]


@pytest.mark.parametrize(("prev", "now", "flag"), CLOCKS)
def test_clock_flag(prev, now, flag):
    clock = _Clock(30.0, None if prev is None else T0 + dt.timedelta(seconds=prev))
    got = clock.flag(T0 + dt.timedelta(seconds=now))
    if flag is None:
        assert got is None
    else:
        assert got.startswith(CLOCK_FLAG_PREFIX) and flag in got


def test_lock_refuses_a_second_holder_and_names_the_first(tmp_path):
    with collector_lock(tmp_path, "prod/eu"):
        with pytest.raises(ConfigError, match=r"another collector \(pid \d+\).*'prod/eu'"):
            with collector_lock(tmp_path, "prod/eu"):
                pass
        with collector_lock(tmp_path, "other"):  # another cluster, another lock
            pass
    with collector_lock(tmp_path, "prod/eu"):  # released on exit
        pass
    assert lock_path(tmp_path, "prod/eu", "offsets").parent == tmp_path / ".locks"


def test_a_lock_left_by_kill9_does_not_block(tmp_path):
    code = (
        "import sys, time; from workbench.collect.lock import collector_lock\n"
        f"with collector_lock({str(tmp_path)!r}, 'c'):\n    print('held', flush=True); time.sleep(600)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ConfigError, match=f"pid {holder.pid}"):
            with collector_lock(tmp_path, "c"):
                pass
    finally:
        holder.kill()
        holder.wait()
    with collector_lock(tmp_path, "c"):
        pass


def test_newest_stored_snapshot_seeds_the_clock(tmp_path):
    store = Store(tmp_path)
    assert _newest_stored(store, "c") is None
    now = dt.datetime.now(dt.UTC)
    rows = pl.DataFrame({"ts": [now], "cluster": ["c"], "topic": ["t"], "partition": [0]})
    store.append("partition_offsets", conform(rows, "partition_offsets"))
    assert abs((_newest_stored(store, "c") - now).total_seconds()) < 1e-3
    old = conform(
        rows.with_columns(pl.lit(now.replace(year=9999)).alias("ts"), cluster=pl.lit("f")),
        "partition_offsets",
    )
    store.append("partition_offsets", old)
    assert _newest_stored(store, "f") is None  # an import stamped in 9999 is no previous snapshot
