"""Where growth started (pure): the knee of a hinge fit.

A leak that starts late is a hockey stick: flat, then a line. Judged on a window that
reaches back before the knee, its slope is diluted by the flat part and a step fits it
as well as a line; judged from the knee, it is a line. The hinge
    y = a + b t + c max(0, t - k)
is fitted by least squares for every knee k; the best is kept when the slope after it
is larger by more than `min_gain`, the floors were not falling before it (a leak starts
from a level; a periodic load or a wander turns from a fall), and it explains clearly more
than a straight line.
"""

from __future__ import annotations

import numpy as np

MIN_SIDE = 6  # floors on each side of a knee
MIN_F = 8.0  # the hinge against the line; well above the F table, as floors are serially correlated


def knee(t, y, min_gain: float) -> int | None:
    """Index of the first point after the knee, or None when the growth did not start
    within the span."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(t)
    if n < 2 * MIN_SIDE + 2:
        return None
    x = (t - t[0]) / max(np.ptp(t), 1e-9)
    ks = np.arange(MIN_SIDE, n - MIN_SIDE)
    hinge = np.clip(x[None, :] - x[ks - 1][:, None], 0.0, None)  # one candidate per row
    ones = np.ones((len(ks), n))
    design = np.stack([ones, np.broadcast_to(x, (len(ks), n)), hinge], axis=2)  # (K, n, 3)
    gram = np.einsum("kni,knj->kij", design, design)
    rhs = np.einsum("kni,n->ki", design, y)
    coef = np.linalg.solve(gram + 1e-12 * np.eye(3), rhs[..., None])[..., 0]
    resid = y[None, :] - np.einsum("kni,ki->kn", design, coef)
    sse = np.einsum("kn,kn->k", resid, resid)
    line = np.polyfit(x, y, 1)
    line_sse = float(np.sum((y - np.polyval(line, x)) ** 2))
    best = int(np.argmin(sse))
    before_per_t = coef[best, 1] / max(np.ptp(t), 1e-9)
    gain_per_t = coef[best, 2] / max(np.ptp(t), 1e-9)
    f = (line_sse - sse[best]) / max(sse[best] / (n - 4), 1e-12)
    if gain_per_t <= min_gain or before_per_t < -min_gain or f < MIN_F:
        return None
    return int(ks[best])
