"""Fitting where a warm-up ends (pure).

A process fills caches, pools and JIT-compiled code after it starts: its floors rise
fast, then level off, possibly on top of a leak. The model is
    y = a + c t - b exp(-t / tau)
(a line, plus growth that saturates with time constant tau), fitted by least squares
over a grid of tau. The warm-up ends when what is left of the saturating part is below
one percent of it: 5 tau after the start. No significant saturating part: no warm-up.
"""

from __future__ import annotations

import numpy as np

SETTLED_TAUS = 5.0  # exp(-5) < 1 %: what is left of the warm-up is under the noise
MIN_AMPLITUDE_SDS = 3.0  # a warm-up must rise clearly above the residual noise


def fitted_warm_up(t, y, origin: float, tau_min: float, tau_max: float, steps: int = 24) -> float:
    """Seconds from `origin` (the process's start) to the end of the fitted warm-up (0
    when there is none)."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(t) < 6 or tau_max <= tau_min:
        return 0.0
    x = t - origin
    best = (np.inf, 0.0, 0.0, 0.0)  # sse, tau, amplitude, residual sd
    for tau in np.geomspace(tau_min, tau_max, steps):
        design = np.column_stack([np.ones_like(x), x, -np.exp(-x / tau)])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        resid = y - design @ coef
        sse = float(resid @ resid)
        if sse < best[0]:
            best = (sse, float(tau), float(coef[2]), float(np.sqrt(sse / max(len(y) - 3, 1))))
    _, tau, amplitude, sd = best
    if amplitude <= MIN_AMPLITUDE_SDS * sd:
        return 0.0
    return SETTLED_TAUS * tau
