"""Change points across runs (pure): E-Divisive means with a Student t-test.

As in Hunter (now Apache Otava): one point per run (a steady-state summary), the split
that maximises the energy-distance statistic between the two sides is a candidate; it is
kept when Welch's t-test between the sides gives p below `max_p`, and each side is split
again. Only the last `window` points are looked at, so an old regime does not dilute a
recent change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from controller.analysis.stats import welch_t_test


@dataclass(frozen=True)
class ChangePoint:
    index: int  # the first point of the new regime
    p: float
    mean_before: float
    mean_after: float

    @property
    def change(self) -> float:
        return (self.mean_after / self.mean_before - 1.0) if self.mean_before else 0.0


def _best_split(x: np.ndarray, min_size: int) -> int | None:
    n = len(x)
    if n < 2 * min_size:
        return None
    d = np.abs(x[:, None] - x[None, :])
    best, where = -np.inf, None
    for tau in range(min_size, n - min_size + 1):
        a, b = d[:tau, :tau], d[tau:, tau:]
        between = d[:tau, tau:].mean()
        within_a = a.sum() / (tau * (tau - 1)) if tau > 1 else 0.0
        within_b = b.sum() / ((n - tau) * (n - tau - 1)) if n - tau > 1 else 0.0
        q = tau * (n - tau) / n * (2 * between - within_a - within_b)
        if q > best:
            best, where = q, tau
    return where


def change_points(values, max_p: float = 1e-3, min_size: int = 3, window: int = 50) -> list[ChangePoint]:
    """Significant change points of `values`, in order (indices into `values`)."""
    x = np.asarray(values, dtype=float)
    offset = max(0, len(x) - window)
    x = x[offset:]
    found: list[ChangePoint] = []
    segments = [(0, len(x))]
    while segments:
        lo, hi = segments.pop()
        tau = _best_split(x[lo:hi], min_size)
        if tau is None:
            continue
        left, right = x[lo:lo + tau], x[lo + tau:hi]
        _, p = welch_t_test(left, right)
        if p < max_p:
            found.append(ChangePoint(offset + lo + tau, p, float(left.mean()), float(right.mean())))
            segments += [(lo, lo + tau), (lo + tau, hi)]
    return sorted(found, key=lambda c: c.index)
