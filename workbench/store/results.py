"""Analysis results as Delta tables beside the datasets: ``DATA_DIR/analysis/<name>``.

An engine that runs the analysis elsewhere (``workbench spark analyze``) writes its result here
in one overwrite commit; reports read it back. The contract is in docs/fleet.md.
"""

from __future__ import annotations

import os

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from workbench.errors import StoreError
from workbench.store._location import Location

RESULTS_DIR = "analysis"


def result_uri(data_dir: str | os.PathLike[str], name: str) -> str:
    """Where result table ``name`` lives."""
    return Location.parse(data_dir).join(RESULTS_DIR, name)


def write_result(
    data_dir: str | os.PathLike[str], name: str, batches: pa.RecordBatchReader, description: str
) -> int:
    """Replace result table ``name`` with ``batches`` (streamed, partitioned by ``cluster``) in
    one commit; returns the new table version."""
    loc = Location.parse(data_dir)
    uri = loc.join(RESULTS_DIR, name)
    try:
        write_deltalake(
            uri,
            batches,
            mode="overwrite",
            schema_mode="overwrite",
            partition_by=["cluster"],
            description=description,
            storage_options=loc.storage_options,
        )
        return DeltaTable(uri, storage_options=loc.storage_options).version()
    except (OSError, DeltaError, pa.ArrowException) as exc:
        raise StoreError(
            loc.scrub(f"{uri}: writing the result failed: {str(exc).splitlines()[0][:300]}")
        ) from exc


def read_result(
    data_dir: str | os.PathLike[str], name: str, cluster: str | None = None
) -> pl.DataFrame | None:
    """Result table ``name`` (rows of ``cluster`` only, when given), or None when there is none."""
    loc = Location.parse(data_dir)
    uri = loc.join(RESULTS_DIR, name)
    if loc.local and not os.path.isdir(os.path.join(uri, "_delta_log")):
        return None
    try:
        table = DeltaTable(uri, storage_options=loc.storage_options)
    except TableNotFoundError:
        return None
    filters = [("cluster", "=", cluster)] if cluster is not None else None
    return pl.from_arrow(table.to_pyarrow_table(partitions=filters))  # type: ignore[return-value]
