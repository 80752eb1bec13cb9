"""A set of integers stored as sorted, disjoint, half-open intervals [start, end).

Sequence numbers arrive almost in order, so the common case (extend the last interval)
is O(1) and memory grows with the number of holes, not the number of values: a
billion in-order acknowledgements take one interval.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Iterable, Iterator


class IntervalSet:
    __slots__ = ("_starts", "_ends")

    def __init__(self, intervals: Iterable[tuple[int, int]] = ()):
        self._starts: list[int] = []
        self._ends: list[int] = []
        for start, end in intervals:
            self.add_range(start, end)

    # -- queries ---------------------------------------------------------------------------
    def __contains__(self, value: int) -> bool:
        i = bisect_right(self._starts, value) - 1
        return i >= 0 and value < self._ends[i]

    def __len__(self) -> int:
        """How many integers the set holds."""
        return sum(e - s for s, e in zip(self._starts, self._ends))

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(zip(self._starts, self._ends))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IntervalSet) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"IntervalSet({list(self)!r})"

    @property
    def interval_count(self) -> int:
        return len(self._starts)

    def first(self) -> int | None:
        return self._starts[0] if self._starts else None

    def last(self) -> int | None:
        """The largest member."""
        return self._ends[-1] - 1 if self._ends else None

    # -- updates ---------------------------------------------------------------------------
    def add(self, value: int) -> bool:
        """Add one value; returns False if it was already present."""
        ends = self._ends
        if ends and value == ends[-1]:  # the hot path: the next in-order value
            ends[-1] = value + 1
            return True
        if value in self:
            return False
        self.add_range(value, value + 1)
        return True

    def add_range(self, start: int, end: int) -> None:
        if end <= start:
            return
        starts, ends = self._starts, self._ends
        # Every interval touching or overlapping [start, end) merges into one.
        lo = bisect_right(ends, start - 1)  # first interval whose end >= start
        hi = bisect_right(starts, end)  # first interval whose start > end
        if lo < hi:
            start = min(start, starts[lo])
            end = max(end, ends[hi - 1])
        starts[lo:hi] = [start]
        ends[lo:hi] = [end]

    def remove(self, value: int) -> bool:
        """Remove one value; returns False if it was absent."""
        i = bisect_right(self._starts, value) - 1
        if i < 0 or value >= self._ends[i]:
            return False
        s, e = self._starts[i], self._ends[i]
        pieces = [(a, b) for a, b in ((s, value), (value + 1, e)) if b > a]
        self._starts[i:i + 1] = [a for a, _ in pieces]
        self._ends[i:i + 1] = [b for _, b in pieces]
        return True

    def update(self, other: "IntervalSet") -> None:
        for start, end in other:
            self.add_range(start, end)

    # -- set algebra (results are new sets) ---------------------------------------------------
    def difference(self, other: "IntervalSet") -> "IntervalSet":
        out: list[tuple[int, int]] = []
        theirs = list(other)
        j = 0
        for s, e in self:
            cur = s
            while j < len(theirs) and theirs[j][1] <= cur:
                j += 1
            k = j
            while k < len(theirs) and theirs[k][0] < e:
                os_, oe = theirs[k]
                if os_ > cur:
                    out.append((cur, os_))
                cur = max(cur, oe)
                if cur >= e:
                    break
                k += 1
            if cur < e:
                out.append((cur, e))
        return IntervalSet(out)

    def intersection(self, other: "IntervalSet") -> "IntervalSet":
        return self.difference(self.difference(other))

    def copy(self) -> "IntervalSet":
        clone = IntervalSet()
        clone._starts = list(self._starts)
        clone._ends = list(self._ends)
        return clone

    def to_list(self) -> list[list[int]]:
        """JSON-friendly form: [[start, end), ...]."""
        return [[s, e] for s, e in self]

    @classmethod
    def from_list(cls, pairs: Iterable[Iterable[int]]) -> "IntervalSet":
        return cls((int(a), int(b)) for a, b in pairs)
