"""The fleet: object storage, Spark and other engines over the tables (docs/fleet.md)."""

#: Rows of one analysis task (a chunk of whole partitions of a group): ~1 KB each while analysed.
ROWS_PER_CHUNK = 1_000_000
