"""Whether growth keeps its pace (pure): a leak does, a warm-up slows down.

The Theil-Sen slope of the last third of a span against that of its first third. Medians
of pairwise slopes, so a spike or a single low floor does not decide it.
"""

from __future__ import annotations

import numpy as np

from controller.analysis.stats import Trend, trend


def thirds(t, y) -> tuple[Trend, Trend]:
    """The trends of the first and the last third (each with its slope's 95 % bounds)."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    third = max(len(t) // 3, 4)
    return trend(t[:third], y[:third]), trend(t[-third:], y[-third:])


def slows_down(first: Trend, last: Trend, min_share: float) -> bool:
    """The last third is slower than `min_share` of the first. Only by that much: a real
    process's leak keeps its pace only roughly (it follows the load and the allocator), and a
    precise slope makes a slowdown of a few per cent significant without making it a warm-up."""
    return last.slope < min_share * first.slope
