"""workbench.units: one table of parse cases (value -> result or the error it names), one of formats."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench import units
from workbench.errors import ConfigError

ANCHOR = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)

# text -> seconds, or the ConfigError text it raises
DURATIONS = [
    ("30s", 30 * S),
    ("5m", 300 * S),  # m is minutes
    ("1.5h", 5400 * S),
    ("7d", 7 * 86400 * S),
    ("2w", 14 * 86400 * S),
    ("250ms", 0.25 * S),
    ("45", 45 * S),  # a bare number is seconds
    (90, 90 * S),
    ("0s", "must be positive"),
    ("-5", "must be positive"),
    ("inf", "not a finite number"),
    ("nan", "not a finite number"),
    (float("inf"), "not a finite number"),
    ("99999999d", "more than 100 years"),
    ("3M", "months vary in length"),
    ("2months", "months vary in length"),
    ("soon", "use a number with a unit"),
    ("5 parsecs", "use a number with a unit"),
]


@pytest.mark.parametrize(("text", "want"), DURATIONS)
def test_parse_duration(text: str | float, want: dt.timedelta | str) -> None:
    if isinstance(want, str):
        with pytest.raises(ConfigError, match=want) as err:
            units.parse_duration(text, "--interval")
        assert "\n" not in str(err.value) and "--interval" in str(err.value)
    else:
        assert units.parse_duration(text) == want


AGES = [
    ("36h", 36 * 3600 * S),
    ("90d", 90 * 86400 * S),
    ("12w", 84 * 86400 * S),
    ("3m", "use hours, days or weeks"),  # minutes are never meant as an age
    ("30", "use hours, days or weeks"),
    ("10s", "use hours, days or weeks"),
    ("0d", "must be positive"),
    ("99999999d", "more than 100 years"),
]


@pytest.mark.parametrize(("text", "want"), AGES)
def test_parse_age(text: str, want: dt.timedelta | str) -> None:
    if isinstance(want, str):
        with pytest.raises(ConfigError, match=want):
            units.parse_age(text)
    else:
        assert units.parse_age(text) == want


INSTANTS = [
    ("2026-11-19T08:00Z", dt.datetime(2026, 11, 19, 8, tzinfo=dt.UTC)),
    ("2026-11-19T08:00", dt.datetime(2026, 11, 19, 8, tzinfo=dt.UTC)),  # naive = UTC
    ("2d", ANCHOR - dt.timedelta(days=2)),
    ("0s", ANCHOR),  # "now": a zero offset is fine for an instant
    (None, None),
    ("yesterday", "use ISO 8601"),
    ("99999999d", "more than 100 years"),
    ("1M", "months vary in length"),
]


@pytest.mark.parametrize(("value", "want"), INSTANTS)
def test_parse_instant(value: str | None, want: dt.datetime | str | None) -> None:
    if isinstance(want, str):
        with pytest.raises(ConfigError, match=want):
            units.parse_instant(value, ANCHOR, "since")
    else:
        assert units.parse_instant(value, ANCHOR, "since") == want


FORMATS = [
    (units.bytes_iec, 2048 * (1 << 30), "2.0 TiB"),  # one disk, one spelling everywhere
    (units.bytes_iec, 1536, "1.5 KiB"),
    (units.bytes_iec, 512, "512 B"),
    (units.bytes_iec, None, "0 B"),
    (units.duration, 7800, "2 h 10 min"),
    (units.duration, 45, "45 s"),
    (units.duration, None, "unknown"),
    (units.count, 1_234_567, "1.2M"),
    (units.rate, 120.4, "120 msg/s"),
    (units.rate_iec, 12.9e6, "12.3 MiB/s"),  # 12.9 MB/s, the capacity report's old spelling
    (units.rate_iec, 125e6, "119.2 MiB/s"),  # a 1 Gbit/s NIC
    (units.rate_iec, 2048.0, "2.0 KiB/s"),
    (units.rate_iec, 0.0, "0 B/s"),
    (units.rate_iec, None, "unknown"),
    (units.rate_iec, float("nan"), "unknown"),
]

GIVEN = [
    (1000, "GB", "931.3 GiB (given: 1000 GB)"),  # broker_disk_gb
    (125, "MB/s", "119.2 MiB/s (given: 125 MB/s)"),  # broker_nic_mb_s
    (12.5, "MB/s", "11.9 MiB/s (given: 12.5 MB/s)"),  # producer_mb_s_per_partition
    (4, "GB/s", "3.7 GiB/s (given: 4 GB/s)"),
    (None, "GB", "unknown"),
]


@pytest.mark.parametrize(("value", "unit", "want"), GIVEN)
def test_given_iec(value: float | None, unit: str, want: str) -> None:
    assert units.given_iec(value, unit) == want


@pytest.mark.parametrize(("fmt", "value", "want"), FORMATS)
def test_formats(fmt, value, want: str) -> None:  # type: ignore[no-untyped-def]
    assert fmt(value) == want
