"""The ``__consumer_offsets`` decoder, one record layout per row (the formats of Kafka 0.9 to 4.x).

The byte builders below write Kafka's record schemas (group-coordinator ``OffsetCommitKey``,
``OffsetCommitValue`` v0-v4, ``GroupMetadataKey``, ``GroupMetadataValue`` v0-v4); the same
records written by real 3.9.1 and 4.2.1 brokers are decoded in test_collect_commits.py.
"""

from __future__ import annotations

import struct

import pytest

from workbench.collect.offsets_topic import DecodeError, GroupMetadata, OffsetCommit, OtherRecord, decode
from workbench.collect.offsets_topic_848 import (
    ConsumerAssignment,
    ConsumerGroupEpoch,
    ConsumerMember,
    topic_id,
)


def i16(v: int) -> bytes:
    return struct.pack(">h", v)


def i32(v: int) -> bytes:
    return struct.pack(">i", v)


def i64(v: int) -> bytes:
    return struct.pack(">q", v)


def uvarint(v: int) -> bytes:
    out = b""
    while True:
        byte, v = v & 0x7F, v >> 7
        if not v:
            return out + bytes([byte])
        out += bytes([byte | 0x80])


def s(v: str | None, compact: bool = False) -> bytes:
    if v is None:
        return uvarint(0) if compact else i16(-1)
    raw = v.encode()
    return (uvarint(len(raw) + 1) if compact else i16(len(raw))) + raw


def b(v: bytes, compact: bool = False) -> bytes:
    return (uvarint(len(v) + 1) if compact else i32(len(v))) + v


def offset_key(version: int = 1, group: str = "g", topic: str = "t", partition: int = 3) -> bytes:
    return i16(version) + s(group) + s(topic) + i32(partition)


def offset_value(version: int, offset: int = 42, epoch: int = 7, ts: int = 1_700_000_000_000) -> bytes:
    meta_long = "m" * 200  # longer than one varint byte in v4
    body = i64(offset)
    if version >= 3:
        body += i32(epoch)
    body += s(meta_long, compact=version >= 4) + i64(ts)
    if version == 1:
        body += i64(ts + 86_400_000)
    if version >= 4:
        body += uvarint(1) + uvarint(0) + uvarint(16) + bytes(16)  # one tagged field (a topic id)
    return i16(version) + body


def assignment(parts: dict[str, list[int]]) -> bytes:
    body = i16(0) + i32(len(parts))
    for topic, ps in parts.items():
        body += s(topic) + i32(len(ps)) + b"".join(i32(p) for p in ps)
    return body + i32(-1)


def group_value(version: int, members: int = 1, protocol_type: str = "consumer") -> bytes:
    flex = version >= 4
    body = s(protocol_type, flex) + i32(5) + s("range", flex) + s("m-1", flex)
    if version >= 2:
        body += i64(1_700_000_000_000)
    body += uvarint(members + 1) if flex else i32(members)
    for i in range(members):
        body += s(f"m-{i}", flex)
        if version >= 3:
            body += s(None, flex)
        body += s(f"c-{i}", flex) + s(f"/10.0.0.{i}", flex)
        if version >= 1:
            body += i32(300_000)
        body += i32(45_000) + b(b"sub", flex) + b(assignment({"t": [i, i + 2]}), flex)
        if flex:
            body += uvarint(0)
    if flex:
        body += uvarint(0)
    return i16(version) + body


COMMIT = OffsetCommit("g", "t", 3, 42, 7, 1_700_000_000_000, 3)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        # offset commit values: v0/v2 no epoch, v1 adds an expire timestamp, v3 an epoch, v4 flexible
        (offset_key(0), offset_value(0), OffsetCommit("g", "t", 3, 42, None, 1_700_000_000_000, 0)),
        (offset_key(1), offset_value(1), OffsetCommit("g", "t", 3, 42, None, 1_700_000_000_000, 1)),
        (offset_key(1), offset_value(2), OffsetCommit("g", "t", 3, 42, None, 1_700_000_000_000, 2)),
        (offset_key(1), offset_value(3), COMMIT),
        (offset_key(1), offset_value(4), OffsetCommit("g", "t", 3, 42, 7, 1_700_000_000_000, 4)),
        # leader epoch -1 (unknown) is null
        (offset_key(1), offset_value(3, epoch=-1), OffsetCommit("g", "t", 3, 42, None, 1_700_000_000_000, 3)),
        # tombstone: the committed offset was deleted
        (offset_key(1), None, OffsetCommit("g", "t", 3, None, None, None, None)),
        (offset_key(1), b"", OffsetCommit("g", "t", 3, None, None, None, None)),
        # group tombstone: the group was removed
        (i16(2) + s("g"), None, GroupMetadata("g", None, None, None, None, (), None)),
        # KIP-848 target assignments, share and streams group records are recognized, not decoded
        (i16(6) + s("g"), b"\x00\x00", OtherRecord(6)),
        (i16(11) + s("g"), b"\x00\x00", OtherRecord(11)),
    ],
)
def test_decode_offsets_and_tombstones(key: bytes, value: bytes | None, expected: object) -> None:
    assert decode(key, value) == expected


