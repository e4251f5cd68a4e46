"""Hostile input, one row per case: exit 2, one line naming the problem, nothing written.

Every importer and every CLI option family (durations, instants, numbers, counts, regexes,
client.properties, report parameters, paths). None of these needs a broker: each must fail
before anything connects or writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import main

SAMPLE = str(Path(__file__).resolve().parents[1] / "data" / "sample")
IMPORTER_DATA = Path(__file__).resolve().parent / "data" / "importers"
CG_HEADER = "GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID\n"


def _burrow(**part: object) -> str:
    base: dict[str, object] = {
        "topic": "t",
        "partition": 0,
        "owner": "/10.0.0.1",
        "client_id": "c",
        "end": {"offset": 5, "timestamp": 1767225540000},
        "current_lag": 1,
    }
    base.update(part)
    return json.dumps({"error": False, "status": {"cluster": "k", "group": "g", "partitions": [base]}})


def _end(**end: object) -> dict[str, object]:
    return {"offset": 5, "timestamp": 1767225540000, **end}


# (id, importer command, file bytes, fragment of the message); the file name is always checked
IMPORTS = [
    ("cg-offset-above-int64", ["consumer-groups", "--cluster", "c"],
     CG_HEADER + "g t 0 9223372036854775808 9223372036854775809 1 - - -\n", "out of range for a 64-bit"),
    ("cg-non-ascii-digits", ["consumer-groups", "--cluster", "c"],
     CG_HEADER + "g t 0 \u0661\u0662 12 0 - - -\n", "expected a whole number"),
    ("cg-invalid-utf8", ["consumer-groups", "--cluster", "c"], b"GROUP \xff\xfe\n", "not utf-8 text"),
    ("cg-garbage", ["consumer-groups", "--cluster", "c"], "hello world\n", "expected a 'GROUP TOPIC"),
    ("burrow-owner-object", ["burrow"], _burrow(owner={"host": "x"}), "owner' is {\"host\""),
    ("burrow-client-id-list", ["burrow"], _burrow(client_id=["a"]), "client_id' is [\"a\"]"),
    ("burrow-offset-2^64", ["burrow"], _burrow(end=_end(offset=2**64)), "above a 64-bit offset"),
    ("burrow-lag-2^64", ["burrow"], _burrow(current_lag=2**64), "above a 64-bit offset"),
    ("burrow-timestamp-1e20", ["burrow"], _burrow(end=_end(timestamp=1e20)), "expected an integer"),
    ("burrow-timestamp-int-1e20", ["burrow"], _burrow(end=_end(timestamp=10**20)), "milliseconds since 1970"),
    ("burrow-timestamp-minus-1e16", ["burrow"], _burrow(end=_end(timestamp=-(10**16))),
     "milliseconds since 1970"),
    ("burrow-timestamp-float-minus-1e16", ["burrow"], _burrow(end=_end(timestamp=-1e16)),
     "expected an integer"),
    ("burrow-deeply-nested", ["burrow"], "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("burrow-huge-integer", ["burrow"], '{"status": ' + "9" * 5000 + "}", "malformed JSON"),
    ("burrow-partitions-string", ["burrow"],
     json.dumps({"status": {"cluster": "k", "group": "g", "partitions": "p"}}), "expected an array"),
    ("burrow-partition-string", ["burrow"], _burrow(partition="0"), "expected an integer"),
    ("burrow-group-number", ["burrow"],
     json.dumps({"status": {"cluster": "k", "group": 7, "partitions": []}}), "expected a string"),
    ("burrow-top-level-number", ["burrow"], "42", "expected a JSON object"),
    ("burrow-nan-offset", ["burrow"], _burrow(end=_end(offset=float("nan"))), "expected an integer"),
    ("burrow-invalid-utf8", ["burrow"], b'{"status": "\xff"}', "not utf-8 text"),
    ("perf-test-garbage", ["perf-test"], "garbage\n", ""),
    ("perf-test-invalid-utf8", ["perf-test"], b"\xff\xfe\xfa", ""),
    ("consumer-perf-test-garbage", ["consumer-perf-test"], "a,b\n1,2\n", ""),
    ("e2e-latency-garbage", ["e2e-latency"], "garbage\n", ""),
    ("omb-wrong-types", ["omb"], json.dumps({"publishRate": "x"}), ""),
    ("omb-deeply-nested", ["omb"], "[" * 100_000 + "]" * 100_000, ""),
    ("rdkafka-perf-garbage", ["rdkafka-perf"], "garbage\n", ""),
    ("hlog-garbage", ["hlog", "--unit", "us"], "garbage\n", ""),
]  # fmt: skip


def _assert_refused(res, fragment: str, data_dir: Path) -> None:
    assert res.exit_code == 2, (res.exit_code, res.output, res.exception)
    err = res.stderr
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert fragment.lower() in err.lower(), err
    assert not data_dir.exists() or not any(p.is_file() for p in data_dir.rglob("*")), "something was written"


@pytest.mark.parametrize(("case", "command", "content", "fragment"), IMPORTS, ids=[c[0] for c in IMPORTS])
def test_importer_refuses(tmp_path: Path, case: str, command: list[str], content, fragment: str) -> None:
    path = tmp_path / f"{case}.in"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    data_dir = tmp_path / "data"
    res = CliRunner().invoke(main, ["import", *command, "--data-dir", str(data_dir), str(path)])
    _assert_refused(res, fragment, data_dir)
    assert str(path) in res.stderr


LIVE = ["--bootstrap-server", "127.0.0.1:1"]
COLLECT = ["collect", "offsets", *LIVE, "--cluster", "c"]
BENCH = ["bench", "producer", *LIVE, "--topic", "t", "--num-records", "10"]
CG_IMPORT = ["import", "consumer-groups", "--cluster", "c", "/dev/null"]

# (id, arguments, fragment of the message)
OPTIONS = [
    # durations: infinite, NaN, negative, zero, overflowing
    ("interval-inf", [*COLLECT, "--interval", "inf"], "--interval 'inf'"),
    ("interval-nan", [*COLLECT, "--interval", "nan"], "--interval 'nan'"),
    ("interval-zero", [*COLLECT, "--interval", "0s"], "must be positive"),
    ("interval-negative", [*COLLECT, "--interval", "-5s"], "--interval"),
    ("interval-huge", [*COLLECT, "--interval", "99999999d"], "more than 100 years"),
    ("duration-overflow", [*COLLECT, "--duration", "1e400s"], "--duration"),
    ("timeout-inf", ["lag", *LIVE, "--timeout", "inf"], "--timeout 'inf'"),
    ("timeout-minus-1", ["lag", *LIVE, "--timeout", "-1"], "--timeout '-1': must be positive"),
    ("timeout-zero", ["lag", *LIVE, "--timeout", "0"], "--timeout '0': must be positive"),
    ("timeout-too-long", ["lag", *LIVE, "--timeout", "2d"], "out of range"),
    ("configs-interval-inf", ["collect", "configs", *LIVE, "--cluster", "c", "--interval", "inf"],
     "--interval"),
    ("bench-interval-zero", [*BENCH, "--interval", "0"], "--interval"),
    ("older-than-inf", ["prune", "--older-than", "inf"], "--older-than"),
    ("older-than-huge", ["prune", "--older-than", "99999999d"], "more than 100 years"),
    ("simulate-interval-nan", ["simulate", "--interval", "nan"], "--interval"),
    # instants
    ("at-huge-duration", [*CG_IMPORT[:-1], "--at", "99999999d", "/dev/null"], "--at '99999999d'"),
    ("at-year-9999", [*CG_IMPORT[:-1], "--at", "9999-12-31", "/dev/null"],
     "a snapshot time must lie between"),
    ("at-1970", [*CG_IMPORT[:-1], "--at", "1970-01-01", "/dev/null"], "a snapshot time must lie between"),
    ("at-garbage", ["import", "burrow", "--at", "yesterday", "/dev/null"], "--at 'yesterday'"),
    ("bench-import-at-9999", ["import", "omb", "--at", "9999-01-01", "/dev/null"], "--at"),
    ("validate-at-huge", ["validate", "--data-dir", SAMPLE, "--at", "99999999d"], "more than 100 years"),
    # numbers
    ("throughput-nan", [*BENCH, "--throughput", "nan"], "--throughput nan"),
    ("throughput-inf", [*BENCH, "--throughput", "inf"], "--throughput inf"),
    ("warmup-seconds-negative", [*BENCH, "--warmup-seconds", "-1"], "--warmup-seconds"),
    ("utc-offset-huge", ["import", "consumer-perf-test", "--utc-offset", "99", "/dev/null"], "--utc-offset"),
    ("disk-gb-inf", ["capacity", "export-cruise-control", "--disk-gb", "inf", "--nic-mb-s", "1"],
     "--disk-gb"),
    ("cpu-nan", ["capacity", "export-cruise-control", "--disk-gb", "1", "--nic-mb-s", "1", "--cpu", "nan"],
     "--cpu"),
    # counts and integers
    ("count-zero", [*COLLECT, "--count", "0"], "--count"),
    ("count-huge", [*COLLECT, "--count", str(10**30)], "--count"),
    ("warn-above-int64", ["lag", "--data-dir", SAMPLE, "--warn", str(2**63)], "--warn"),
    ("num-records-huge", [*BENCH[:-1], str(10**20)], "--num-records"),
    ("seed-negative", ["simulate", "--seed", "-1"], "--seed"),
    # group filters: one engine
    ("group-bracket", ["lag", "--data-dir", SAMPLE, "--group", "["], "unclosed character class"),
    ("group-look-ahead", ["lag", "--data-dir", SAMPLE, "--group", "(?=a)a"], "look-around"),
    ("group-back-reference", ["lag", "--data-dir", SAMPLE, "--group", "(a)\\1"], "backreferences"),
    ("include-bracket", [*COLLECT, "--include", "["], "--include '['"),
    ("exclude-look-behind", [*COLLECT, "--exclude", "(?<=a)b"], "--exclude"),
    # paths
    ("missing-data-dir", ["lag", "--data-dir", "/nonexistent/wb"],
     "data directory /nonexistent/wb does not exist"),
    # report parameters
    ("param-since-huge", ["report", "lag-trend", "-p", "since", "99999999d", "--data-dir", SAMPLE],
     "parameter since"),
    ("param-float-inf", ["report", "capacity", "-p", "headroom", "inf", "--data-dir", SAMPLE], "headroom"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "args", "fragment"), OPTIONS, ids=[c[0] for c in OPTIONS])
def test_option_refused(tmp_path: Path, case: str, args: list[str], fragment: str) -> None:
    data_dir = tmp_path / "data"
    extra = [] if "--data-dir" in args or args[0] in ("report", "capacity") else ["--data-dir", str(data_dir)]
    res = CliRunner().invoke(main, [*args, *extra])
    _assert_refused(res, fragment, data_dir)


# (id, client.properties bytes, fragment): refused before anything connects
PROPERTIES = [
    ("invalid-utf8", b"security.protocol=SASL_SSL\nsasl.password=\xc3\x28\n", ":2: not UTF-8 text"),
    ("unclosed-jaas-quote",
     b'sasl.jaas.config=x.PlainLoginModule required username="u" password="p;\n', "unclosed \" quote"),
    ("oauthbearer-without-token", b"security.protocol=SASL_SSL\nsasl.mechanism=OAUTHBEARER\n",
     "OAUTHBEARER without a token config"),
    ("bad-unicode-escape", b"sasl.username=\\u12\n", ":1:"),
    ("missing-env", b"sasl.password=${env:WB_SURELY_UNSET_VAR}\n", "WB_SURELY_UNSET_VAR is not set"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "content", "fragment"), PROPERTIES, ids=[c[0] for c in PROPERTIES])
def test_client_properties_refused(tmp_path: Path, case: str, content: bytes, fragment: str) -> None:
    props = tmp_path / "client.properties"
    props.write_bytes(content)
    data_dir = tmp_path / "data"
    args = [*COLLECT, "--command-config", str(props), "--data-dir", str(data_dir), "--count", "1"]
    res = CliRunner().invoke(main, args)
    _assert_refused(res, fragment, data_dir)
    assert str(props) in res.stderr


@pytest.mark.parametrize("stamp", [0.0, 253402300799.0], ids=["1970", "9999"])
def test_implausible_file_time_asks_for_at(tmp_path: Path, stamp: float) -> None:
    import os

    path = tmp_path / "cg.txt"
    path.write_bytes((IMPORTER_DATA / "cg-4x-describe.txt").read_bytes())
    os.utime(path, (stamp, stamp))
    data_dir = tmp_path / "data"
    res = CliRunner().invoke(
        main, ["import", "consumer-groups", "--cluster", "c", "--data-dir", str(data_dir), str(path)]
    )
    _assert_refused(res, "not a plausible snapshot time; pass --at", data_dir)


@pytest.mark.parametrize(
    "command",
    [
        ["burrow", "--at", "2026-12-01T00:00Z", "burrow-lag.json"],
        ["consumer-groups", "--cluster", "c1", "cg-4x-describe.txt"],
    ],
)
def test_importing_a_file_twice_stores_its_rows_once(tmp_path: Path, command: list[str]) -> None:
    import polars as pl

    from workbench.store import Store

    data_dir = tmp_path / "data"
    args = ["import", *command[:-1], "--data-dir", str(data_dir), str(IMPORTER_DATA / command[-1])]
    first = CliRunner().invoke(main, args)
    second = CliRunner().invoke(main, args)
    assert first.exit_code == second.exit_code == 0, second.output
    stored = Store(data_dir).read("offsets")
    assert stored.height == stored.unique().height > 0
    assert "already stored for the same snapshot time" in second.stderr and " 0 new of " in second.stdout
    assert stored.select(pl.col("ts").n_unique()).item() == 1
