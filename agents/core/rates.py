"""Open-loop rate profiles: when each record is *due*, independent of how sends go.

A profile gives the expected number of records sent by time t since the start,
`cumulative(t)`; record n (0-based) is due at `due_time(n)`, the first t with
cumulative(t) >= n. The producer stamps each record with its due time, so a stalled
broker shows up as latency (the backlog waits), not as a quietly lower rate: the
coordinated-omission correction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


class RateProfile:
    def rate(self, t: float) -> float:
        raise NotImplementedError

    def cumulative(self, t: np.ndarray | float) -> np.ndarray | float:
        raise NotImplementedError

    def due_count(self, t: float) -> int:
        """How many records are due by time t (records 0 .. n-1)."""
        return int(math.floor(float(self.cumulative(t)) + 1e-9)) + 1 if t >= 0 else 0

    def due_time(self, n: np.ndarray) -> np.ndarray:
        """Vectorised inverse of `cumulative` by bisection; exact profiles override it."""
        n = np.asarray(n, dtype=np.float64)
        lo = np.zeros_like(n)
        hi = np.ones_like(n)
        while True:  # grow the bracket until it holds every target
            short = self.cumulative(hi) < n
            if not short.any():
                break
            hi = np.where(short, hi * 2, hi)
        for _ in range(60):
            mid = (lo + hi) / 2
            below = self.cumulative(mid) < n
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return hi


@dataclass(frozen=True)
class Constant(RateProfile):
    per_second: float

    def __post_init__(self):
        if self.per_second <= 0:
            raise ValueError("rate must be positive")

    def rate(self, t):
        return self.per_second

    def cumulative(self, t):
        return np.asarray(t, dtype=np.float64) * self.per_second if isinstance(t, np.ndarray) else t * self.per_second

    def due_time(self, n):
        return np.asarray(n, dtype=np.float64) / self.per_second


@dataclass(frozen=True)
class Steps(RateProfile):
    """Piecewise-constant rate: `steps` is ((start_s, per_second), ...) from 0, ascending."""

    steps: tuple[tuple[float, float], ...]

    def __post_init__(self):
        if not self.steps or self.steps[0][0] != 0:
            raise ValueError("steps must start at t=0")
        if any(b[0] <= a[0] for a, b in zip(self.steps, self.steps[1:])):
            raise ValueError("step times must increase")
        if any(r < 0 for _, r in self.steps) or all(r == 0 for _, r in self.steps):
            raise ValueError("rates must be >= 0 and not all zero")

    def rate(self, t):
        return [r for start, r in self.steps if start <= t][-1]

    def cumulative(self, t):
        t = np.asarray(t, dtype=np.float64)
        total = np.zeros_like(t)
        for i, (start, r) in enumerate(self.steps):
            end = self.steps[i + 1][0] if i + 1 < len(self.steps) else np.inf
            total += r * np.clip(np.minimum(t, end) - start, 0, None)
        return total if total.ndim else float(total)


@dataclass(frozen=True)
class DiurnalSine(RateProfile):
    """mean + amplitude * sin(2 pi t / period): a compressed day/night cycle."""

    mean: float
    amplitude: float
    period_s: float = 86_400.0

    def __post_init__(self):
        if not (0 <= self.amplitude < self.mean) or self.period_s <= 0:
            raise ValueError("need 0 <= amplitude < mean and a positive period")

    def rate(self, t):
        return self.mean + self.amplitude * math.sin(2 * math.pi * t / self.period_s)

    def cumulative(self, t):
        w = 2 * np.pi / self.period_s
        t = np.asarray(t, dtype=np.float64)
        out = self.mean * t + self.amplitude / w * (1 - np.cos(w * t))
        return out if out.ndim else float(out)


@dataclass(frozen=True)
class Burst(RateProfile):
    """`base` per second, and `burst` per second for `duration_s` at the start of every `every_s`."""

    base: float
    burst: float
    every_s: float
    duration_s: float

    def __post_init__(self):
        if self.base < 0 or self.burst <= 0 or not (0 < self.duration_s <= self.every_s):
            raise ValueError("need base >= 0, burst > 0 and 0 < duration <= every")

    def rate(self, t):
        return self.burst if (t % self.every_s) < self.duration_s else self.base

    def cumulative(self, t):
        t = np.asarray(t, dtype=np.float64)
        cycles, into = np.floor_divide(t, self.every_s), np.mod(t, self.every_s)
        in_burst = cycles * self.duration_s + np.minimum(into, self.duration_s)
        out = self.base * (t - in_burst) + self.burst * in_burst
        return out if out.ndim else float(out)
