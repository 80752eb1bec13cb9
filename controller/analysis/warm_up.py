"""Fitting where a warm-up ends (pure).

A process fills caches, pools and JIT-compiled code after it starts: its floors rise,
then level off, possibly on top of a leak. Warm-ups do not all start at once: a cache
fills once traffic reaches it (late, in an S), a heap grows in steps. So the fit is a line
plus the best rise that levels off, of any start, S-shaped or exponential
(`saturation.py`), ending where its slope has fallen to a small share of its peak; then
the same again on what follows, for warm-ups that come in stages. A rise counts when its
amplitude stands clearly above the residual noise."""

from __future__ import annotations

import numpy as np

from controller.analysis.saturation import best_rise

MIN_AMPLITUDE_SDS = 3.0  # a warm-up must rise clearly above the residual noise
MAX_STAGES = 3


def staged_warm_up(t, y, origin: float, settled_share: float) -> float:
    """Seconds from `origin` to the end of the last levelled-off rise, stage after stage
    (0 when there is none). A rise still under way at the last point is not counted: it
    is not known to be a warm-up yet."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    end = origin
    for _ in range(MAX_STAGES):
        keep = t > end
        rise = best_rise(t[keep], y[keep], settled_share, with_line=True)
        if rise is None or rise.amplitude <= MIN_AMPLITUDE_SDS * rise.sd or rise.end <= end:
            break
        end = rise.end
    return end - origin
