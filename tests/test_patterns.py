"""Group/topic filters: one engine (Polars' Rust regex) checks and runs every user pattern."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from confluent_kafka import Consumer, KafkaException, TopicPartition
from kafka_local import wait_until

from workbench import patterns
from workbench.cli import main
from workbench.collect.offsets import GroupFilter
from workbench.errors import ConfigError

SAMPLE = str(Path(__file__).resolve().parents[1] / "data" / "sample")
EVIL = "(a+)+$"  # exponential for a backtracking engine on 'aaa...ab'

# (pattern, fragment of the engine's reason)
REFUSED = [
    ("[", "unclosed character class"),
    ("(?=orders)o.*", "look-around"),
    ("(?<!x)a", "look-around"),
    ("(a)\\1", "backreferences are not supported"),
    ("*", "repetition operator missing expression"),
    ("a{1000}{1000}", "exceeds size limit"),
    ("x" * (patterns.MAX_LENGTH + 1), "at most"),
]


@pytest.mark.parametrize(("pattern", "reason"), REFUSED, ids=[r[1][:20] for r in REFUSED])
def test_refused_patterns_are_one_line_errors_naming_the_option(pattern: str, reason: str) -> None:
    with pytest.raises(ConfigError) as err:
        GroupFilter(include=(pattern,), flag="--include")
    assert str(err.value).startswith("--include") and reason in str(err.value) and "\n" not in str(err.value)


# (include, exclude, names kept): whole-name matches, include any, exclude none
SELECT = [
    ((), (), ["orders", "orders-v2", "billing"]),
    (("orders",), (), ["orders"]),
    (("orders.*",), ("orders-v2",), ["orders"]),
    (("ord", "bill.*"), (), ["billing"]),
    (("(?i)ORDERS",), (), ["orders"]),
]


@pytest.mark.parametrize(("include", "exclude", "kept"), SELECT)
def test_collector_and_frames_agree(include: tuple, exclude: tuple, kept: list[str]) -> None:
    names = ["orders", "orders-v2", "billing"]
    assert GroupFilter(include, exclude).select(names) == kept
    if include:  # the frames' filter: the same engine, the same anchoring
        frame = pl.DataFrame({"group": names})
        pattern = "|".join(f"(?:{p})" for p in include)
        assert frame.filter(patterns.name_filter("group", pattern))["group"].to_list() == [
            n for n in names if n in GroupFilter(include).select(names)
        ]


@pytest.mark.timeout(120)
def test_catastrophic_pattern_runs_in_linear_time_over_many_groups() -> None:
    """A backtracking engine needs ~2^40 steps per name here; this one finishes (pytest-timeout)."""
    names = ["a" * 40 + "b"] * 20_000 + [f"group-{i}" for i in range(20_000)] + ["aaaa"]
    assert GroupFilter(include=(EVIL,)).select(names) == ["aaaa"]


def test_lag_group_bracket_from_history_is_one_line() -> None:
    res = CliRunner().invoke(main, ["lag", "--data-dir", SAMPLE, "--group", "["])
    assert res.exit_code == 2 and res.stderr.count("\n") == 1
    assert "--group '[' is not a valid regular expression" in res.stderr


def _committed(consumer: Consumer, topic: str) -> bool:
    """One commit attempt; False while a fresh broker still loads its coordinator."""
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, 0)], asynchronous=False)
    except KafkaException as exc:
        if exc.args[0].retriable() or "COORDINATOR" in exc.args[0].name():
            return False
        raise
    return True


@pytest.mark.kafka
def test_live_lag_with_catastrophic_include(kafka, topic_factory) -> None:
    """Real broker: groups whose names make (a+)+$ backtrack; the live path filters them at once."""
    topic = topic_factory(partitions=1)
    names = ["a" * 36 + "b", "a" * 38 + "c", "aaaa"]
    for group in names:
        conf = {"bootstrap.servers": kafka.bootstrap, "group.id": group, "enable.auto.commit": False}
        consumer = Consumer(conf)
        try:
            wait_until(lambda c=consumer: _committed(c, topic), timeout=60)
        finally:
            consumer.close()
    args = ["lag", "--bootstrap-server", kafka.bootstrap, "--group", EVIL, "--json"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert [row["group"] for row in json.loads(res.stdout)] == ["aaaa"]
    bad = CliRunner().invoke(main, ["lag", "--bootstrap-server", kafka.bootstrap, "--group", "["])
    assert bad.exit_code == 2 and "unclosed character class" in bad.stderr
