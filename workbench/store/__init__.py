"""The only code that touches the data directory: one Delta Lake table per dataset.

Layout (see ``docs/store.md``)::

    DATA_DIR/<dataset>/_delta_log/            the table's commits and checkpoints
    DATA_DIR/<dataset>/cluster=<name>/date=<YYYY-MM-DD>/part-*.parquet

``DATA_DIR`` is a local directory or an object-store URI (``s3://bucket/prefix``). Each append
is one atomic commit; readers see one table version; a collector's snapshot shows once its
``collections`` row (the completion marker) is committed.
"""

from workbench.store.delta import DataDir, Store

__all__ = ["DataDir", "Store"]
