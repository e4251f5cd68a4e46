"""Decode ``__consumer_offsets`` records: offset commits, classic and KIP-848 group metadata.

Pure byte parsing (no Kafka client). The key's leading int16 names the record type: 0 and 1 are
offset commits, 2 classic group metadata, 3, 5 and 8 the KIP-848 consumer group's epoch, member
metadata and current member assignment (:mod:`.offsets_topic_848`); other types (target
assignments, share and streams groups) are :class:`OtherRecord`. Offset commit values 0-4 and
group metadata 0-4 (4 flexible). Formats: ``docs/commits.md``. An empty value is a tombstone.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


class DecodeError(ValueError):
    """A record that does not parse as the version it claims."""


@dataclass(frozen=True)
class OffsetCommit:
    """One offset commit (``offset`` None for a tombstone)."""

    group: str
    topic: str
    partition: int
    offset: int | None
    leader_epoch: int | None
    commit_ts_ms: int | None
    value_version: int | None


@dataclass(frozen=True)
class GroupMember:
    """A classic-protocol member and the partitions the group's leader assigned it."""

    member_id: str
    group_instance_id: str | None
    client_id: str
    host: str
    partitions: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class GroupMetadata:
    """Classic group metadata (``protocol_type`` None for a tombstone: the group was removed)."""

    group: str
    protocol_type: str | None
    generation: int | None
    protocol: str | None
    state_ts_ms: int | None
    members: tuple[GroupMember, ...]
    value_version: int | None


@dataclass(frozen=True)
class OtherRecord:
    """A record type this decoder does not read (KIP-848, share or streams group records)."""

    record_type: int


Record = OffsetCommit | GroupMetadata | OtherRecord  # or a KIP-848 record of .offsets_topic_848


class Reader:
    """A cursor over big-endian Kafka protocol primitives."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise DecodeError(f"need {n} bytes at {self.pos}, record has {len(self.data)}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def raw(self, n: int) -> bytes:
        return self._take(n)

    def int8(self) -> int:
        return struct.unpack(">b", self._take(1))[0]

    def int16(self) -> int:
        return struct.unpack(">h", self._take(2))[0]

    def int32(self) -> int:
        return struct.unpack(">i", self._take(4))[0]

    def int64(self) -> int:
        return struct.unpack(">q", self._take(8))[0]

    def uvarint(self) -> int:
        value = shift = 0
        while True:
            byte = self._take(1)[0]
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
            if shift > 28:
                raise DecodeError("varint longer than 5 bytes")

    def string(self, compact: bool = False) -> str | None:
        n = self.uvarint() - 1 if compact else self.int16()
        return None if n < 0 else self._take(n).decode("utf-8", errors="replace")

    def bytes_(self, compact: bool = False) -> bytes | None:
        n = self.uvarint() - 1 if compact else self.int32()
        return None if n < 0 else self._take(n)

    def array_len(self, compact: bool = False) -> int:
        return self.uvarint() - 1 if compact else self.int32()

    def skip_tagged_fields(self) -> None:
        for _ in range(self.uvarint()):
            self.uvarint()  # tag
            self._take(self.uvarint())


def decode(key: bytes | None, value: bytes | None) -> Record:
    """Decode one ``__consumer_offsets`` record; :class:`DecodeError` if it does not parse."""
    if not key or len(key) < 2:
        raise DecodeError("record without a key version")
    r = Reader(key)
    kind = r.int16()
    if kind in (0, 1):
        group, topic, partition = r.string() or "", r.string() or "", r.int32()
        if not value:
            return OffsetCommit(group, topic, partition, None, None, None, None)
        return _offset_value(group, topic, partition, value)
    if kind == 2:
        group = r.string() or ""
        if not value:
            return GroupMetadata(group, None, None, None, None, (), None)
        return _group_value(group, value)
    from workbench.collect.offsets_topic_848 import decode_848

    return decode_848(kind, r, value) or OtherRecord(kind)


def _offset_value(group: str, topic: str, partition: int, value: bytes) -> OffsetCommit:
    r = Reader(value)
    version = r.int16()
    if not 0 <= version <= 4:
        raise DecodeError(f"offset commit value version {version} is not supported")
    offset = r.int64()
    epoch = r.int32() if version >= 3 else None
    r.string(compact=version >= 4)  # metadata: free text from the client, not kept
    commit_ts = r.int64()
    if version == 1:
        r.int64()  # expire timestamp
    if version >= 4:
        r.skip_tagged_fields()
    return OffsetCommit(group, topic, partition, offset, None if epoch == -1 else epoch, commit_ts, version)


def _group_value(group: str, value: bytes) -> GroupMetadata:
    r = Reader(value)
    version = r.int16()
    if not 0 <= version <= 4:
        raise DecodeError(f"group metadata value version {version} is not supported")
    flex = version >= 4
    protocol_type = r.string(flex) or ""
    generation = r.int32()
    protocol = r.string(flex)
    r.string(flex)  # leader member id
    state_ts = r.int64() if version >= 2 else None
    consumer = protocol_type == "consumer"
    members = tuple(_member(r, version, consumer) for _ in range(max(0, r.array_len(flex))))
    if flex:
        r.skip_tagged_fields()
    state_ts = None if state_ts == -1 else state_ts
    return GroupMetadata(group, protocol_type, generation, protocol, state_ts, members, version)


def _member(r: Reader, version: int, consumer: bool) -> GroupMember:
    flex = version >= 4
    member_id = r.string(flex) or ""
    instance = r.string(flex) if version >= 3 else None
    client_id = r.string(flex) or ""
    host = r.string(flex) or ""
    if version >= 1:
        r.int32()  # rebalance timeout
    r.int32()  # session timeout
    r.bytes_(flex)  # subscription
    assignment = r.bytes_(flex)
    if flex:
        r.skip_tagged_fields()
    partitions = _assignment(assignment) if consumer else ()  # connect etc. use their own formats
    return GroupMember(member_id, instance, client_id, host, partitions)


def _assignment(data: bytes | None) -> tuple[tuple[str, int], ...]:
    """The partitions of a ``consumer`` ConsumerProtocolAssignment (versions 0-3 share the prefix)."""
    if not data:
        return ()
    r = Reader(data)
    if r.int16() < 0:
        raise DecodeError("negative consumer protocol version")
    out: list[tuple[str, int]] = []
    for _ in range(max(0, r.int32())):
        topic = r.string() or ""
        out.extend((topic, r.int32()) for _ in range(max(0, r.int32())))
    return tuple(out)
