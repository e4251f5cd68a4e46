"""Spark's s3a:// settings from the workbench's storage options (workbench/fleet/s3a.py)."""

from __future__ import annotations

import pytest

from workbench.fleet.s3a import hadoop_conf, is_s3, to_s3a
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
