"""Saturating curves (pure, numpy): how well growth that levels off explains a span.

A warm-up rises and levels off; a leak does not. Two families of rises from 0 to 1 are
fitted on a grid, each scaled by least squares on top of a level (and, for the warm-up
fit, a line):
  - logistic S curves 1 / (1 + exp(-(t - m) / w)), a cache that fills once traffic
    reaches it;
  - delayed exponentials 1 - exp(-(t - t0) / tau) from t0 on, a pool filled at start.
Only curves that have levelled off before the span ends are candidates: their slope has
fallen to `settled_share` of its peak by then, and stayed so for a tenth of the span. A rise still under way is not yet known
to be a warm-up, and a hockey stick (a leak that starts late) must not pass for one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GRID_CENTRES = 12
GRID_WIDTHS = 8
SEEN_SETTLED = 0.1  # share of the span a rise must have been seen level for: noise at the end is no rise


@dataclass(frozen=True)
class Rise:
    sse: float  # of the best fit, with the rise
    amplitude: float  # of the rise, in the series' unit
    end: float  # where its slope has fallen to the settled share of its peak
    sd: float  # residual standard deviation


def logistic_settle(share: float) -> float:
    """Widths after the centre where a logistic's slope is `share` of its peak."""
    # slope / peak = 4 s (1 - s); solved for the upper side.
    s = (1.0 + math.sqrt(max(1.0 - share, 0.0))) / 2.0
    return math.log(s / (1.0 - s))


def candidate_rises(t: np.ndarray, settled_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Rises on a grid (one per row) and where each has settled, for the span `t`."""
    t0, t1 = float(t[0]), float(t[-1])
    span = max(t1 - t0, 1e-9)
    widths = np.geomspace(span / 60.0, span / 3.0, GRID_WIDTHS)
    starts = t0 + span * np.linspace(0.0, 0.9, GRID_CENTRES)
    k_logistic = logistic_settle(settled_share)
    k_exp = math.log(1.0 / settled_share)
    m, w = np.meshgrid(starts, widths, indexing="ij")
    m, w = m.ravel(), w.ravel()
    z = np.clip((t[None, :] - m[:, None]) / w[:, None], -50.0, 50.0)
    logistic = 1.0 / (1.0 + np.exp(-z))
    exponential = np.where(z > 0, 1.0 - np.exp(-np.clip(z, 0.0, None)), 0.0)
    curves = np.vstack([logistic, exponential])
    ends = np.concatenate([m + k_logistic * w, m + k_exp * w])
    return curves, ends


def best_rise(t, y, settled_share: float, with_line: bool) -> Rise | None:
    """The best levelled-off rise (positive amplitude) on top of a level, or of a line
    when `with_line`; None when no candidate rises."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(t)
    if n < 6:
        return None
    curves, ends = candidate_rises(t, settled_share)
    keep = ends <= t[-1] - SEEN_SETTLED * (t[-1] - t[0])
    curves, ends = curves[keep], ends[keep]
    if not len(ends):
        return None
    # Partial out the level (and line) from y and from every curve; what is left of a
    # curve, scaled, explains what is left of y.
    basis = np.column_stack([np.ones(n), (t - t.mean()) / max(np.ptp(t), 1e-9)] if with_line else [np.ones(n)])
    q, _ = np.linalg.qr(basis)
    y_left = y - q @ (q.T @ y)
    c_left = curves - (curves @ q) @ q.T
    cc = np.einsum("ij,ij->i", c_left, c_left)
    cy = c_left @ y_left
    ok = (cc > 1e-12) & (cy > 0)
    if not ok.any():
        return None
    gain = np.where(ok, cy * cy / np.where(ok, cc, 1.0), -np.inf)
    i = int(np.argmax(gain))
    sse = float(y_left @ y_left - gain[i])
    dof = max(n - basis.shape[1] - 3, 1)
    return Rise(max(sse, 0.0), float(cy[i] / cc[i]), float(ends[i]), math.sqrt(max(sse, 0.0) / dof))
