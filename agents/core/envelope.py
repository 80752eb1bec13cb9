"""The record envelope: Kafka headers every soak record carries, and the same in its key.

Header values are ASCII decimal, so a team's own ingestion job (or kcat) can read them
without our code: run id, producer id, producer incarnation (new on every restart),
sequence number (per incarnation and partition, from 0), the intended send time in ns
since the epoch, and the CRC32C of the payload.

The record key carries the same envelope packed in binary, for our verifiers: one bytes
object is read far faster than six headers (confluent-kafka builds a list of tuples for
every record's headers), and a batch of keys decodes at once (agents/core/bulk_envelopes.py).
Layout, big-endian: KEY_MAGIC (4 bytes), the run tag (8: a hash of the run id), sequence
(int64), sent ns (int64), CRC32C (uint32), incarnation (int64), then the producer id
(UTF-8, the rest of the key).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import crc32c as _crc32c

RUN = "soak.run"
PRODUCER = "soak.producer"
INCARNATION = "soak.incarnation"
SEQ = "soak.seq"
SENT_NS = "soak.sent_ns"
CRC = "soak.crc32c"
NAMES = (RUN, PRODUCER, INCARNATION, SEQ, SENT_NS, CRC)

KEY_MAGIC = b"SKE1"
KEY_SEQ_AT, KEY_SENT_AT, KEY_CRC_AT, KEY_STREAM_AT = 12, 20, 28, 32  # the stream: incarnation, producer id


def run_tag(run_id: str) -> bytes:
    """The 8 bytes that stand for the run id in record keys."""
    return hashlib.blake2b(run_id.encode(), digest_size=8).digest()


crc32c = _crc32c.crc32c  # (payload: bytes) -> int; bound directly, as it runs once per record


@dataclass(frozen=True, slots=True)
class Envelope:
    run_id: str
    producer_id: str
    incarnation: int
    seq: int
    sent_ns: int
    crc: int


class EnvelopeWriter:
    """Builds header lists and keys fast: the constant parts are encoded once per producer
    incarnation."""

    __slots__ = ("_fixed", "_key_head", "_key_tail", "_key_pack")

    def __init__(self, run_id: str, producer_id: str, incarnation: int):
        self._fixed = [(RUN, run_id.encode()), (PRODUCER, producer_id.encode()),
                       (INCARNATION, str(incarnation).encode())]
        self._key_head = KEY_MAGIC + run_tag(run_id)
        self._key_tail = struct.pack(">q", incarnation) + producer_id.encode()
        # One C call per key: the fixed parts are arguments, seq, sent ns and CRC between them.
        self._key_pack = struct.Struct(f">{KEY_SEQ_AT}sqqI{len(self._key_tail)}s").pack

    def headers(self, seq: int, sent_ns: int, crc: int) -> list[tuple[str, bytes]]:
        return [*self._fixed, (SEQ, b"%d" % seq), (SENT_NS, b"%d" % sent_ns), (CRC, b"%d" % crc)]

    def key(self, seq: int, sent_ns: int, crc: int) -> bytes:
        return self._key_pack(self._key_head, seq, sent_ns, crc, self._key_tail)


def decode(headers: list[tuple[str, bytes]] | None) -> Envelope | None:
    """The envelope of a consumed record, or None when it is not a soak record."""
    if not headers:
        return None
    if len(headers) >= 6 and headers[0][0] == RUN and headers[5][0] == CRC:
        h = headers  # our own layout: fixed positions, no search
        try:
            return Envelope(h[0][1].decode(), h[1][1].decode(), int(h[2][1]), int(h[3][1]), int(h[4][1]),
                            int(h[5][1]))
        except (ValueError, TypeError, AttributeError):
            return None
    found = {k: v for k, v in headers if k in NAMES}
    if len(found) != len(NAMES):
        return None
    try:
        return Envelope(found[RUN].decode(), found[PRODUCER].decode(), int(found[INCARNATION]),
                        int(found[SEQ]), int(found[SENT_NS]), int(found[CRC]))
    except (ValueError, TypeError, AttributeError):
        return None
