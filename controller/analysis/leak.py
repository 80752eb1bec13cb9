"""Leak detector (pure): a sustained, robust upward trend of a process's memory floors.

Memory is reduced to floors (minimum per `floor_s`), the warm-up is left out (a setting,
by default the later of `min_warm_up_s` and a fitted knee), and the trailing `window_s`
of floors must show, together:
  - a Mann-Kendall upward trend, variance corrected for serial correlation (Hamed-Rao),
    with p below `max_p`;
  - a Theil-Sen slope whose lower 95 % bound is above both `min_slope_per_h` and
    `min_pct_per_h` % of the post-warm-up baseline;
  - a straight line fitting better than the best single step (a cache filled once, a
    restart: not a leak), and the later half of the window still rising, significantly
    and faster than the minimum (a warm-up's tail or a slow wander levels off; a leak
    does not);
sustained over `sustain` consecutive evaluations, one every `eval_every_s`. The same
detector judges consumer-lag floors (in records instead of MB). Every time constant is a
setting so a compressed run can use seconds where a real one uses minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from controller.analysis.series import Series, floors
from controller.analysis.stats import line_and_step_errors, trend
from controller.analysis.sustain import Detection, walk
from controller.analysis.warm_up import SETTLED_TAUS, fitted_warm_up

HOUR_S = 3600.0


@dataclass(frozen=True)
class LeakSettings:
    floor_s: float = 300.0
    warm_up_s: float | None = None  # None: max(min_warm_up_s, the fitted knee)
    min_warm_up_s: float = 3600.0
    fit_within_s: float = 4 * 3600.0  # the knee is looked for in this first span
    window_s: float = 8 * 3600.0  # the trailing span of floors judged
    min_floors: int = 24
    eval_every_s: float = 300.0
    sustain: int = 3
    max_p: float = 1e-3
    min_slope_per_h: float = 0.5  # in the series' unit (MB for memory, records for lag)
    min_pct_per_h: float = 0.1  # % of the baseline floor
    limit: float | None = None  # a memory limit, for the projected time to reach it


@dataclass(frozen=True)
class LeakCheck:
    """One evaluation: whether every criterion held, and the numbers behind it."""

    firing: bool
    why: str  # the first criterion that failed, or "leak"
    warm_up_s: float = 0.0
    floors: int = 0
    slope_per_h: float | None = None
    slope_low_per_h: float | None = None
    p: float | None = None
    line_sse: float | None = None
    step_sse: float | None = None
    baseline: float | None = None
    last_floor: float | None = None
    min_slope_per_h: float | None = None
    hours_to_limit: float | None = None
    window: tuple[float, float] | None = None

    def evidence(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None and k != "firing"}


def warm_up_end(floor_points: Series, s: LeakSettings, start_s: float) -> float:
    if s.warm_up_s is not None:
        return start_s + s.warm_up_s
    # Fitted on the first span only: a warm-up is what happens after a start.
    head = [(t - s.floor_s / 2, v) for t, v in floor_points if t - start_s <= s.fit_within_s]
    fitted = fitted_warm_up([t for t, _ in head], [v for _, v in head], start_s, s.floor_s,
                            s.fit_within_s / SETTLED_TAUS) if len(head) >= 6 else 0.0
    return start_s + max(s.min_warm_up_s, fitted)


def evaluate(floor_points: Series, s: LeakSettings, start_s: float = 0.0) -> LeakCheck:
    """Judge the floors seen so far (bucket end times in seconds, from `start_s`)."""
    warm = warm_up_end(floor_points, s, start_s)
    after = [(t, v) for t, v in floor_points if t - s.floor_s >= warm]
    if len(after) < s.min_floors:
        return LeakCheck(False, f"{len(after)} floors after the warm-up, {s.min_floors} needed", warm - start_s,
                         len(after))
    baseline = sorted(v for _, v in after[:3])[len(after[:3]) // 2]
    end = after[-1][0]
    window = [(t, v) for t, v in after if t > end - s.window_s]
    if len(window) < s.min_floors:
        window = after[-s.min_floors:]
    ts = [t / HOUR_S for t, _ in window]
    ys = [v for _, v in window]
    tr = trend(ts, ys)
    line_sse, step_sse, _ = line_and_step_errors(ts, ys)
    min_slope = max(s.min_slope_per_h, s.min_pct_per_h / 100.0 * abs(baseline))
    hours_to_limit = None
    if s.limit is not None and tr.slope > 0:
        hours_to_limit = max(0.0, (s.limit - ys[-1]) / tr.slope)
    check = LeakCheck(False, "leak", warm - start_s, len(window), tr.slope, tr.slope_low, tr.p_increasing,
                      line_sse, step_sse, baseline, ys[-1], min_slope, hours_to_limit, (window[0][0], end))
    if tr.p_increasing >= s.max_p:
        return replace(check, why=f"no significant upward trend (p={tr.p_increasing:.2g})")
    if tr.slope_low <= min_slope:
        return replace(check, why=f"slope lower bound {tr.slope_low:.3g}/h is not above {min_slope:.3g}/h")
    if line_sse >= step_sse:
        return replace(check, why="a single step fits as well as a line")
    half = len(ts) // 2
    later = trend(ts[half:], ys[half:])
    if later.slope <= min_slope or later.slope_low <= 0:
        return replace(check, why=f"the later half does not keep rising ({later.slope:.3g}/h, "
                                  f"lower bound {later.slope_low:.3g}/h)")
    return replace(check, firing=True)


def detect(points: Series, s: LeakSettings) -> Detection[LeakCheck]:
    """Walk a whole series as the live detector would (an evaluation every `eval_every_s`
    on the floors complete by then) and report the first sustained detection."""
    if not points:
        return Detection(False, None, LeakCheck(False, "no data"))
    start = points[0][0]
    all_floors = floors(points, s.floor_s, origin_s=start, complete_until_s=points[-1][0] + 1e-9)
    return walk(all_floors, start, s.eval_every_s, s.sustain, lambda known: evaluate(known, s, start),
                lambda c: c.firing, LeakCheck(False, "no complete floor"))
