"""Spark's s3a:// settings from the workbench's storage options (workbench/fleet/s3a.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import ConfigError
from workbench.fleet.s3a import hadoop_conf, is_s3, require_jars, to_s3a
from workbench.fleet.spark import _first_line
from workbench.store._location import Location

H = "spark.hadoop.fs.s3a."
KEYS = {"aws_access_key_id": "AKID", "aws_secret_access_key": "sekrit", "aws_region": "eu-west-1"}
BASE = {H + "access.key": "AKID", H + "secret.key": "sekrit", H + "endpoint.region": "eu-west-1"}
LOCAL_ENDPOINT = {H + "endpoint": "http://127.0.0.1:8333", H + "path.style.access": "true"}


@pytest.mark.parametrize(
    ("options", "want"),
    [
        (KEYS, BASE),
        ({}, {}),
        (
            {**KEYS, "aws_endpoint_url": "http://127.0.0.1:8333"},
            {**BASE, **LOCAL_ENDPOINT, H + "connection.ssl.enabled": "false"},
        ),
        (
            {"aws_endpoint": "https://s3.example.org"},
            {H + "endpoint": "https://s3.example.org", H + "path.style.access": "true"}
            | {H + "connection.ssl.enabled": "true"},
        ),
        (
            {**KEYS, "aws_session_token": "tok"},
            {**BASE, H + "session.token": "tok"}
            | {H + "aws.credentials.provider": "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"},
        ),
    ],
)
def test_hadoop_conf(options: dict[str, str], want: dict[str, str]) -> None:
    assert hadoop_conf(options) == want


@pytest.mark.parametrize(
    ("uri", "want"),
    [
        ("s3://b/p/offsets/x.parquet", "s3a://b/p/offsets/x.parquet"),
        ("s3a://b/p", "s3a://b/p"),
        ("/data/offsets", "/data/offsets"),
        ("gs://b/p", "gs://b/p"),
    ],
)
def test_to_s3a(uri: str, want: str) -> None:
    assert to_s3a(uri) == want


@pytest.mark.parametrize(
    ("root", "want"), [("s3://b/p", True), ("s3a://b/p", True), ("/tmp/x", False), ("gs://b/p", False)]
)
def test_is_s3(root: str, want: bool) -> None:
    assert is_s3(Location.parse(root)) is want


PACKAGES = "org.apache.hadoop:hadoop-aws:3.5.0"
S3A_MISSING = (
    "py4j.protocol.Py4JJavaError: An error occurred while calling o52.parquet.\n"
    ': org.apache.hadoop.fs.UnsupportedFileSystemException: No FileSystem for scheme "s3a"\n'
    "Caused by: java.lang.ClassNotFoundException: Class org.apache.hadoop.fs.s3a.S3AFileSystem not found"
)


@pytest.mark.parametrize(
    ("conf", "env", "jar_dir", "ok"),
    [
        ({}, {}, False, False),  # nothing names the jars: the one-line error before Spark starts
        ({"spark.jars": "/j/hadoop-aws-3.5.0.jar,/j/bundle-2.35.4.jar"}, {}, False, True),
        ({"spark.jars.packages": PACKAGES}, {}, False, True),
        ({"spark.jars": "/j/bundle-2.35.4.jar"}, {}, False, False),  # a jar, not hadoop-aws
        ({"spark.driver.extraClassPath": "{jars}/*"}, {}, True, True),  # a directory holding it
        ({"spark.driver.extraClassPath": "{jars}/*"}, {}, False, False),  # the directory without it
        ({}, {"PYSPARK_SUBMIT_ARGS": f"--packages {PACKAGES} pyspark-shell"}, False, True),
        ({}, {"SPARK_CONF_DIR": "{conf}"}, False, True),  # spark-defaults.conf names them
        ({}, {"SPARK_HOME": "{home}"}, True, True),  # in $SPARK_HOME/jars
        ({"spark.hadoop.fs.s3a.impl": "com.example.S3A"}, {}, False, True),  # the user's own class
    ],
)
def test_require_jars(conf, env, jar_dir, ok, tmp_path: Path, monkeypatch) -> None:
    jars, conf_dir = tmp_path / "jars", tmp_path / "conf"
    jars.mkdir()
    conf_dir.mkdir()
    (conf_dir / "spark-defaults.conf").write_text(f"spark.jars.packages {PACKAGES}\n")
    if jar_dir:
        (jars / "hadoop-aws-3.5.0.jar").write_bytes(b"")
    places = {"jars": str(jars), "conf": str(conf_dir), "home": str(tmp_path)}
    for key in ("PYSPARK_SUBMIT_ARGS", "SPARK_HOME", "SPARK_CONF_DIR"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(**places))
    conf = {key: value.format(**places) for key, value in conf.items()}
    if ok:
        require_jars(conf, "spark analyze on local[1]")
        return
    with pytest.raises(ConfigError) as err:
        require_jars(conf, "spark analyze on local[1]")
    assert str(err.value).startswith("spark analyze on local[1]: the hadoop-aws jars")
    assert "scripts/parts install hadoop-aws" in str(err.value) and "\n" not in str(err.value)


def test_a_missing_s3a_filesystem_at_run_time_names_the_jars() -> None:
    """When the check above is passed and Spark still lacks the class: the first line names the jars."""
    line = _first_line(RuntimeError(S3A_MISSING))
    assert (
        line.startswith("org.apache.hadoop.fs.UnsupportedFileSystemException")
        and "add the hadoop-aws jars" in line
    )
