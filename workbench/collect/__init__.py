"""Stage 1: the only code that talks to Kafka (through :mod:`workbench.collect.kafka`)."""

from workbench.collect.offsets import GroupFilter, OffsetsSnapshot, snapshot_offsets

__all__ = ["GroupFilter", "OffsetsSnapshot", "snapshot_offsets"]