@pytest.mark.parametrize("version", [0, 1, 2, 3, 4])
def test_decode_group_metadata_versions(version: int) -> None:
    rec = decode(i16(2) + s("g"), group_value(version, members=2))
    assert isinstance(rec, GroupMetadata)
    assert (rec.group, rec.protocol_type, rec.generation, rec.protocol) == ("g", "consumer", 5, "range")
    assert rec.state_ts_ms == (1_700_000_000_000 if version >= 2 else None)
    assert [(m.member_id, m.client_id, m.host, m.partitions) for m in rec.members] == [
        ("m-0", "c-0", "/10.0.0.0", (("t", 0), ("t", 2))),
        ("m-1", "c-1", "/10.0.0.1", (("t", 1), ("t", 3))),
    ]


def test_non_consumer_group_keeps_members_without_partitions() -> None:
    rec = decode(i16(2) + s("connect-cluster"), group_value(3, protocol_type="connect"))
    assert isinstance(rec, GroupMetadata)
    assert [(m.member_id, m.partitions) for m in rec.members] == [("m-0", ())]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (b"", b""),  # no key version
        (b"\x00", b""),
        (offset_key(1), offset_value(3)[:-3]),  # truncated timestamp
        (offset_key(1), i16(5) + bytes(30)),  # unknown offset value version
        (offset_key(1)[:-2], offset_value(3)),  # truncated partition
        (i16(2) + s("g"), group_value(3)[:-5]),  # truncated member
        (i16(2) + s("g"), i16(9) + bytes(10)),  # unknown group value version
        (offset_key(1), i16(4) + i64(1) + i32(0) + b"\xff\xff\xff\xff\xff\xff"),  # runaway varint
    ],
)
def test_garbage_raises_decode_error(key: bytes, value: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(key, value)


# -- KIP-848 consumer-group records (value version 0, flexible) ------------------------------------
TID = bytes(range(16))


def key848(kind: int, member: str | None = "m1") -> bytes:
    return i16(kind) + s("g") + (s(member) if member is not None else b"")


def member_value(regex: str | None = None) -> bytes:
    fields = s(None, True) + s("rack-a", True) + s("client-1", True) + s("/10.0.0.7", True)
    fields += uvarint(3) + s("orders", True) + s("audit", True) + s(regex, True)
    return i16(0) + fields + i32(45_000) + s("uniform", True) + uvarint(0)


def assignment_value(parts: list[int]) -> bytes:
    topics = uvarint(2) + TID + uvarint(len(parts) + 1) + b"".join(i32(p) for p in parts) + uvarint(0)
    return i16(0) + i32(5) + i32(4) + b"\x00" + topics + uvarint(1) + uvarint(0)


KIP848 = [
    ("group epoch", key848(3, None), i16(0) + i32(9) + uvarint(0), ConsumerGroupEpoch("g", 9)),
    ("group deleted", key848(3, None), None, ConsumerGroupEpoch("g", None)),
    (
        "member",
        key848(5),
        member_value(),
        ConsumerMember("g", "m1", None, "rack-a", "client-1", "/10.0.0.7", ("orders", "audit"), None),
    ),
    ("member left", key848(5), None, ConsumerMember("g", "m1", None, None, None, None, (), None)),
    (
        "assignment",
        key848(8),
        assignment_value([0, 2]),
        ConsumerAssignment("g", "m1", 5, 0, ((topic_id(TID), 0), (topic_id(TID), 2))),
    ),
    ("assignment deleted", key848(8), None, ConsumerAssignment("g", "m1", None, None, ())),
    ("target assignment: not decoded", key848(7), i16(0) + bytes(8), OtherRecord(7)),
]


@pytest.mark.parametrize(("name", "key", "value", "expected"), KIP848, ids=[k[0] for k in KIP848])
def test_decode_kip848_records(name: str, key: bytes, value: bytes | None, expected: object) -> None:
    assert decode(key, value) == expected


def test_kip848_topic_id_prints_as_kafka_does() -> None:
    assert topic_id(TID) == "AAECAwQFBgcICQoLDA0ODw"  # Uuid.toString: URL-safe base64, no padding


@pytest.mark.parametrize(
    "value",
    [i16(1) + i32(9), member_value()[:-18], assignment_value([0])[:-6]],
    ids=["unknown version", "truncated member", "truncated assignment"],
)
def test_kip848_garbage_raises_decode_error(value: bytes) -> None:
    kind = 3 if value.startswith(i16(1)) else (5 if b"client-1" in value else 8)
    with pytest.raises(DecodeError):
        decode(key848(kind, None if kind == 3 else "m1"), value)
