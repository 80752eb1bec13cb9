"""The producer's record of which sequence numbers the broker acknowledged, per partition."""

from __future__ import annotations

import numpy as np

from agents.core.intervals import IntervalSet
from agents.core.sequence_ledger import StreamKey


class AckLedger:
    def __init__(self, producer_id: str, incarnation: int):
        self.producer_id = producer_id
        self.incarnation = incarnation
        self._acked: dict[int, IntervalSet] = {}
        self.failed = 0

    def ack(self, partition: int, seq: int) -> None:
        acked = self._acked.get(partition)
        if acked is None:
            acked = self._acked[partition] = IntervalSet()
        acked.add(seq)

    def ack_many(self, partitions: np.ndarray, seqs: np.ndarray) -> None:
        """Many acknowledgements at once, in delivery order: each run of consecutive
        sequences of one partition is one interval step."""
        if len(seqs) == 0:
            return
        breaks = np.flatnonzero((partitions[1:] != partitions[:-1]) | (seqs[1:] != seqs[:-1] + 1)) + 1
        starts = np.r_[0, breaks]
        stops = np.r_[breaks, len(seqs)]
        for p, first, last in zip(partitions[starts].tolist(), seqs[starts].tolist(), seqs[stops - 1].tolist()):
            acked = self._acked.get(p)
            if acked is None:
                acked = self._acked[p] = IntervalSet()
            acked.add_range(first, last + 1)

    def fail(self) -> None:
        """A record the broker did not acknowledge: counted, never owed to the table."""
        self.failed += 1

    @property
    def acked_count(self) -> int:
        return sum(len(s) for s in self._acked.values())

    @property
    def interval_count(self) -> int:
        return sum(s.interval_count for s in self._acked.values())

    def by_stream(self) -> dict[StreamKey, IntervalSet]:
        return {(self.producer_id, self.incarnation, p): s.copy() for p, s in self._acked.items()}

    def to_json(self) -> dict:
        return {"producer_id": self.producer_id, "incarnation": self.incarnation, "failed": self.failed,
                "acked": {str(p): s.to_list() for p, s in self._acked.items()}}

    @classmethod
    def from_json(cls, raw: dict) -> "AckLedger":
        ledger = cls(raw["producer_id"], int(raw["incarnation"]))
        ledger.failed = int(raw.get("failed", 0))
        ledger._acked = {int(p): IntervalSet.from_list(v) for p, v in raw["acked"].items()}
        return ledger


def merge_acks(ledgers) -> dict[StreamKey, IntervalSet]:
    """All producers' acknowledgements, keyed by stream."""
    out: dict[StreamKey, IntervalSet] = {}
    for ledger in ledgers:
        for key, acked in ledger.by_stream().items():
            out.setdefault(key, IntervalSet()).update(acked)
    return out
