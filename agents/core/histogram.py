"""A bounded, mergeable latency histogram (HDR-style log-linear buckets) in microseconds.

Values below 2048 us are exact; above, each power of two is split into 1024 buckets, so
any recorded value is within 0.1 % of the truth (three significant digits), from 1 us up
to `2**36` us (19 hours). Memory is fixed (about 230 KB dense); snapshots travel sparse.
Percentiles come from merged counts, never from averaged percentiles.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

SUB_BITS = 11  # 2048 exact values, then 1024 buckets per octave
SUB_COUNT = 1 << SUB_BITS
HALF = SUB_COUNT >> 1
MAX_EXPONENT = 36
MAX_VALUE = (1 << MAX_EXPONENT) - 1
BUCKETS = SUB_COUNT + (MAX_EXPONENT - SUB_BITS) * HALF


def bucket_index(values: np.ndarray) -> np.ndarray:
    v = np.clip(values.astype(np.int64, copy=False), 0, MAX_VALUE)
    # floor(log2(v)) + 1 is the bit length; frexp is exact for integers below 2**53.
    shift = np.maximum(np.frexp(v.astype(np.float64))[1] - SUB_BITS, 0)
    return np.where(v < SUB_COUNT, v, SUB_COUNT + (shift - 1) * HALF + (v >> shift) - HALF)


def bucket_upper(index: np.ndarray | int) -> np.ndarray:
    """The largest value that falls in each bucket (what percentiles report)."""
    i = np.asarray(index, dtype=np.int64)
    shift = (i - SUB_COUNT) // HALF + 1
    lower = (((i - SUB_COUNT) % HALF) + HALF) << np.maximum(shift, 0)
    return np.where(i < SUB_COUNT, i, lower + (1 << np.maximum(shift, 0)) - 1)


class LatencyHistogram:
    __slots__ = ("counts", "total", "max_value", "min_value", "sum_us", "overflow")

    def __init__(self) -> None:
        self.counts = np.zeros(BUCKETS, dtype=np.int64)
        self.total = 0
        self.max_value = 0
        self.min_value = MAX_VALUE
        self.sum_us = 0
        self.overflow = 0  # values beyond MAX_VALUE, recorded as MAX_VALUE

    def record(self, value_us: int) -> None:
        self.record_many(np.asarray([value_us], dtype=np.int64))

    def record_many(self, values_us: Iterable[int] | np.ndarray) -> None:
        v = np.asarray(values_us, dtype=np.int64)
        if v.size == 0:
            return
        v = np.maximum(v, 0)
        self.overflow += int(np.count_nonzero(v > MAX_VALUE))
        np.add.at(self.counts, bucket_index(v), 1) if v.size < 64 else \
            self.counts.__iadd__(np.bincount(bucket_index(v), minlength=BUCKETS))
        self.total += int(v.size)
        self.max_value = max(self.max_value, int(min(v.max(), MAX_VALUE)))
        self.min_value = min(self.min_value, int(v.min()))
        self.sum_us += int(v.sum())

    def merge(self, other: "LatencyHistogram") -> "LatencyHistogram":
        self.counts += other.counts
        self.total += other.total
        self.max_value = max(self.max_value, other.max_value)
        self.min_value = min(self.min_value, other.min_value)
        self.sum_us += other.sum_us
        self.overflow += other.overflow
        return self

    def percentile(self, p: float) -> int:
        """The value at percentile p (0-100), as the upper bound of its bucket; 0 when empty."""
        if self.total == 0:
            return 0
        rank = max(1, int(np.ceil(self.total * p / 100.0)))
        index = int(np.searchsorted(np.cumsum(self.counts), rank))
        return int(min(bucket_upper(index), self.max_value))

    def mean(self) -> float:
        return self.sum_us / self.total if self.total else 0.0

    def summary(self) -> dict[str, float]:
        return {"count": self.total, "min_us": self.min_value if self.total else 0, "mean_us": self.mean(),
                "p50_us": self.percentile(50), "p90_us": self.percentile(90), "p99_us": self.percentile(99),
                "p999_us": self.percentile(99.9), "max_us": self.max_value}

    def reset(self) -> None:
        self.__init__()

    # Sparse form for stats snapshots: only the buckets that hold something.
    def to_json(self) -> dict:
        nz = np.flatnonzero(self.counts)
        return {"i": nz.tolist(), "c": self.counts[nz].tolist(), "min": self.min_value, "max": self.max_value,
                "sum": self.sum_us, "of": self.overflow}

    @classmethod
    def from_json(cls, raw: dict) -> "LatencyHistogram":
        h = cls()
        if raw["i"]:
            h.counts[np.asarray(raw["i"], dtype=np.int64)] = np.asarray(raw["c"], dtype=np.int64)
        h.total = int(h.counts.sum())
        h.min_value, h.max_value = int(raw["min"]), int(raw["max"])
        h.sum_us, h.overflow = int(raw["sum"]), int(raw.get("of", 0))
        return h


def interval(current: LatencyHistogram, previous: LatencyHistogram | None) -> LatencyHistogram:
    """What was recorded between two snapshots of a cumulative histogram."""
    if previous is None:
        return current
    out = LatencyHistogram()
    out.counts = np.maximum(current.counts - previous.counts, 0)
    out.total = int(out.counts.sum())
    nz = np.flatnonzero(out.counts)
    if nz.size:
        out.min_value = int(bucket_upper(nz[0])) if nz[0] >= SUB_COUNT else int(nz[0])
        out.max_value = int(min(bucket_upper(nz[-1]), current.max_value))
    out.sum_us = max(0, current.sum_us - previous.sum_us)
    return out


def cumulative_buckets(hist: LatencyHistogram, bounds_us: list[int]) -> list[int]:
    """Counts at or below each bound (Prometheus `le` buckets), from the exact buckets."""
    if hist.total == 0:
        return [0] * len(bounds_us)
    cum = np.cumsum(hist.counts)
    uppers = bucket_upper(np.arange(BUCKETS))
    idx = np.searchsorted(uppers, np.asarray(bounds_us, dtype=np.int64), side="right") - 1
    return [int(cum[i]) if i >= 0 else 0 for i in idx]
