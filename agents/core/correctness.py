"""Compare what the table holds with what producers had acknowledged (pure).

The table side comes as islands: per stream, runs of consecutive sequence numbers
(lo, hi) with the number of rows in each run (more rows than numbers = duplicates).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.core.intervals import IntervalSet
from agents.core.sequence_ledger import StreamKey

EXAMPLES = 10


@dataclass
class StreamCheck:
    acked: int
    rows: int
    distinct: int
    min_seq: int | None
    max_seq: int | None
    missing: IntervalSet
    unexpected: IntervalSet

    @property
    def duplicate_rows(self) -> int:
        return self.rows - self.distinct


@dataclass
class CorrectnessReport:
    streams: dict[StreamKey, StreamCheck] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        return sum(len(s.missing) for s in self.streams.values())

    @property
    def duplicates(self) -> int:
        return sum(s.duplicate_rows for s in self.streams.values())

    @property
    def unexpected(self) -> int:
        return sum(len(s.unexpected) for s in self.streams.values())

    @property
    def ok(self) -> bool:
        return self.missing == 0 and self.duplicates == 0

    def summary(self) -> dict:
        examples = {"missing": [], "duplicated": [], "unexpected": []}
        for key, s in self.streams.items():
            name = f"{key[0]}|{key[1]}|{key[2]}"
            examples["missing"] += [[name, a, b] for a, b in s.missing][:EXAMPLES]
            examples["unexpected"] += [[name, a, b] for a, b in s.unexpected][:EXAMPLES]
            if s.duplicate_rows:
                examples["duplicated"].append([name, s.duplicate_rows])
        return {"ok": self.ok, "streams": len(self.streams), "missing": self.missing, "duplicates": self.duplicates,
                "unexpected": self.unexpected,
                "acked": sum(s.acked for s in self.streams.values()),
                "rows": sum(s.rows for s in self.streams.values()),
                "examples": {k: v[:EXAMPLES] for k, v in examples.items()}}


def compare(islands: dict[StreamKey, list[tuple[int, int, int]]], acked: dict[StreamKey, IntervalSet],
            settled: bool = True) -> CorrectnessReport:
    """Check every stream. With `settled=False` (records may still be in flight) only
    acknowledged sequences below the highest one the table holds can be missing: a
    partition is ingested in offset order, and seq order is offset order."""
    report = CorrectnessReport()
    for key in set(islands) | set(acked):
        present = IntervalSet((lo, hi) for lo, hi, _ in islands.get(key, ()))
        rows = sum(n for _, _, n in islands.get(key, ()))
        acks = acked.get(key, IntervalSet())
        expected = acks if settled else acks.intersection(IntervalSet([(0, (present.last() or -1) + 1)]))
        report.streams[key] = StreamCheck(acked=len(acks), rows=rows, distinct=len(present),
                                          min_seq=present.first(), max_seq=present.last(),
                                          missing=expected.difference(present),
                                          unexpected=present.difference(acks))
    return report
