"""The lag analysis on Spark: each chunk of whole partitions of a consumer group is analysed in a
Spark task by the same pure functions as in process (docs/fleet.md).

The job reads the Parquet files of each table's current Delta version (listed by the table log,
so no delta-spark jars are needed), keeps the rows a reader in process keeps (completion marker,
flagged snapshots), cuts each (cluster, group) into chunks of its partitions
(:mod:`workbench.fleet.chunks`), runs :func:`analyze_piece` per chunk with
``cogroup(...).applyInArrow``, merges the chunks of each group and writes one row per
(cluster, group, snapshot) as the ``lag_groups`` result table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sys
import uuid
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from workbench.analyze.lag import analyze_lag, group_table
from workbench.errors import ConfigError, WorkbenchError
from workbench.fleet import s3a
from workbench.fleet.chunks import CHUNK, PARTITION_KEYS, ROWS_PER_CHUNK, chunk_ids, merge_chunks
from workbench.frames.offsets import add_lag_columns
from workbench.schema import CLOCK_FLAG_PREFIX, DATASETS, conform
from workbench.store import Store
from workbench.store.results import result_uri, write_result
from workbench.store.visibility import MARKED

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

RESULT = "lag_groups"
_KEYS = ["cluster", "group"]
#: The offsets columns the group rows need (not the group state, client, host, source).
_OFFSETS = [
    "ts",
    "cluster",
    "group",
    "topic",
    "partition",
    "committed_offset",
    "log_start_offset",
    "log_end_offset",
    "member_id",
]
_ENDS = ["ts", "cluster", "topic", "partition", "log_start_offset", "log_end_offset"]
_SPARK_TYPES = {
    pl.String: "string",
    pl.Int64: "bigint",
    pl.Int32: "int",
    pl.Int16: "smallint",
    pl.Int8: "tinyint",
    pl.Float64: "double",
    pl.Boolean: "boolean",
}


def analyze_piece(offsets: pa.Table, log_ends: pa.Table) -> pa.Table:
    """:func:`group_table` of one piece (whole groups of one cluster), Arrow in and out."""
    frame = conform(pl.from_arrow(offsets), "offsets")  # type: ignore[arg-type]
    ends = conform(pl.from_arrow(log_ends), "partition_offsets")  # type: ignore[arg-type]
    return _plain(group_table(analyze_lag(add_lag_columns(frame), ends)).to_arrow())


def _plain(table: pa.Table) -> pa.Table:
    """``table`` with plain strings, as Spark expects (Polars writes large ones)."""
    plain = [pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type) else f for f in table.schema]
    return table.cast(pa.schema(plain))


def result_schema() -> pl.Schema:
    """The columns of the ``lag_groups`` result (those of :func:`analyze_piece`)."""
    empty = {ds: pl.DataFrame(schema=DATASETS[ds][0]).to_arrow() for ds in ("offsets", "partition_offsets")}
    return pl.from_arrow(analyze_piece(empty["offsets"], empty["partition_offsets"])).schema  # type: ignore[union-attr]


def spark_ddl(schema: pl.Schema) -> str:
    """A Spark DDL schema string for a Polars schema (timestamps are UTC instants)."""
    cols = []
    for name, dtype in schema.items():
        spark_type = "timestamp" if isinstance(dtype, pl.Datetime) else _SPARK_TYPES.get(dtype.base_type())
        if spark_type is None:
            raise WorkbenchError(f"no Spark type for column {name} ({dtype})")
        cols.append(f"`{name}` {spark_type}")
    return ", ".join(cols)


def session(master: str, app_name: str = "workbench-lag", conf: dict[str, str] | None = None) -> SparkSession:
    """A Spark session on ``master`` with UTC time and Arrow transfer; a local master or one on
    127.0.0.1 gets the driver bound to 127.0.0.1 (docs/fleet.md: a driver on another address is
    what left executors without tasks)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError("pyspark is not installed: pip install 'kafka-capacity-workbench[fleet]'") from None
    builder = SparkSession.builder.master(master).appName(app_name)
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.pyspark.python": os.environ.get("PYSPARK_PYTHON", _python()),
    }
    if master.startswith("local") or "127.0.0.1" in master or "localhost" in master:
        settings |= {
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            # executors on this host import the same workbench as the driver (a source tree too)
            "spark.executorEnv.PYTHONPATH": os.pathsep.join(
                p for p in (_source_root(), os.environ.get("PYTHONPATH")) if p
            ),
        }
    for key, value in {**settings, **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _source_root() -> str:
    import workbench

    return os.path.dirname(os.path.dirname(os.path.abspath(workbench.__file__)))


def _python() -> str:
    return sys.executable


def read_table(spark: SparkSession, store: Store, dataset: str) -> DataFrame | None:
    """The rows of ``dataset``'s current table version a reader keeps (None: no table)."""
    if not (store.location.local or s3a.is_s3(store.location)):
        raise ConfigError(f"{store.root}: spark analyze reads a local path or s3:// (docs/fleet.md)")
    files = [s3a.to_s3a(f) for f in store.files(dataset)]
    if not files:
        return None
    base = s3a.to_s3a(store.table_uri(dataset))
    return spark.read.option("basePath", base).parquet(*files).drop("date")


def visible(spark: SparkSession, store: Store, dataset: str, frame: DataFrame) -> DataFrame:
    """``frame`` without rows of incomplete collector snapshots and of flagged snapshots, the
    rule :mod:`workbench.store.visibility` and ``frames.offsets.without_flagged`` apply."""
    from pyspark.sql import functions as F

    collections = read_table(spark, store, "collections")
    if collections is None:
        return frame
    ok = collections.filter(F.col("ok"))
    kind, source = MARKED[dataset]
    marks = (
        ok.filter(F.col("kind") == kind).select("cluster", "ts").distinct().withColumn("_marked", F.lit(True))
    )
    exempt = F.col("source").isNull() | (F.col("source") != source)
    keys = ["cluster", "ts"]  # one pass over frame: the (small) marks broadcast to every task
    kept = frame.join(F.broadcast(marks), keys, "left").filter(exempt | F.col("_marked").isNotNull())
    flagged = ok.filter(F.col("error").startswith(CLOCK_FLAG_PREFIX)).select(*keys).distinct()
    return kept.drop("_marked").join(F.broadcast(flagged), keys, "left_anti")


def shuffle_tasks(chunks: int, parallelism: int) -> int:
    """Shuffle partitions for ``chunks`` chunks: about one chunk each (a month on 4 partitions ran
    the driver's 1 GB heap out while sorting its spills), at least two per core, at most 4,000."""
    return max(2 * parallelism, min(chunks, 4000))


def lag_groups(
    spark: SparkSession,
    store: Store,
    tasks: int | None = None,
    rows_per_chunk: int = ROWS_PER_CHUNK,
    until: dt.datetime | None = None,
) -> DataFrame:
    """The ``lag_groups`` rows of every cluster: one Spark task per chunk of about
    ``rows_per_chunk`` rows of whole partitions of a group, then one merge per group.
    ``until``: only snapshots before it."""
    from pyspark.sql import functions as F

    offsets, ends = _inputs(spark, store, until)
    counts = pl.from_arrow(offsets.groupBy(*PARTITION_KEYS).agg(F.count("*").alias("len")).toArrow())
    ids = chunk_ids(counts, rows_per_chunk).drop("len")  # type: ignore[arg-type]
    table = _plain(ids.to_arrow())  # one small frame per join: a shared one would be ambiguous
    offsets = offsets.join(F.broadcast(spark.createDataFrame(table)), PARTITION_KEYS)
    ends = ends.join(F.broadcast(spark.createDataFrame(table)), ["cluster", "topic", "partition"])
    chunks = ids.select("cluster", "group", CHUNK).n_unique()
    spark.conf.set(
        "spark.sql.shuffle.partitions",
        str(tasks or shuffle_tasks(chunks, spark.sparkContext.defaultParallelism)),
    )
    keys = [*_KEYS, CHUNK]
    chunked = pl.Schema([*result_schema().items(), (CHUNK, pl.Int32())])
    rows = offsets.groupBy(*keys).cogroup(ends.groupBy(*keys)).applyInArrow(_piece, spark_ddl(chunked))
    return rows.groupBy(*_KEYS).applyInArrow(_merge, spark_ddl(result_schema()))


def _inputs(spark: SparkSession, store: Store, until: dt.datetime | None) -> tuple[DataFrame, DataFrame]:
    """The visible offsets and partition offsets rows (before ``until``), the columns needed."""
    from pyspark.sql import functions as F

    offsets = read_table(spark, store, "offsets")
    if offsets is None:
        raise WorkbenchError(f"{store.root} holds no offsets data: collect or import some first")
    offsets = visible(spark, store, "offsets", offsets)
    ends = read_table(spark, store, "partition_offsets")
    if ends is None:
        ends = spark.createDataFrame([], spark_ddl(pl.Schema(DATASETS["partition_offsets"][0])))
    ends = visible(spark, store, "partition_offsets", ends)
    if until is not None:
        offsets = offsets.filter(F.col("ts") < F.lit(until))
        ends = ends.filter(F.col("ts") < F.lit(until))
    return offsets.select(*_OFFSETS), ends.select(*_ENDS)


def _piece(offsets: pa.Table, ends: pa.Table) -> pa.Table:
    out = analyze_piece(offsets, ends)
    chunk = offsets.column(CHUNK)[0].as_py() if offsets.num_rows else 0
    return out.append_column(pa.field(CHUNK, pa.int32()), pa.array([chunk] * out.num_rows, pa.int32()))


def _merge(rows: pa.Table) -> pa.Table:
    return _plain(merge_chunks(pl.from_arrow(rows)).to_arrow())  # type: ignore[arg-type]


def analyze(
    master: str,
    data_dir: str,
    tasks: int | None = None,
    conf: dict[str, str] | None = None,
    rows_per_chunk: int = ROWS_PER_CHUNK,
    until: dt.datetime | None = None,
) -> dict[str, Any]:
    """Run the lag analysis of every cluster in ``data_dir`` on ``master`` (tasks of about
    ``rows_per_chunk`` rows; snapshots before ``until``) and write the ``lag_groups`` result
    table; returns its URI, version and row count."""
    store = Store(data_dir)
    loc = store.location
    remote = s3a.is_s3(loc)
    if remote:
        s3a.require_jars(conf or {}, f"spark analyze on {master}")
    spark = session(master, conf={**s3a.hadoop_conf(loc.storage_options), **(conf or {})} if remote else conf)
    staging = loc.join(".spark-staging", uuid.uuid4().hex)
    try:
        lag_groups(spark, store, tasks, rows_per_chunk, until).write.mode("overwrite").parquet(
            s3a.to_s3a(staging)
        )
    except WorkbenchError:
        raise
    except Exception as exc:  # Spark's and py4j's errors: one line, the cause kept
        if type(exc).__module__.split(".")[0] not in ("pyspark", "py4j"):
            raise
        raise WorkbenchError(loc.scrub(f"spark analyze on {master} failed: {_first_line(exc)}")) from exc
    finally:
        spark.stop()
    fs = s3a.arrow_filesystem(loc.storage_options) if remote else None
    path = staging.split("://", 1)[1] if remote else staging
    try:
        import pyarrow.dataset as ds

        schema = result_schema().to_arrow()
        data = ds.dataset(path, format="parquet", schema=schema, filesystem=fs)
        reader = data.scanner().to_reader()
        rows = data.count_rows()
        version = write_result(data_dir, RESULT, reader, "workbench result lag_groups schema version 1")
    finally:
        if fs is None:
            shutil.rmtree(staging, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                fs.delete_dir(path)
    return {"uri": result_uri(data_dir, RESULT), "version": version, "rows": rows}


def _first_line(exc: BaseException) -> str:
    """The first line of a Spark error; a missing s3a filesystem says which jars to add."""
    lines = [ln.strip().removeprefix(": ") for ln in str(exc).strip().splitlines() if ln.strip()]
    first = next((ln for ln in lines if "Exception: " in ln), lines[0] if lines else type(exc).__name__)
    first, text = first[:300], "\n".join(lines)
    if "S3AFileSystem" in text and "not found" in text:
        first += " (add the hadoop-aws jars: --conf spark.jars=... or spark.jars.packages; docs/fleet.md)"
    return first
