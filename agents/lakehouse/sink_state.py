"""The consumer-verifiers' durable state, kept in the Iceberg snapshot summary.

Per Kafka partition: the next offset to read and the sequence ledger of that partition.
Written in the same commit as the rows it describes, so the table and the state can
never disagree: exactly-once ingestion across crashes and rebalances.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

STATE_KEY = "soak.state"
VERSION = 1


@dataclass
class PartitionState:
    offset: int  # the next offset to read
    ledger: dict[str, list] = field(default_factory=dict)


@dataclass
class SinkState:
    topic: str
    partitions: dict[int, PartitionState] = field(default_factory=dict)

    def offset(self, partition: int) -> int | None:
        st = self.partitions.get(partition)
        return st.offset if st else None

    def with_updates(self, updates: dict[int, PartitionState]) -> "SinkState":
        merged = dict(self.partitions)
        merged.update(updates)
        return SinkState(self.topic, merged)

    def to_summary(self) -> dict[str, str]:
        body = {"v": VERSION, "topic": self.topic,
                "p": {str(p): [s.offset, s.ledger] for p, s in sorted(self.partitions.items())}}
        return {STATE_KEY: json.dumps(body, separators=(",", ":"))}

    @classmethod
    def from_summary(cls, summary: dict[str, str] | None, topic: str) -> "SinkState | None":
        raw = (summary or {}).get(STATE_KEY)
        if raw is None:
            return None
        body = json.loads(raw)
        if body.get("v") != VERSION:
            raise ValueError(f"unknown soak state version {body.get('v')!r}")
        if body.get("topic") != topic:
            raise ValueError(f"table holds state of topic {body.get('topic')!r}, not {topic!r}: "
                             "use one table per topic")
        return cls(topic, {int(p): PartitionState(int(v[0]), v[1]) for p, v in body["p"].items()})


class Fenced(Exception):
    """Another verifier advanced a partition this one thought it owned (a zombie commit)."""


def check_fence(current: SinkState, expected_offsets: dict[int, int | None]) -> None:
    """Refuse to commit unless every partition starts where the table says it ended."""
    moved = {p: (current.offset(p), start) for p, start in expected_offsets.items() if current.offset(p) != start}
    if moved:
        detail = ", ".join(f"partition {p}: table at {have}, batch from {want}" for p, (have, want) in moved.items())
        raise Fenced(detail)


def received_from_state(state: SinkState) -> dict:
    """Every stream's received sequences as the table's state records them (all partitions,
    whichever verifier owned them): the input of the final loss check."""
    from agents.core.sequence_ledger import StreamState

    out = {}
    for partition, pstate in state.partitions.items():
        for name, raw in pstate.ledger.items():
            producer_id, incarnation = name.rsplit("|", 1)
            out[(producer_id, int(incarnation), partition)] = StreamState.from_json(raw).received()
    return out
