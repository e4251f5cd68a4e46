"""Other engines on the same tables: DuckDB and Spark SQL (docs/fleet.md, the schema contract).

DuckDB reads a table through the pyarrow dataset the Delta library exposes for its current
version (DuckDB's own Delta extension cannot be downloaded everywhere); Spark SQL reads the
Parquet files of the current version, listed by the table log (no delta-spark jars needed).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from workbench.errors import ConfigError, NotFoundError
from workbench.fleet.spark import read_table
from workbench.store import Store

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def arrow_dataset(data_dir: str | os.PathLike[str], dataset: str) -> Any:
    """The current version of ``dataset``'s table as a ``pyarrow.dataset.Dataset`` (with the
    ``cluster`` and ``date`` partition columns)."""
    table = Store(data_dir).table(dataset)
    if table is None:
        raise NotFoundError(f"{data_dir}: no {dataset} table")
    return table.to_pyarrow_dataset()


def duckdb_sql(data_dir: str | os.PathLike[str], query: str, **tables: str) -> Any:
    """Run ``query`` in DuckDB with each keyword bound to a dataset: ``duckdb_sql(d, "SELECT
    count(*) FROM o", o="offsets")``; returns a DuckDB relation."""
    try:
        import duckdb
    except ImportError:
        raise ConfigError("duckdb is not installed: pip install duckdb") from None
    con = duckdb.connect()
    for name, dataset in tables.items():
        con.register(name, arrow_dataset(data_dir, dataset))
    return con.sql(query)


def spark_view(spark: SparkSession, data_dir: str | os.PathLike[str], dataset: str) -> DataFrame:
    """``dataset``'s current version as a Spark DataFrame, also registered as a temporary view of
    the same name for Spark SQL."""
    frame = read_table(spark, Store(data_dir), dataset)
    if frame is None:
        raise NotFoundError(f"{data_dir}: no {dataset} table")
    frame.createOrReplaceTempView(dataset)
    return frame
