"""Spark's view of an ``s3://`` data directory: Hadoop's ``s3a://`` filesystem (docs/fleet.md).

Spark reads object storage through the hadoop-aws jars (not bundled with pyspark: ``--conf
spark.jars=...`` or ``spark.jars.packages``). The settings come from the same storage options the
workbench uses (environment, AWS shared files), so one set of credentials serves both; they are
handed to Spark in memory only (Spark redacts ``secret``/``token``/``access.key`` settings).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from pyarrow import fs

from workbench.errors import ConfigError
from workbench.store._location import Location

#: object_store option -> Hadoop s3a setting.
_S3A_KEYS = {
    "aws_access_key_id": "fs.s3a.access.key",
    "aws_secret_access_key": "fs.s3a.secret.key",
    "aws_session_token": "fs.s3a.session.token",
    "aws_region": "fs.s3a.endpoint.region",
}
_TEMPORARY = "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
#: Spark settings that put jars on the driver's classpath (the driver lists and writes s3a:// too).
_JAR_SETTINGS = ("spark.jars", "spark.jars.packages", "spark.driver.extraClassPath")
#: Set explicitly, the s3a filesystem class is the user's to provide: no check of the jars.
_S3A_IMPL = "spark.hadoop.fs.s3a.impl"
MISSING_JARS = (
    "the hadoop-aws jars are not on Spark's classpath (s3a:// needs hadoop-aws and the AWS SDK bundle): "
    "add --conf spark.jars=JAR,... or --conf spark.jars.packages=org.apache.hadoop:hadoop-aws:VERSION "
    "(in a source tree `scripts/parts install hadoop-aws` fetches them; docs/fleet.md)"
)


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


def require_jars(conf: Mapping[str, str], what: str) -> None:
    """Raise ConfigError before Spark starts when nothing Spark reads names the hadoop-aws jars:
    ``conf``, PYSPARK_SUBMIT_ARGS, spark-defaults.conf, Spark's jars directory (docs/fleet.md)."""
    if conf.get(_S3A_IMPL):
        return
    for text in _jar_texts(conf):
        if "hadoop-aws" in text or any(_has_jar(Path(entry)) for entry in _entries(text)):
            return
    raise ConfigError(f"{what}: {MISSING_JARS}")


def _jar_texts(conf: Mapping[str, str]) -> Iterator[str]:
    yield from (conf.get(key, "") for key in _JAR_SETTINGS)
    yield os.environ.get("PYSPARK_SUBMIT_ARGS", "")
    homes = [Path(os.environ["SPARK_HOME"])] if os.environ.get("SPARK_HOME") else []
    try:
        import pyspark

        homes.append(Path(pyspark.__file__).parent)
    except ImportError:
        pass
    conf_dirs = [Path(os.environ["SPARK_CONF_DIR"])] if os.environ.get("SPARK_CONF_DIR") else []
    for path in [d / "spark-defaults.conf" for d in conf_dirs + [h / "conf" for h in homes]]:
        if path.is_file():
            yield path.read_text(errors="replace")
    yield os.pathsep.join(str(home / "jars") for home in homes)


def _entries(text: str) -> list[str]:
    """Classpath-like entries of a setting: comma, path-separator or space separated."""
    return [
        e.rstrip("*") for e in text.replace(",", os.pathsep).replace(" ", os.pathsep).split(os.pathsep) if e
    ]


def _has_jar(entry: Path) -> bool:
    return entry.is_dir() and any(entry.glob("hadoop-aws*.jar"))
