"""The only code that touches the data directory: partitioned Parquet, atomic writes, scans.

Layout::

    DATA_DIR/<dataset>/cluster=<name>/date=<YYYY-MM-DD>/<part>.parquet

Each write adds new files (one per date the frame spans), written to a temporary name in the
same directory, fsynced and renamed, so a reader never sees half a file and a crash never
leaves one behind. Each file carries the dataset's schema version in its Parquet metadata.
"""

from workbench.store.parquet import (
    Store,
    cluster_dirname,
)

__all__ = ["Store", "cluster_dirname"]
