"""Series reductions (pure): time buckets, floors and medians.

A series is a list of (t_seconds, value). Memory is judged on floors (the minimum of each
bucket) so garbage-collector sawtooth does not count; latency and throughput on bucket
medians so one spike does not.
"""

from __future__ import annotations

import math
from statistics import median
from typing import Callable, Iterable, Sequence

Series = Sequence[tuple[float, float]]


def buckets(points: Iterable[tuple[float, float]], width_s: float, reduce: Callable[[list[float]], float],
            origin_s: float = 0.0, complete_until_s: float | None = None, min_points: int = 1) -> list[tuple[float, float]]:
    """One (bucket end time, reduced value) per bucket of `width_s` from `origin_s`. With
    `complete_until_s`, the last bucket is only kept once it is over (a half-filled
    floor would be higher than a full one)."""
    grouped: dict[int, list[float]] = {}
    for t, v in points:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        grouped.setdefault(int((t - origin_s) // width_s), []).append(float(v))
    out = []
    for k in sorted(grouped):
        end = origin_s + (k + 1) * width_s
        if complete_until_s is not None and end > complete_until_s:
            continue
        if len(grouped[k]) >= min_points:
            out.append((end, reduce(grouped[k])))
    return out


def floors(points: Series, width_s: float, origin_s: float = 0.0, complete_until_s: float | None = None,
           min_points: int = 1) -> list[tuple[float, float]]:
    return buckets(points, width_s, min, origin_s, complete_until_s, min_points)


def medians(points: Series, width_s: float, origin_s: float = 0.0, complete_until_s: float | None = None,
            min_points: int = 1) -> list[tuple[float, float]]:
    return buckets(points, width_s, median, origin_s, complete_until_s, min_points)


def between(points: Series, start_s: float, end_s: float) -> list[tuple[float, float]]:
    return [(t, v) for t, v in points if start_s <= t < end_s]


def outside(points: Series, windows: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points outside every (start, end) window: what a fault and its recovery do not touch."""
    if not windows:
        return list(points)
    return [(t, v) for t, v in points if not any(a <= t < b for a, b in windows)]
