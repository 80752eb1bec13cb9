"""The record envelope: Kafka headers every soak record carries, and the same in its key.

Header values are ASCII decimal, so a team's own ingestion job (or kcat) can read them
without our code: run id, producer id, producer incarnation (new on every restart),
sequence number (per incarnation and partition, from 0), the intended send time in ns
since the epoch, and the CRC32C of the payload.

The record key carries the same envelope packed in binary, with a checksum of its own, for
our verifiers: its layout and versions are in agents/core/record_key.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.core.record_key import KeyWriter, crc32c, run_tag  # noqa: F401 (re-exported)

RUN = "soak.run"
PRODUCER = "soak.producer"
INCARNATION = "soak.incarnation"
SEQ = "soak.seq"
SENT_NS = "soak.sent_ns"
CRC = "soak.crc32c"
NAMES = (RUN, PRODUCER, INCARNATION, SEQ, SENT_NS, CRC)


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

    __slots__ = ("_fixed", "key")

    def __init__(self, run_id: str, producer_id: str, incarnation: int):
        self._fixed = [(RUN, run_id.encode()), (PRODUCER, producer_id.encode()),
                       (INCARNATION, str(incarnation).encode())]
        self.key = KeyWriter(run_id, producer_id, incarnation).key  # (seq, sent_ns, crc) -> bytes

    def headers(self, seq: int, sent_ns: int, crc: int) -> list[tuple[str, bytes]]:
        return [*self._fixed, (SEQ, b"%d" % seq), (SENT_NS, b"%d" % sent_ns), (CRC, b"%d" % crc)]


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
