"""The record key: a soak record's envelope packed in binary. Its layout and versions live here.

Our verifiers read the key, not the headers: one bytes object per record is far cheaper than
six headers, and a batch of keys decodes at once (agents/core/bulk_envelopes.py).

Version 2, written by every producer (all integers big-endian):

    offset  size  field
    0       4     magic b"SKE2"
    4       8     run tag: BLAKE2b-64 of the run id
    12      8     sequence number (int64), per producer incarnation and partition, from 0
    20      8     intended send time, ns since the epoch (int64)
    28      4     CRC32C of the payload (uint32)
    32      8     producer incarnation (int64)
    40      n     producer id (UTF-8)
    40+n    4     envelope checksum: CRC32C of bytes 0 .. 40+n, little-endian

The checksum covers every envelope field and the payload CRC, so a flipped bit anywhere in the
key is caught: the record counts as corrupt, not as a gap or a duplicate. Stored little-endian
at the end, it makes the CRC32C of the whole key one constant (`INTACT_RESIDUE`), so a key is
checked with one call. A key damaged in a single bit is repaired (CRC32C tells every single-bit
error apart at these lengths), so the corrupt record still takes its place in its stream.

Version 1 (b"SKE1"): the same fields without the checksum. It is still read; a flipped bit in
it goes unnoticed.

The partition is not in the key (Kafka says it), nor is the run id itself (the tag stands for it).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from enum import Enum

import crc32c as _crc32c

crc32c = _crc32c.crc32c  # (data: bytes[, start]) -> int; bound directly, as it runs once per record

MAGIC_V1, MAGIC_V2 = b"SKE1", b"SKE2"
SEQ_AT, SENT_AT, CRC_AT, STREAM_AT = 12, 20, 28, 32  # the stream: incarnation, then producer id
HEAD_LEN = SEQ_AT  # magic and run tag
CHECK_LEN = 4
MIN_LEN_V1 = STREAM_AT + 8 + 1  # a producer id of one byte at least
MIN_LEN_V2 = MIN_LEN_V1 + CHECK_LEN
INTACT_RESIDUE = 0x48674BC7  # CRC32C of any bytes followed by their own CRC32C, little-endian
_FIELDS = struct.Struct(">qqIq")  # seq, sent ns, payload CRC, incarnation
_CHECK = struct.Struct("<I").pack


def run_tag(run_id: str) -> bytes:
    """The 8 bytes that stand for the run id in record keys."""
    return hashlib.blake2b(run_id.encode(), digest_size=8).digest()


class KeyWriter:
    """Version 2 keys of one producer incarnation: the constant parts are packed once."""

    __slots__ = ("_head", "_tail", "_pack")

    def __init__(self, run_id: str, producer_id: str, incarnation: int):
        self._head = MAGIC_V2 + run_tag(run_id)
        self._tail = struct.pack(">q", incarnation) + producer_id.encode()
        # One C call for the body: the fixed parts are arguments, seq, sent ns and CRC between them.
        self._pack = struct.Struct(f">{HEAD_LEN}sqqI{len(self._tail)}s").pack

    def key(self, seq: int, sent_ns: int, crc: int) -> bytes:
        body = self._pack(self._head, seq, sent_ns, crc, self._tail)
        return body + _CHECK(crc32c(body))


@dataclass(frozen=True, slots=True)
class KeyFields:
    producer_id: str
    incarnation: int
    seq: int
    sent_ns: int
    crc: int  # of the payload


class KeyVerdict(str, Enum):
    OURS = "ours"  # an intact key of this run
    DAMAGED = "damaged"  # a version-2 key of this run (by its head, to a bit) that fails its checksum
    NOT_OURS = "not_ours"  # no key, another run's, another format, or a version-1 key that does not parse


def is_intact(key: bytes) -> bool:
    """A version-2 key whose checksum holds."""
    return crc32c(key) == INTACT_RESIDUE


def read_key(key: bytes | None, tag: bytes) -> tuple[KeyVerdict, KeyFields | None, bool]:
    """One record's key: its verdict, its fields when they can be trusted, and whether they
    were repaired. A damaged key gives its fields only when one flipped bit explains the damage."""
    if not key:
        return KeyVerdict.NOT_OURS, None, False
    if key.startswith(MAGIC_V1 + tag):
        fields = _fields(key, len(key)) if len(key) >= MIN_LEN_V1 else None
        return (KeyVerdict.OURS, fields, False) if fields else (KeyVerdict.NOT_OURS, None, False)
    if not _near_head(key, MAGIC_V2 + tag):
        return KeyVerdict.NOT_OURS, None, False
    if len(key) >= MIN_LEN_V2 and is_intact(key):
        if not key.startswith(MAGIC_V2 + tag):  # intact, so truly another head: not this run's
            return KeyVerdict.NOT_OURS, None, False
        fields = _fields(key, len(key) - CHECK_LEN)
        return (KeyVerdict.OURS, fields, False) if fields else (KeyVerdict.DAMAGED, None, False)
    repaired = repair(key, MAGIC_V2 + tag)
    fields = _fields(repaired, len(repaired) - CHECK_LEN) if repaired else None
    return KeyVerdict.DAMAGED, fields, fields is not None


def repair(key: bytes, head: bytes) -> bytes | None:
    """The intact key that differs from `key` in exactly one bit and starts with `head`, if any."""
    if len(key) < MIN_LEN_V2:
        return None  # truncated: no single flip gives its length back
    mutable = bytearray(key)
    for i in range(len(mutable)):
        original = mutable[i]
        for bit in range(8):
            mutable[i] = original ^ (1 << bit)
            if crc32c(mutable) == INTACT_RESIDUE and mutable.startswith(head):
                return bytes(mutable)
        mutable[i] = original
    return None


def stream_of(identity: bytes) -> tuple[str, int] | None:
    """(producer id, incarnation) from a key's stream bytes (incarnation, then producer id)."""
    try:
        return identity[8:].decode(), int.from_bytes(identity[:8], "big", signed=True)
    except UnicodeDecodeError:
        return None


def _fields(key: bytes, stream_end: int) -> KeyFields | None:
    stream = stream_of(key[STREAM_AT:stream_end])
    if stream is None or not stream[0]:
        return None
    seq, sent_ns, crc, _incarnation = _FIELDS.unpack_from(key, SEQ_AT)
    return KeyFields(stream[0], stream[1], seq, sent_ns, crc)


def _near_head(key: bytes, head: bytes) -> bool:
    """The key's first bytes are `head`, or `head` with one bit flipped (a damaged key of ours)."""
    if len(key) < HEAD_LEN:
        return False
    return (int.from_bytes(key[:HEAD_LEN], "big") ^ int.from_bytes(head, "big")).bit_count() <= 1
