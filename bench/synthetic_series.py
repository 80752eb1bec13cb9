"""Synthetic 24 h series for judging the detectors (seeded, reproducible).

Memory: 5 s RSS samples with a warm-up that saturates, GC sawtooth, fast autocorrelated
noise plus a slow wander, and (in some null runs) one benign step; a leak adds a constant
rate from the start. Latency: 10 s p99 samples with a warm-up, autocorrelated
multiplicative noise, short spikes and a slow benign drift; a regression multiplies from
a random time on.
"""

from __future__ import annotations

import numpy as np

DAY_S = 24 * 3600.0


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    """A stationary AR(1) series with standard deviation `sd`."""
    shocks = rng.normal(0.0, sd * np.sqrt(1 - phi * phi), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sd)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out


def memory_series(rng: np.random.Generator, leak_mb_per_h: float = 0.0, hours: float = 24.0,
                  interval_s: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """(t seconds, RSS in MB)."""
    t = np.arange(0.0, hours * 3600.0, interval_s)
    n = len(t)
    base = rng.uniform(150, 400)
    warm = rng.uniform(20, 80) * (1 - np.exp(-t / rng.uniform(300, 1200)))
    period = rng.uniform(30, 300)
    saw = rng.uniform(5, 30) * ((t + rng.uniform(0, period)) % period) / period
    fast = _ar1(rng, n, 0.9, rng.uniform(0.2, 0.8))
    wander = _ar1(rng, n, np.exp(-interval_s / 1800.0), rng.uniform(0.3, 1.0))
    y = base + warm + saw + fast + wander + leak_mb_per_h * t / 3600.0
    if leak_mb_per_h == 0.0 and rng.random() < 0.5:  # a cache filled once, a pool grown once
        at = rng.uniform(1.5 * 3600, hours * 3600 - 3600)
        y = y + np.where(t >= at, rng.uniform(5, 40), 0.0)
    return t, y


def p99_series(rng: np.random.Generator, step_pct: float = 0.0, step_at_s: float | None = None,
               hours: float = 24.0, interval_s: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """(t seconds, p99 in ms); a step of `step_pct` % from `step_at_s` on."""
    t = np.arange(0.0, hours * 3600.0, interval_s)
    n = len(t)
    base = rng.uniform(20, 200)
    warm = 1 + 0.5 * np.exp(-t / 300.0)
    noise = np.exp(_ar1(rng, n, 0.8, rng.uniform(0.05, 0.12)))
    drift = 1 + rng.uniform(0, 0.08) * t / (hours * 3600.0)  # slow, benign
    y = base * warm * noise * drift
    spikes = rng.random(n) < 0.003
    for i in np.flatnonzero(spikes):
        y[i:i + rng.integers(1, 7)] *= rng.uniform(2, 10)
    if step_pct and step_at_s is not None:
        y = y * np.where(t >= step_at_s, 1 + step_pct / 100.0, 1.0)
    return t, y
