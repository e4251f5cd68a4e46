"""Spark's view of an ``s3://`` data directory: Hadoop's ``s3a://`` filesystem (docs/fleet.md).

Spark reads object storage through the hadoop-aws jars (not bundled with pyspark: ``--conf
spark.jars=...`` or ``spark.jars.packages``). The settings come from the same storage options the
workbench uses (environment, AWS shared files), so one set of credentials serves both; they are
handed to Spark in memory only (Spark redacts ``secret``/``token``/``access.key`` settings).
"""

from __future__ import annotations

from collections.abc import Mapping

from pyarrow import fs

from workbench.store._location import Location

#: object_store option -> Hadoop s3a setting.
_S3A_KEYS = {
    "aws_access_key_id": "fs.s3a.access.key",
    "aws_secret_access_key": "fs.s3a.secret.key",
    "aws_session_token": "fs.s3a.session.token",
    "aws_region": "fs.s3a.endpoint.region",
}
_TEMPORARY = "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"


def is_s3(location: Location) -> bool:
    """True for an ``s3://`` or ``s3a://`` data directory."""
    return location.uri.startswith(("s3://", "s3a://"))


def to_s3a(uri: str) -> str:
    """``s3://bucket/key`` as Hadoop names it (``s3a://bucket/key``); other URIs unchanged."""
    return "s3a://" + uri.removeprefix("s3://") if uri.startswith("s3://") else uri


def hadoop_conf(options: Mapping[str, str]) -> dict[str, str]:
    """``spark.hadoop.fs.s3a.*`` settings for the storage options of an ``s3://`` location."""
    conf = {hadoop: options[key] for key, hadoop in _S3A_KEYS.items() if options.get(key)}
    endpoint = options.get("aws_endpoint_url") or options.get("aws_endpoint")
    if endpoint:
        conf["fs.s3a.endpoint"] = endpoint
        conf["fs.s3a.path.style.access"] = "true"  # S3-compatible servers: bucket in the path
        conf["fs.s3a.connection.ssl.enabled"] = str(endpoint.startswith("https://")).lower()
    if options.get("aws_session_token"):
        conf["fs.s3a.aws.credentials.provider"] = _TEMPORARY
    return {f"spark.hadoop.{k}": v for k, v in conf.items()}


def arrow_filesystem(options: Mapping[str, str]) -> fs.S3FileSystem:
    """A pyarrow S3 filesystem with the same settings (to read back what Spark wrote)."""
    endpoint = options.get("aws_endpoint_url") or options.get("aws_endpoint") or ""
    scheme, _, host = endpoint.rpartition("://")
    return fs.S3FileSystem(
        access_key=options.get("aws_access_key_id"),
        secret_key=options.get("aws_secret_access_key"),
        session_token=options.get("aws_session_token"),
        region=options.get("aws_region"),
        endpoint_override=host or None,
        scheme=scheme or "https",
    )
