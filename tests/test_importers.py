"""Importers: kafka-consumer-groups text and Burrow JSON -> the offsets dataset, and their CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.errors import ConfigError, InputFileError
from workbench.importers import (
    InputText,
    parse_burrow,
    parse_consumer_groups,
    read_burrow,
    read_consumer_groups,
)
from workbench.schema import OFFSETS
from workbench.store import Store

DATA = Path(__file__).parent / "data" / "importers"
AT = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
CID1 = "consumer-orders-svc-1-3f2a9c1e-8d7b-4c55-a0a1-2b3c4d5e6f70"
CID2 = "consumer-orders-svc-2-77aa0b1c-0d9e-4f11-9a2b-3c4d5e6f7081"
RDK = "rdkafka-5e1d2c3b-aaaa-bbbb-cccc-1234567890ab"
SEARCH2 = "consumer-search-2-0a0b0c0d-1111-2222-3333-444455556666"
CLICKS = "consumer-clicks-1-5b6c7d8e-0000-1111-2222-333344445555"

#: Columns compared row by row below, in this order.
COLS = [
    "group",
    "group_state",
    "topic",
    "partition",
    "committed_offset",
    "log_end_offset",
    "member_id",
    "host",
    "client_id",
]


def rows(frame: pl.DataFrame) -> list[tuple]:
    return [tuple(r) for r in frame.select(COLS).iter_rows()]


# -- kafka-consumer-groups ---------------------------------------------------------------------

CONSUMER_GROUPS_CASES = [
    pytest.param(
        "cg-4x-describe.txt",
        [
            # assigned and committed
            ("orders-svc", "Stable", "orders", 0, 40, 42, CID1, "/10.0.0.5", "consumer-orders-svc-1"),
            # assigned, never committed: CURRENT-OFFSET '-' is null, never 0
            ("orders-svc", "Stable", "orders", 1, None, 7, CID1, "/10.0.0.5", "consumer-orders-svc-1"),
            ("orders-svc", "Stable", "orders", 2, 100, 100, CID2, "/10.0.0.6", "consumer-orders-svc-2"),
            # committed, unassigned: '-' member columns are null
            ("orders-svc", "Stable", "payments", 0, 5, 5, None, None, None),
        ],
        [],
        id="4x-stable-with-unassigned-and-uncommitted",
    ),
    pytest.param(
        "cg-3x-all-groups.txt",
        [
            # "has no active members." on stderr -> Empty
            ("billing", "Empty", "invoices", 0, 1200, 1250, None, None, None),
            ("billing", "Empty", "invoices", 1, 980, 980, None, None, None),
            # "Warning: ... is rebalancing." -> PreparingRebalance
            ("inventory", "PreparingRebalance", "stock", 0, 7, 9, RDK, "/10.1.2.3", "inv-worker"),
            ("inventory", "PreparingRebalance", "stock", 1, None, 3, RDK, "/10.1.2.3", "inv-worker"),
            # a member row with no partition ('- -') adds no row; members present -> Stable
            ("search", "Stable", "queries", 0, 31, 35, SEARCH2, "/10.9.9.8", "consumer-search-2"),
        ],
        ["group 'gone' does not exist: skipped"],
        id="3x-all-groups-states-missing-group-repeated-headers",
    ),
    pytest.param(
        "cg-4x-verbose.txt",
        [
            # LEADER-EPOCH read and dropped; empty CLIENT-ID kept as ""
            ("clicks", "Stable", "clickstream", 0, 1500, 1512, CLICKS, "/172.16.0.4", ""),
            # leaderless partition: LOG-END-OFFSET '-' -> null
            ("clicks", "Stable", "clickstream", 1, 900, None, CLICKS, "/172.16.0.4", ""),
            ("clicks", "Stable", "clickstream", 2, None, None, None, None, None),
        ],
        [],
        id="4x-verbose-leader-epoch-empty-client-id",
    ),
    pytest.param(
        "cg-stdout-only.txt",
        # no message and no member: the state cannot be told
        [("reports", "Unknown", "daily", 0, 10, 15, None, None, None)],
        [],
        id="stdout-only-state-unknown",
    ),
    pytest.param(
        "cg-empty-no-rows.txt",
        [],
        ["group 'idle' is Empty, with no partitions listed: nothing to import"],
        id="empty-group-message-only",
    ),
]


@pytest.mark.parametrize(("fixture", "expected", "notes"), CONSUMER_GROUPS_CASES)
def test_consumer_groups_fixtures(fixture: str, expected: list[tuple], notes: list[str]) -> None:
    result = read_consumer_groups(DATA / fixture, "prod", AT)
    assert rows(result.frame) == expected
    assert list(result.notes) == notes
    frame = result.frame
    assert frame.schema == OFFSETS
    assert frame["ts"].to_list() == [AT] * len(expected)
    assert set(frame["cluster"]) <= {"prod"} and set(frame["source"]) <= {"consumer-groups"}
    assert frame["log_start_offset"].null_count() == len(expected)  # the tool does not print it


INLINE_CASES = [
    pytest.param(
        # CRLF line endings, tabs between columns, a trailing CLIENT-ID with a space in it
        "GROUP\tTOPIC\tPARTITION\tCURRENT-OFFSET\tLOG-END-OFFSET\tLAG\tCONSUMER-ID\tHOST\tCLIENT-ID\r\n"
        "g1\tt\t3\t5\t8\t3\tm-1\t/1.2.3.4\tmy client\r\n",
        [("g1", "Stable", "t", 3, 5, 8, "m-1", "/1.2.3.4", "my client")],
        id="crlf-tabs-client-id-with-space",
    ),
    pytest.param(
        # a group id with spaces, recovered from the padded GROUP column
        "\nGROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             "
        "CONSUMER-ID     HOST            CLIENT-ID\n"
        "my team group   t               0          1               1               0               "
        "-               -               -\n",
        [("my team group", "Unknown", "t", 0, 1, 1, None, None, None)],
        id="group-id-with-spaces",
    ),
    pytest.param(
        # -1 is what the tool prints for an offset without a commit (it shows no LAG for it)
        "GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID\n"
        "g t 0 -1 10 - - - -\n"
        "Error: The consumer group 'x' does not exist.\n",
        [("g", "Unknown", "t", 0, None, 10, None, None, None)],
        id="minus-one-offset-and-the-consumer-group-variant",
    ),
]


@pytest.mark.parametrize(("text", "expected"), INLINE_CASES)
def test_consumer_groups_inline(text: str, expected: list[tuple]) -> None:
    assert rows(parse_consumer_groups(text, "prod", AT)) == expected


HEADER = "GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID\n"

MALFORMED_CONSUMER_GROUPS = [
    # (text, line of the error, words the message must contain)
    pytest.param("g t 0 1 2 1 - - -\n", 1, "expected a 'GROUP TOPIC", id="row-before-header"),
    pytest.param(
        HEADER + "g t 0 1 2 1 - -\n" + "g t x 1 2 1 - - -\n", 3, "PARTITION is 'x'", id="bad-partition"
    ),
    pytest.param(HEADER + "g t 0 1 2 1\n", 2, "expected 9 columns", id="too-few-columns"),
    pytest.param(HEADER + "g t 0 abc 2 - - - -\n", 2, "CURRENT-OFFSET is 'abc'", id="bad-offset"),
    pytest.param(HEADER + "g t 0 1 9 3 - - -\n", 2, "LAG is '3' but", id="lag-inconsistent"),
    pytest.param(
        HEADER + "g t 0 1 2 1 - - -\ng t 0 1 2 1 - - -\n", 3, "already appeared on line 2", id="dup"
    ),
    pytest.param(
        "\nError: Executing consumer group command failed due to timeout\n",
        2,
        "the tool reported an error",
        id="tool-failed",
    ),
    pytest.param(
        "GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS\ng m /h c 1\n",
        1,
        "--members output",
        id="members-output",
    ),
    pytest.param(
        "GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS\n", 1, "--state output", id="state-output"
    ),
    pytest.param("GROUP TOPIC PARTITION FOO\n", 1, "unknown column FOO", id="unknown-column"),
    pytest.param("TOPIC PARTITION CURRENT-OFFSET\n", 1, "no GROUP column", id="pre-2.0-layout"),
]


@pytest.mark.parametrize(("text", "line", "fragment"), MALFORMED_CONSUMER_GROUPS)
def test_consumer_groups_malformed(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = tmp_path / "describe.txt"
    path.write_text(text)
    with pytest.raises(InputFileError) as err:
        read_consumer_groups(path, "prod", AT)
    assert err.value.path == str(path) and err.value.line == line
    assert fragment in err.value.problem
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_consumer_groups_defaults_to_file_mtime(tmp_path: Path) -> None:
    path = tmp_path / "describe.txt"
    path.write_text(HEADER + "g t 0 1 2 1 - - -\n")
    stamp = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC)
    os.utime(path, (stamp.timestamp(), stamp.timestamp()))
    assert parse_consumer_groups(path, "prod")["ts"].to_list() == [stamp]
    naive = parse_consumer_groups(str(path), "prod", dt.datetime(2025, 1, 2, 3, 4))
    assert naive["ts"].to_list() == [dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.UTC)]


def test_consumer_groups_needs_a_cluster() -> None:
    with pytest.raises(ConfigError, match="--cluster"):
        read_consumer_groups(HEADER, "", AT)


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read"):
        read_consumer_groups(tmp_path, "prod", AT)  # a directory
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(HEADER.encode() + "g t 0 1 2 1 - - caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputFileError) as err:
        read_consumer_groups(bad, "prod", AT)
    assert err.value.line == 2 and "not utf-8" in err.value.problem


def test_utf16_with_bom_as_powershell_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "ps.txt"
    path.write_bytes((HEADER + "g t 0 1 2 1 - - -\n").encode("utf-16"))
    assert rows(parse_consumer_groups(path, "prod", AT)) == [("g", "Unknown", "t", 0, 1, 2, None, None, None)]


# -- Burrow ------------------------------------------------------------------------------------

BURROW_CASES = [
    pytest.param(
        "burrow-lag.json",
        [
            # log end = end.offset + current_lag; owner -> host
            ("orders-svc", "Stable", "orders", 0, 140, 149, None, "/10.0.0.5", "c-1"),
            ("orders-svc", "Stable", "orders", 1, 77, 77, None, "/10.0.0.5", "c-1"),
            # "end": null (never committed): both offsets null; "" owner/client -> null
            ("orders-svc", "Stable", "orders", 2, None, None, None, None, None),
        ],
        {"local"},
        0,
        id="one-object",
    ),
    pytest.param(
        "burrow-array.json",
        [
            # no owner anywhere: Burrow cannot prove Empty -> Unknown; maxlag null
            ("billing", "Unknown", "invoices", 0, 1250, 1300, None, None, None),
            # extra fields ignored
            ("search", "Stable", "queries", 0, 31, 35, None, "/10.9.9.8", "consumer-search-2"),
            ("search", "Stable", "queries", 1, 12, 12, None, "/10.9.9.8", "consumer-search-2"),
        ],
        {"prod-eu"},
        0,
        id="array",
    ),
    pytest.param(
        "burrow-lines.jsonl",
        [
            ("clicks", "Stable", "clickstream", 0, 1500, 1512, None, "/172.16.0.4", "clicks-1"),
            ("payments", "Stable", "payments", 0, 5, 5, None, "/10.0.0.7", "pay-1"),
            ("payments", "Stable", "payments", 1, 8, 9, None, "/10.0.0.7", "pay-1"),
        ],
        {"local"},
        2,  # the 404 error response and the NOTFOUND group are skipped with a note each
        id="json-lines-with-error-and-notfound",
    ),
    pytest.param(
        "burrow-status.json",
        [("orders-svc", "Stable", "orders", 0, 140, 149, None, "/10.0.0.5", "c-1")],
        {"local"},
        1,  # /status lists only partitions that are not OK
        id="status-endpoint",
    ),
]


@pytest.mark.parametrize(("fixture", "expected", "clusters", "n_notes"), BURROW_CASES)
def test_burrow_fixtures(fixture: str, expected: list[tuple], clusters: set[str], n_notes: int) -> None:
    result = read_burrow(DATA / fixture, at=AT)
    assert rows(result.frame) == expected
    assert set(result.frame["cluster"]) == clusters
    assert len(result.notes) == n_notes, result.notes
    assert result.frame.schema == OFFSETS
    assert set(result.frame["source"]) == {"burrow"}
    assert result.frame["ts"].to_list() == [AT] * len(expected)


def test_burrow_cluster_override_and_bare_status() -> None:
    response = json.loads((DATA / "burrow-lag.json").read_text())
    frame = parse_burrow(json.dumps(response), cluster="eu-1", at=AT)
    assert set(frame["cluster"]) == {"eu-1"}
    bare = parse_burrow(json.dumps(response["status"]), at=AT)  # what `jq .status` leaves
    assert rows(bare) == rows(frame)


def test_burrow_time_defaults_to_mtime_and_warns_when_before_commits(tmp_path: Path) -> None:
    path = tmp_path / "lag.json"
    path.write_text((DATA / "burrow-lag.json").read_text())
    stamp = dt.datetime(2026, 1, 1, 0, 0, 5, tzinfo=dt.UTC)  # 5 s after the response's newest commit
    os.utime(path, (stamp.timestamp(), stamp.timestamp()))
    result = read_burrow(path)
    assert set(result.frame["ts"]) == {stamp} and result.notes == ()
    early = read_burrow(path, at=dt.datetime(2025, 12, 31, tzinfo=dt.UTC))
    assert len(early.notes) == 1 and "before its newest commit" in early.notes[0]


MALFORMED_BURROW = [
    # (text, line, words the message must contain)
    pytest.param(
        '{"status": {"cluster": "c",\n  "group": "g",\n  "partitions": [}\n}', 3, "malformed JSON", id="bad"
    ),
    pytest.param(
        '{"status": {"cluster": "c", "group": "g", "partitions": []}}\n{"a": 1,}\n', 2, "malformed", id="jl"
    ),
    pytest.param(
        '{"status": {"cluster": "c", "partitions": []}}', 1, "missing key 'status.group'", id="no-group"
    ),
    pytest.param('{"message": "hi"}', 1, "missing key 'status'", id="no-status"),
    pytest.param(
        '\n\n{"status": {"cluster": "c", "group": "g", "partitions": [{"topic": "t", "partition": 0}]}}',
        3,
        "missing key 'status.partitions[0].end'",
        id="no-end",
    ),
    pytest.param(
        '{"status": {"cluster": "c", "group": "g", "partitions": '
        '[{"topic": "t", "partition": 0, "end": {"offset": 5}}]}}',
        1,
        "missing key 'status.partitions[0].current_lag'",
        id="no-current-lag",
    ),
    pytest.param(
        '{"status": {"cluster": "c", "group": "g", "partitions": '
        '[{"topic": "t", "partition": "0", "end": null, "current_lag": 0}]}}',
        1,
        "'status.partitions[0].partition' is \"0\": expected an integer",
        id="partition-as-string",
    ),
    pytest.param("[1, 2]", 1, "array item 0: expected a JSON object", id="array-of-numbers"),
    pytest.param("   \n", None, "no JSON", id="empty"),
    pytest.param(
        '{"status": {"cluster": "c", "group": "g", "partitions": []}}\n'
        '{"status": {"cluster": "c", "group": "g", '
        '"partitions": [{"topic": "t", "partition": 0, "end": null, "current_lag": 0}, '
        '{"topic": "t", "partition": 0, "end": null, "current_lag": 0}]}}',
        2,
        "already appeared on line 2",
        id="duplicate-partition",
    ),
]


@pytest.mark.parametrize(("text", "line", "fragment"), MALFORMED_BURROW)
def test_burrow_malformed(tmp_path: Path, text: str, line: int | None, fragment: str) -> None:
    path = tmp_path / "burrow.json"
    path.write_text(text)
    with pytest.raises(InputFileError) as err:
        read_burrow(path, at=AT)
    assert err.value.path == str(path) and err.value.line == line
    assert fragment in err.value.problem


def test_input_text_names_its_source_in_errors() -> None:
    with pytest.raises(InputFileError, match=r"^<stdin>:1: malformed JSON"):
        read_burrow(InputText("{", "<stdin>"), at=AT)


# -- CLI ---------------------------------------------------------------------------------------


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def stored(data_dir: Path) -> pl.DataFrame:
    return Store(data_dir).read("offsets")


def test_cli_consumer_groups_writes_and_reports(tmp_path: Path) -> None:
    data = tmp_path / "data"
    res = invoke(
        "import", "consumer-groups", str(DATA / "cg-3x-all-groups.txt"), str(DATA / "cg-4x-describe.txt"),
        "--cluster", "prod", "--at", "2026-01-01T12:00Z", "--data-dir", str(data),
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{DATA / 'cg-3x-all-groups.txt'}: 5 rows, 3 groups, 5 partitions written")
    assert lines[1].startswith(f"{DATA / 'cg-4x-describe.txt'}: 4 rows, 1 groups, 4 partitions written")
    assert "group 'gone' does not exist" in res.stderr
    frame = stored(data)
    assert frame.height == 9 and set(frame["ts"]) == {AT} and set(frame["cluster"]) == {"prod"}


def test_cli_reads_stdin_and_burrow_cluster_override(tmp_path: Path) -> None:
    data = tmp_path / "data"
    text = (DATA / "burrow-lines.jsonl").read_text()
    res = invoke("import", "burrow", "-", "--cluster", "eu", "--data-dir", str(data), stdin=text)
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("<stdin>: 3 rows, 2 groups, 3 partitions written")
    assert res.stderr.count("note:") == 2
    assert Store(data).clusters("offsets") == ["eu"]


def test_cli_data_dir_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path / "env-data"))
    res = invoke("import", "burrow", str(DATA / "burrow-lag.json"), "--at", "2026-01-01T12:00:00")
    assert res.exit_code == 0, res.output
    assert stored(tmp_path / "env-data").height == 3


@pytest.mark.parametrize(
    ("command", "good", "bad_text", "where"),
    [
        (
            "consumer-groups",
            "cg-4x-describe.txt",
            HEADER + "g t 0 1 2 1 - - -\ng t zero 1 2 1 - - -\n",
            ":3: ",
        ),
        ("burrow", "burrow-lag.json", '{"status": {\n"cluster": "c",,\n}}', ":2: malformed JSON"),
    ],
)
def test_cli_bad_file_writes_nothing(
    tmp_path: Path, command: str, good: str, bad_text: str, where: str
) -> None:
    data = tmp_path / "data"
    invoke("import", command, str(DATA / good), "--cluster", "prod", "--data-dir", str(data))
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    bad = tmp_path / "bad.txt"
    bad.write_text(bad_text)
    # the good file comes first: it must not be written either, so a rerun after the fix is clean
    res = invoke("import", command, str(DATA / good), str(bad), "--cluster", "prod", "--data-dir", str(data))
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith(f"error: {bad}{where}")
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before


def test_cli_usage_errors(tmp_path: Path) -> None:
    missing = invoke("import", "consumer-groups", str(tmp_path / "nope.txt"), "--cluster", "c")
    assert missing.exit_code == 2 and "cannot read the file" in missing.stderr
    no_cluster = invoke("import", "consumer-groups", str(DATA / "cg-4x-describe.txt"))
    assert no_cluster.exit_code == 2 and "--cluster" in no_cluster.stderr
    bad_at = invoke("import", "burrow", str(DATA / "burrow-lag.json"), "--at", "yesterday-ish")
    assert bad_at.exit_code == 2 and bad_at.stderr.startswith("error: bad --at")
    two_stdin = invoke("import", "burrow", "-", "-", "--data-dir", str(tmp_path), stdin="")
    assert two_stdin.exit_code == 2 and "once" in two_stdin.stderr


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# -- against the real kafka-consumer-groups (ConsumerGroupCommand) -----------------------------

PRODUCED = {0: 5, 1: 7, 2: 3}  # messages per partition: the log-end offsets
COMMITTED = {0: 4, 1: 7}  # partition 2 is never committed


def produce_per_partition(config: dict, topic: str, counts: dict[int, int]) -> None:
    from confluent_kafka import Producer

    producer = Producer({**config, "acks": "all"})
    for partition, n in counts.items():
        for i in range(n):
            producer.produce(topic, value=f"m{i}".encode(), partition=partition)
    assert producer.flush(60) == 0


def commit(consumer, topic: str, offsets: dict[int, int]) -> None:
    """Commit synchronously, retrying while the new broker's offsets topic is still loading."""
    from confluent_kafka import TopicPartition
    from kafka_local import wait_until

    tps = [TopicPartition(topic, p, o) for p, o in offsets.items()]
    wait_until(lambda: consumer.commit(offsets=tps, asynchronous=False), timeout=60, message="a commit")


