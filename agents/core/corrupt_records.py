"""Where the corrupt records were: partition, offset and what was damaged, for the report.

Bounded (the first `limit` of a verifier's life) and transactional like the sequence ledger:
what a verifier rolls back it reads again, and must not note twice.
"""

from __future__ import annotations

PAYLOAD = "payload checksum"
ENVELOPE_REPAIRED = "envelope checksum (one bit, repaired)"
ENVELOPE = "envelope checksum"
ENVELOPE_UNPLACED = "envelope damaged, record not identified"


class CorruptRecords:
    def __init__(self, limit: int = 20) -> None:
        self.limit = limit
        self._committed: list[tuple[int, int, str]] = []
        self._pending: list[tuple[int, int, str]] = []

    def note(self, partition: int, offset: int, what: str) -> None:
        if len(self._committed) + len(self._pending) < self.limit:
            self._pending.append((partition, offset, what))

    def commit(self) -> None:
        self._committed.extend(self._pending)
        self._pending = []

    def rollback(self) -> None:
        self._pending = []

    def examples(self) -> list[list]:
        return [list(e) for e in self._committed]
