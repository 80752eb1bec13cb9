"""Synthetic 24 h series for judging the detectors (seeded, reproducible).

Memory: 5 s RSS samples. Every series has a base, a warm-up, GC sawtooth, fast
autocorrelated noise and a slow wander; a null series of a given kind adds (or forces)
one thing that must not alert:

  exponential warm-up   saturating from the start (10-100 MB, over 0.3-2.5 h)
  late S-shaped warm-up a cache that fills once traffic reaches it: logistic, Gompertz,
                        smoothstep or a delayed exponential, starting late and ending
                        1.5-4 h in (20-150 MB)
  two-stage warm-up     two such rises, the second ending 1-4 h in
  benign steps          1-3 steps of 5-40 MB, up or down, anywhere after the first hour
  Student-t noise       heavy-tailed noise (2-5 degrees of freedom, scale 0.2-1 MB)
  periodic load         a sine of period 1-24 h (log-uniform), amplitude 0.5-3 MB
  one-sample spikes     rare single samples 20-200 MB off, up or down
  sawtooth              a sawtooth of 1 min to 1 h period and 5-60 MB, on top of the GC one

Outside its kind, a series' warm-up shape is drawn at random among the three. Every
parameter is drawn per series, so the family covers shapes, not a few fixed curves. A
leaking series draws its background kind at random and adds a constant rate from its
start time on.

Latency: 10 s p99 samples with a warm-up, autocorrelated multiplicative noise, short
spikes and a slow benign drift; a regression multiplies from a random time on.
"""

from __future__ import annotations

import numpy as np

DAY_S = 24 * 3600.0
HOUR_S = 3600.0
NULL_KINDS = ("exponential warm-up", "late S-shaped warm-up", "two-stage warm-up", "benign steps",
              "Student-t noise", "periodic load", "one-sample spikes", "sawtooth")
WARM_UP_KINDS = NULL_KINDS[:3]


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    """A stationary AR(1) series with standard deviation `sd`."""
    shocks = rng.normal(0.0, sd * np.sqrt(1 - phi * phi), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sd)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out


def rise(rng: np.random.Generator, t: np.ndarray, begin_s: float, end_s: float) -> np.ndarray:
    """0 before `begin_s`, about 1 from `end_s` on, in one of several S or saturating shapes."""
    span = max(end_s - begin_s, 60.0)
    x = (t - begin_s) / span
    shape = rng.integers(4)
    if shape == 0:  # logistic: 1 % at the beginning, 99 % at the end
        return 1.0 / (1.0 + np.exp(-(x - 0.5) * 9.19))
    if shape == 1:  # Gompertz: slow start, long tail
        return np.exp(-np.exp(-(-1.527 + x * 6.127)))
    if shape == 2:  # smoothstep: nothing before, nothing after
        s = np.clip(x, 0.0, 1.0)
        return s * s * (3 - 2 * s)
    return np.where(x > 0, 1.0 - np.exp(-np.clip(x, 0.0, None) * 4.6), 0.0)  # delayed exponential


def warm_up(rng: np.random.Generator, t: np.ndarray, kind: str) -> np.ndarray:
    if kind == "exponential warm-up":
        tau = rng.uniform(0.3, 2.5) * HOUR_S / 4.6
        return rng.uniform(10, 100) * (1 - np.exp(-t / tau))
    if kind == "late S-shaped warm-up":
        end = rng.uniform(1.5, 4.0) * HOUR_S
        return rng.uniform(20, 150) * rise(rng, t, end * (1 - rng.uniform(0.3, 0.9)), end)
    first_end = rng.uniform(0.5, 2.0) * HOUR_S
    second_end = rng.uniform(max(first_end + 0.5 * HOUR_S, HOUR_S), 4.0 * HOUR_S)
    first = rng.uniform(10, 80) * rise(rng, t, first_end * (1 - rng.uniform(0.4, 1.0)), first_end)
    second_begin = rng.uniform(first_end - 0.5 * HOUR_S, second_end - 0.3 * HOUR_S)
    return first + rng.uniform(10, 80) * rise(rng, t, second_begin, second_end)


def benign(rng: np.random.Generator, t: np.ndarray, kind: str, interval_s: float) -> np.ndarray:
    """What a null kind adds beyond its warm-up."""
    n, end = len(t), t[-1]
    if kind == "benign steps":
        out = np.zeros(n)
        for _ in range(rng.integers(1, 4)):
            out += np.where(t >= rng.uniform(HOUR_S, end - HOUR_S), rng.choice([-1, 1]) * rng.uniform(5, 40), 0.0)
        return out
    if kind == "Student-t noise":
        return rng.uniform(0.2, 1.0) * rng.standard_t(rng.uniform(2, 5), n)
    if kind == "periodic load":
        period = np.exp(rng.uniform(np.log(HOUR_S), np.log(DAY_S)))
        return rng.uniform(0.5, 3.0) * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    if kind == "one-sample spikes":
        out = np.zeros(n)
        at = np.flatnonzero(rng.random(n) < rng.uniform(1e-4, 1e-3))
        out[at] = rng.choice([-1, 1], len(at)) * rng.uniform(20, 200, len(at))
        return out
    if kind == "sawtooth":
        period = np.exp(rng.uniform(np.log(60.0), np.log(HOUR_S)))
        return rng.uniform(5, 60) * ((t + rng.uniform(0, period)) % period) / period
    return np.zeros(n)


def memory_series(rng: np.random.Generator, leak_mb_per_h: float = 0.0, leak_start_s: float = 0.0,
                  kind: str | None = None, hours: float = 24.0,
                  interval_s: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """(t seconds, RSS in MB) of one null kind (drawn at random when None), with a leak of
    `leak_mb_per_h` from `leak_start_s` on."""
    kind = kind if kind is not None else NULL_KINDS[rng.integers(len(NULL_KINDS))]
    t = np.arange(0.0, hours * HOUR_S, interval_s)
    n = len(t)
    shape = kind if kind in WARM_UP_KINDS else WARM_UP_KINDS[rng.integers(len(WARM_UP_KINDS))]
    period = rng.uniform(30, 300)
    saw = rng.uniform(5, 30) * ((t + rng.uniform(0, period)) % period) / period
    fast = _ar1(rng, n, 0.9, rng.uniform(0.2, 0.8))
    wander = _ar1(rng, n, np.exp(-interval_s / 1800.0), rng.uniform(0.3, 1.0))
    y = rng.uniform(150, 400) + warm_up(rng, t, shape) + saw + fast + wander + benign(rng, t, kind, interval_s)
    y = y + leak_mb_per_h * np.clip(t - leak_start_s, 0.0, None) / HOUR_S
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
