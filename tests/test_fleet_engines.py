"""DuckDB and Spark SQL read the workbench's tables (the schema contract in docs/fleet.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench.fleet.engines import duckdb_sql, spark_view
from workbench.schema import DATASETS
from workbench.store import Store

SAMPLE = Path(__file__).parents[1] / "data" / "sample"


def test_duckdb_reads_every_table_with_the_contract_columns() -> None:
    store = Store(SAMPLE)
    for dataset in ("offsets", "partition_offsets", "collections"):
        rel = duckdb_sql(SAMPLE, "SELECT * FROM t LIMIT 0", t=dataset)
        assert set(DATASETS[dataset][0]) <= set(rel.columns), dataset
        count = duckdb_sql(SAMPLE, "SELECT count(*) FROM t", t=dataset).fetchall()[0][0]
        assert count == store.read(dataset, complete_only=False).height


def test_duckdb_aggregates_equal_polars() -> None:
    query = 'SELECT "group", max(log_end_offset - committed_offset) AS m FROM o GROUP BY 1 ORDER BY 1'
    got = pl.from_arrow(duckdb_sql(SAMPLE, query, o="offsets").to_arrow_table())
    want = (
        Store(SAMPLE)
        .read("offsets", complete_only=False)
        .group_by("group")
        .agg(m=(pl.col("log_end_offset") - pl.col("committed_offset")).max())
        .sort("group")
    )
    assert got.rows() == want.rows()


def test_duckdb_on_a_missing_table_is_a_one_line_error(tmp_path: Path) -> None:
    from workbench.errors import NotFoundError

    with pytest.raises(NotFoundError, match="no offsets table"):
        duckdb_sql(tmp_path, "SELECT 1 FROM o", o="offsets")


@pytest.mark.slow
@pytest.mark.fleet
@pytest.mark.timeout(900)
def test_spark_sql_reads_the_tables(tmp_path: Path) -> None:
    from workbench.fleet.spark import session

    root = tmp_path / "data"
    shutil.copytree(SAMPLE, root)
    spark = session("local[1]", "workbench-sql-test")
    try:
        spark_view(spark, root, "offsets")
        rows = spark.sql(
            "SELECT cluster, count(*) AS n, count(DISTINCT `group`) AS g FROM offsets GROUP BY cluster"
        )
        got = [tuple(r) for r in rows.collect()]
    finally:
        spark.stop()
    frame = Store(root).read("offsets", complete_only=False)
    assert got == [("sample", frame.height, frame["group"].n_unique())]


def test_the_schema_contract_in_docs_names_every_column() -> None:
    text = (Path(__file__).parents[1] / "docs" / "fleet.md").read_text()
    for dataset, (schema, version) in DATASETS.items():
        line = next((x for x in text.splitlines() if x.startswith(f"| `{dataset}` |")), None)
        assert line is not None, f"docs/fleet.md lacks {dataset}"
        assert f"| {version} |" in line
        assert all(f"{name} " in line for name in schema), dataset
