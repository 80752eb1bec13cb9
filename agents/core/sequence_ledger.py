"""Classify every consumed record of a (producer, incarnation, partition) stream.

Sequence numbers start at 0 for each producer incarnation and partition. For each stream
the ledger keeps only `next` (one past the highest sequence seen) and the `missing`
sequences below it (holes not yet filled), so memory grows with anomalies, not records.

    seq == next            in order
    seq >  next            gap: next..seq-1 become missing (a *candidate* loss)
    seq <  next, missing   reordered (it fills a hole)
    seq <  next, otherwise duplicate
    bad CRC                corrupt (and still placed in the sequence, it did arrive)

A gap becomes a loss only if an acknowledged record is still missing after the final
drain (see `losses`). Updates are transactional: the consumer-verifier commits the
ledger together with the Iceberg commit of the same records, and rolls back what it did
not commit, so re-reading after a crash never counts a record twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Iterable

from agents.core.intervals import IntervalSet

StreamKey = tuple[str, int, int]  # (producer id, incarnation, partition)


class Verdict(str, Enum):
    IN_ORDER = "in_order"
    GAP = "gap"
    DUPLICATE = "duplicate"
    REORDERED = "reordered"
    CORRUPT = "corrupt"


@dataclass
class LedgerCounts:
    in_order: int = 0
    gaps: int = 0  # gap events
    gap_records: int = 0  # records skipped over by gaps (filled later or not)
    duplicate: int = 0
    reordered: int = 0
    corrupt: int = 0

    def add(self, other: "LedgerCounts") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def records(self) -> int:
        return self.in_order + self.gaps + self.duplicate + self.reordered + self.corrupt


@dataclass
class StreamState:
    next: int = 0
    missing: IntervalSet = field(default_factory=IntervalSet)

    def copy(self) -> "StreamState":
        return StreamState(self.next, self.missing.copy())

    def received(self) -> IntervalSet:
        return IntervalSet([(0, self.next)]).difference(self.missing)

    def to_json(self) -> list:
        return [self.next, self.missing.to_list()]

    @classmethod
    def from_json(cls, raw: list) -> "StreamState":
        return cls(int(raw[0]), IntervalSet.from_list(raw[1]))


class SequenceLedger:
    def __init__(self) -> None:
        self._committed: dict[StreamKey, StreamState] = {}
        self._pending: dict[StreamKey, StreamState] = {}
        self.committed_counts = LedgerCounts()
        self._pending_counts = LedgerCounts()

    def _state(self, key: StreamKey) -> StreamState:
        state = self._pending.get(key)
        if state is None:
            base = self._committed.get(key)
            state = base.copy() if base is not None else StreamState()
            self._pending[key] = state
        return state

    def observe_run(self, key: StreamKey, first: int, count: int) -> bool:
        """`count` records with sequences first, first+1, ... and good CRCs, all at once: True
        when they are in order (the stream expected `first`); False and nothing changed
        otherwise (observe them one by one)."""
        state = self._state(key)
        if first != state.next:
            return False
        state.next = first + count
        self._pending_counts.in_order += count
        return True

    def observe(self, key: StreamKey, seq: int, crc_ok: bool = True) -> Verdict:
        state = self._state(key)
        counts = self._pending_counts
        if seq == state.next:
            state.next = seq + 1
            verdict = Verdict.IN_ORDER
        elif seq > state.next:
            state.missing.add_range(state.next, seq)
            counts.gap_records += seq - state.next
            state.next = seq + 1
            verdict = Verdict.GAP
        elif state.missing.remove(seq):
            verdict = Verdict.REORDERED
        else:
            verdict = Verdict.DUPLICATE
        if not crc_ok:
            verdict = Verdict.CORRUPT
        if verdict is Verdict.IN_ORDER:
            counts.in_order += 1
        elif verdict is Verdict.GAP:
            counts.gaps += 1
        elif verdict is Verdict.REORDERED:
            counts.reordered += 1
        elif verdict is Verdict.DUPLICATE:
            counts.duplicate += 1
        else:
            counts.corrupt += 1
        return verdict

    def count_unplaced_corrupt(self, count: int) -> None:
        """Records of ours whose envelope was too damaged to tell their stream or sequence."""
        self._pending_counts.corrupt += count

    # -- transactions -------------------------------------------------------------------------
    def commit(self) -> None:
        self._committed.update(self._pending)
        self._pending.clear()
        self.committed_counts.add(self._pending_counts)
        self._pending_counts = LedgerCounts()

    def rollback(self) -> None:
        self._pending.clear()
        self._pending_counts = LedgerCounts()

    def pending_counts(self) -> LedgerCounts:
        return self._pending_counts

    # -- committed view -----------------------------------------------------------------------
    def keys(self) -> Iterable[StreamKey]:
        return self._committed.keys()

    def stream(self, key: StreamKey) -> StreamState | None:
        return self._committed.get(key)

    def received(self) -> dict[StreamKey, IntervalSet]:
        return {k: s.received() for k, s in self._committed.items()}

    def missing(self) -> dict[StreamKey, IntervalSet]:
        """Candidate losses: holes not (yet) filled."""
        return {k: s.missing.copy() for k, s in self._committed.items() if s.missing.interval_count}

    # -- durable state, per partition (stored with the Iceberg commit) --------------------------
    def partition_state(self, partition: int, include_pending: bool = False) -> dict[str, list]:
        """The streams of one partition, as stored with a commit. With `include_pending`,
        the state as it will be once the pending records are committed."""
        streams = dict(self._committed)
        if include_pending:
            streams.update(self._pending)
        return {f"{pid}|{inc}": s.to_json() for (pid, inc, p), s in streams.items() if p == partition}

    def load_partition_state(self, partition: int, raw: dict[str, list]) -> None:
        """Replace what the ledger knows of `partition` with a stored state."""
        for key in [k for k in self._committed if k[2] == partition]:
            del self._committed[key]
        for name, state in raw.items():
            pid, inc = name.rsplit("|", 1)
            self._committed[(pid, int(inc), partition)] = StreamState.from_json(state)

    def forget_partition(self, partition: int) -> None:
        """After a partition is revoked its new owner carries its state on."""
        for key in [k for k in self._committed if k[2] == partition]:
            del self._committed[key]


def _per_stream_difference(left: dict[StreamKey, IntervalSet],
                           right: dict[StreamKey, IntervalSet]) -> dict[StreamKey, IntervalSet]:
    """Per stream, what `left` holds and `right` does not (streams with nothing left out)."""
    out = {}
    for key, values in left.items():
        rest = values.difference(right.get(key, IntervalSet()))
        if rest.interval_count:
            out[key] = rest
    return out


def losses(acked: dict[StreamKey, IntervalSet], received: dict[StreamKey, IntervalSet]) -> dict[StreamKey, IntervalSet]:
    """Acknowledged records that never arrived: the only thing that counts as lost."""
    return _per_stream_difference(acked, received)


def unacknowledged_deliveries(acked: dict[StreamKey, IntervalSet],
                              received: dict[StreamKey, IntervalSet]) -> dict[StreamKey, IntervalSet]:
    """Records that arrived although their producer never saw an ack (timeouts): not errors."""
    return _per_stream_difference(received, acked)