def describe(kafka, *args: str) -> str:
    """stderr (state messages) then stdout (tables), as ``2>&1`` shows them."""
    from kafka_local import CONSUMER_GROUP_COMMAND

    proc = kafka.run_tool(CONSUMER_GROUP_COMMAND, "--bootstrap-server", kafka.bootstrap, "--describe", *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr + "\n" + proc.stdout


def test_real_tool_empty_group(kafka, topic_factory, tmp_path: Path) -> None:
    from confluent_kafka import Consumer

    topic = topic_factory(partitions=3)
    group = unique("import-empty")
    produce_per_partition(kafka.client_config(), topic, PRODUCED)
    consumer = Consumer({**kafka.client_config(), "group.id": group, "enable.auto.commit": False})
    try:
        commit(consumer, topic, COMMITTED)  # without subscribing: offsets, no members -> Empty
    finally:
        consumer.close()
    # the uncommitted partition 2 is neither assigned nor committed, so the tool does not list it
    expected = [
        (group, "Empty", topic, p, COMMITTED[p], PRODUCED[p], None, None, None) for p in sorted(COMMITTED)
    ]

    plain = describe(kafka, "--group", group)
    assert rows(parse_consumer_groups(plain, "local", AT).sort("partition")) == expected, plain
    verbose = describe(kafka, "--group", group, "--verbose")  # 4.x adds LEADER-EPOCH, 3.9 does not
    assert rows(parse_consumer_groups(verbose, "local", AT).sort("partition")) == expected, verbose
    path = tmp_path / "all-groups.txt"
    path.write_text(describe(kafka, "--all-groups"))
    frame = parse_consumer_groups(path, "local", AT)
    assert rows(frame.filter(pl.col("group") == group).sort("partition")) == expected, path.read_text()


def test_real_tool_group_with_a_member(kafka, topic_factory) -> None:
    from confluent_kafka import Consumer
    from kafka_local import wait_until

    topic = topic_factory(partitions=3)
    group = unique("import-live")
    produce_per_partition(kafka.client_config(), topic, PRODUCED)
    config = {**kafka.client_config(), "group.id": group, "client.id": "importer-test"}
    consumer = Consumer({**config, "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        consumer.subscribe([topic])

        def assigned() -> bool:
            consumer.poll(0.2)  # serves the rebalance
            return len(consumer.assignment()) == 3

        wait_until(assigned, timeout=60, interval=0, message="3 assigned partitions")
        commit(consumer, topic, COMMITTED)
        frame = parse_consumer_groups(describe(kafka, "--group", group), "local", AT).sort("partition")
    finally:
        consumer.close()
    got = rows(frame)
    assert [r[:6] for r in got] == [
        (group, "Stable", topic, p, COMMITTED.get(p), PRODUCED[p]) for p in sorted(PRODUCED)
    ]  # partition 2: assigned, never committed -> null
    assert {r[8] for r in got} == {"importer-test"} and all(r[6] and r[7] for r in got)


def test_real_tool_missing_group(kafka) -> None:
    missing = unique("import-missing")
    text = describe(kafka, "--group", missing)
    if "Executing consumer group command failed" in text:
        # Kafka 4.x: GroupIdNotFoundException fails the whole run (exit code 0): refuse it
        with pytest.raises(InputFileError, match="the tool reported an error") as err:
            parse_consumer_groups(text, "local", AT)
        assert err.value.line is not None and "not found" in err.value.problem
    else:
        # Kafka 3.x: "Error: Consumer group 'G' does not exist." -> skipped with a note
        result = read_consumer_groups(text, "local", AT)
        assert result.frame.is_empty() and result.notes == (f"group '{missing}' does not exist: skipped",)
