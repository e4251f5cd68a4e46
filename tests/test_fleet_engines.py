"""DuckDB and Spark SQL read the workbench's tables (the schema contract in docs/fleet.md)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench.fleet.engines import duckdb_sql, spark_view
from workbench.frames.offsets import scan_offsets
from workbench.schema import CLOCK_FLAG_PREFIX, DATASETS
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
    from workbench.fleet.spark import read_table, session, visible

    root = tmp_path / "data"
    shutil.copytree(SAMPLE, root)
    spark = session("local[1]", "workbench-sql-test")
    try:
        spark_view(spark, root, "offsets")
        rows = spark.sql(
            "SELECT cluster, count(*) AS n, count(DISTINCT `group`) AS g FROM offsets GROUP BY cluster"
        )
        got = [tuple(r) for r in rows.collect()]
        frame = Store(root).read("offsets", complete_only=False)
        assert got == [("sample", frame.height, frame["group"].n_unique())]
        _collector_snapshots(root)
        store = Store(root)
        kept = visible(spark, store, "offsets", read_table(spark, store, "offsets")).count()  # type: ignore[arg-type]
    finally:
        spark.stop()
    want = scan_offsets(root, "sample", since=None).select(pl.len()).collect().item()
    assert kept == want == frame.height + 2  # the complete snapshot's rows only


def _collector_snapshots(root: Path) -> None:
    """Three collector snapshots of 2 rows: complete, without its marker, flagged (clock)."""
    store = Store(root)
    last = store.read("offsets", complete_only=False).sort("ts").tail(2)
    start = last["ts"][0] + dt.timedelta(hours=1)
    stamps = [start + dt.timedelta(minutes=i) for i in range(3)]
    rows = [
        last.with_columns(ts=pl.lit(t).cast(last["ts"].dtype), source=pl.lit("collector")) for t in stamps
    ]
    store.append("offsets", pl.concat(rows))
    marks = {
        "ts": [stamps[0], stamps[2]],
        "cluster": ["sample"] * 2,
        "kind": ["offsets"] * 2,
        "ok": [True] * 2,
    }
    marks["error"] = [None, CLOCK_FLAG_PREFIX + " test"]
    cols = pl.DataFrame(marks).with_columns(pl.col("ts").cast(last["ts"].dtype))
    store.append("collections", cols)


def test_the_schema_contract_in_docs_names_every_column() -> None:
    text = (Path(__file__).parents[1] / "docs" / "fleet.md").read_text()
    for dataset, (schema, version) in DATASETS.items():
        line = next((x for x in text.splitlines() if x.startswith(f"| `{dataset}` |")), None)
        assert line is not None, f"docs/fleet.md lacks {dataset}"
        assert f"| {version} |" in line
        assert all(f"{name} " in line for name in schema), dataset
