"""KIP-848 consumer-group records in ``__consumer_offsets`` (Kafka 3.7+, default in 4.x).

Key: the record type then group id (and member id) as int16-length strings. Value: int16
version 0, then a flexible body (compact strings and arrays, tagged fields). Decoded: type 3
ConsumerGroupMetadataValue (group epoch), 5 ConsumerGroupMemberMetadataValue (client id, host,
instance and rack, subscriptions), 8 ConsumerGroupCurrentMemberAssignmentValue (member epoch,
partitions by topic id). The topic ids are 16 bytes, written here as Kafka prints them (URL-safe
base64 without padding). Field lists: ``docs/commits.md``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from workbench.collect.offsets_topic import DecodeError, Reader


@dataclass(frozen=True)
class ConsumerGroupEpoch:
    """Type 3: the group's epoch (None for a tombstone: the group was deleted)."""

    group: str
    epoch: int | None


@dataclass(frozen=True)
class ConsumerMember:
    """Type 5: a member's metadata (``client_id`` None for a tombstone: the member left)."""

    group: str
    member_id: str
    instance_id: str | None
    rack_id: str | None
    client_id: str | None
    host: str | None
    subscribed: tuple[str, ...]
    subscribed_regex: str | None


@dataclass(frozen=True)
class ConsumerAssignment:
    """Type 8: a member's current assignment, partitions by topic id (``epoch`` None: tombstone)."""

    group: str
    member_id: str
    epoch: int | None
    state: int | None
    partitions: tuple[tuple[str, int], ...]


def topic_id(raw: bytes) -> str:
    """A topic id as Kafka prints it (``Uuid.toString``: URL-safe base64, no padding)."""
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_848(kind: int, key: Reader, value: bytes | None):
    """The record for key type ``kind`` (``key`` positioned after the type), or None if not KIP-848."""
    if kind not in (3, 5, 8):
        return None
    group = key.string() or ""
    member = (key.string() or "") if kind in (5, 8) else ""
    if not value:
        return {
            3: ConsumerGroupEpoch(group, None),
            5: ConsumerMember(group, member, None, None, None, None, (), None),
            8: ConsumerAssignment(group, member, None, None, ()),
        }[kind]
    r = Reader(value)
    version = r.int16()
    if version != 0:
        raise DecodeError(f"KIP-848 record type {kind} value version {version} is not supported")
    if kind == 3:
        return ConsumerGroupEpoch(group, r.int32())  # tagged fields after it: not needed
    if kind == 5:
        return _member(group, member, r)
    return _assignment(group, member, r)


def _member(group: str, member: str, r: Reader) -> ConsumerMember:
    instance, rack = r.string(True), r.string(True)
    client, host = r.string(True) or "", r.string(True) or ""
    topics = tuple(r.string(True) or "" for _ in range(max(0, r.array_len(True))))
    regex = r.string(True)
    return ConsumerMember(group, member, instance, rack, client, host, topics, regex)


def _assignment(group: str, member: str, r: Reader) -> ConsumerAssignment:
    epoch = r.int32()
    r.int32()  # previous member epoch
    state = r.int8()
    parts: list[tuple[str, int]] = []
    for _ in range(max(0, r.array_len(True))):
        tid = topic_id(r.raw(16))
        parts.extend((tid, r.int32()) for _ in range(max(0, r.array_len(True))))
        r.skip_tagged_fields()
    return ConsumerAssignment(group, member, epoch, state, tuple(parts))
