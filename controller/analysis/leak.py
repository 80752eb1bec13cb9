"""Leak detector (pure): a sustained, robust upward trend of a process's memory floors
that keeps its pace.

Memory is reduced to floors (minimum per `floor_s`), the warm-up is left out (a setting,
by default the later of `min_warm_up_s` and the end of fitted rises that level off, in
stages, `warm_up.py`), and the trailing `window_s` of floors, from the knee where growth
started if it started within it (`onset.py`), must show, together:
  - a Mann-Kendall upward trend, variance corrected for serial correlation (Hamed-Rao),
    with p below `max_p`;
  - a Theil-Sen slope whose lower 95 % bound is above both `min_slope_per_h` and
    `min_pct_per_h` % of the post-warm-up baseline;
  - a straight line fitting better than the best single step (a cache filled once, a
    restart), not beaten by a staircase of two steps by more than its extra parameters
    explain (a heap grown in steps; BIC), and no worse than the best rise that levels off
    (`saturation.py`);
  - the pace kept: the last third not slower than the first (`pace.py`), the floors
    climbing above where they were before the growth, and the later half still rising;
after growth has been seen for `min_floors` floors and for `growth_vs_warm_up` of the
warm-up; sustained over `sustain` consecutive evaluations,
one every `eval_every_s`. The same detector judges consumer-lag floors (in records instead
of MB). Every time constant is a setting so a compressed run can use seconds where a real
one uses minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

from controller.analysis.onset import knee
from controller.analysis.pace import slows_down, thirds
from controller.analysis.saturation import best_rise
from controller.analysis.series import Series, floors
from controller.analysis.stats import line_and_step_errors, trend, two_step_error
from controller.analysis.sustain import Detection, walk
from controller.analysis.warm_up import staged_warm_up

HOUR_S = 3600.0


@dataclass(frozen=True)
class LeakSettings:
    floor_s: float = 300.0
    warm_up_s: float | None = None  # None: max(min_warm_up_s, the fitted warm-up)
    min_warm_up_s: float = 3600.0
    fit_within_s: float = 6 * 3600.0  # the warm-up is looked for in this first span
    settled_share: float = 0.02  # a warm-up ends where its slope has fallen to this share of its peak
    window_s: float = 8 * 3600.0  # the trailing span of floors judged
    min_floors: int = 24
    growth_vs_warm_up: float = 0.5  # growth judged must have been seen for this share of the warm-up
    min_pace_share: float = 0.65  # the last third's slope must be at least this share of the first third's
    rise_margin: float = 0.0  # the line's errors may exceed a levelled-off rise's by this share
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
    rise_sse: float | None = None
    first_third_per_h: float | None = None
    last_third_per_h: float | None = None
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
    head = tuple((t - s.floor_s / 2, v) for t, v in floor_points if t - start_s <= s.fit_within_s)
    if len(head) < 6:
        return start_s + s.min_warm_up_s
    return start_s + max(s.min_warm_up_s, _fitted_end(head, start_s, s.floor_s, s.fit_within_s, s.settled_share))


@lru_cache(maxsize=256)
def _fitted_end(head: tuple, start_s: float, floor_s: float, fit_within_s: float, settled_share: float) -> float:
    # Cached: once the first span is complete, every later evaluation fits the same floors.
    ts, ys = [t for t, _ in head], [v for _, v in head]
    return staged_warm_up(ts, ys, start_s, settled_share)


def staircase_preferred(line_sse: float, two_step_sse: float, n: int) -> bool:
    """The Bayesian information criterion prefers the staircase of two steps (three levels
    and two breakpoints, three parameters more than a line): it must fit better by more
    than its extra parameters explain, so that noise and slow wander on a leak's line do
    not pass for steps."""
    if not math.isfinite(two_step_sse) or line_sse <= 0.0:
        return False  # too few floors for three levels, or a line that fits exactly
    if two_step_sse <= 0.0:
        return True
    return n * math.log(line_sse / two_step_sse) > 3 * math.log(n)


def above_earlier(recent: list[float], earlier: list[float]) -> bool:
    """A leak takes the floors above anything seen since the warm-up; a periodic load or
    a recovery from a dip only climbs back. The last third's median against the highest
    of the earlier floors, each the median of three so one high floor does not count."""
    smoothed = [sorted(earlier[i:i + 3])[len(earlier[i:i + 3]) // 2] for i in range(len(earlier))]
    last_third = sorted(recent[-max(len(recent) // 3, 1):])
    return last_third[len(last_third) // 2] > max(smoothed)


def judged_span(after: Series, s: LeakSettings) -> Series:
    """The trailing `window_s` of the floors after the warm-up, from the knee where growth
    started if it started within it."""
    end = after[-1][0]
    window = [(t, v) for t, v in after if t > end - s.window_s]
    if len(window) < s.min_floors:
        window = list(after[-s.min_floors:])
    k = knee([t / HOUR_S for t, _ in window], [v for _, v in window], s.min_slope_per_h)
    return window[k:] if k is not None else window


def evaluate(floor_points: Series, s: LeakSettings, start_s: float = 0.0) -> LeakCheck:
    """Judge the floors seen so far (bucket end times in seconds, from `start_s`)."""
    warm = warm_up_end(floor_points, s, start_s)
    after = [(t, v) for t, v in floor_points if t - s.floor_s >= warm]
    if len(after) < s.min_floors:
        return LeakCheck(False, f"{len(after)} floors after the warm-up, {s.min_floors} needed", warm - start_s,
                         len(after))
    baseline = sorted(v for _, v in after[:3])[len(after[:3]) // 2]
    window = judged_span(after, s)
    end = after[-1][0]
    grown_s = end - window[0][0] + s.floor_s
    # A long warm-up leaves a long tail: growth is judged once seen for a share of it.
    need_s = max(s.min_floors * s.floor_s, s.growth_vs_warm_up * (warm - start_s))
    if grown_s < need_s:
        return LeakCheck(False, f"growth seen for {grown_s:.0f} s, {need_s:.0f} s needed after a warm-up of "
                                f"{warm - start_s:.0f} s", warm - start_s, len(window), window=(window[0][0], end))
    ts = [t / HOUR_S for t, _ in window]
    ys = [v for _, v in window]
    tr = trend(ts, ys)
    line_sse, step_sse, _ = line_and_step_errors(ts, ys)
    rise = best_rise(ts, ys, s.settled_share, with_line=False)
    first, last = thirds(ts, ys)
    earlier = [v for t, v in after if t < window[0][0]]
    min_slope = max(s.min_slope_per_h, s.min_pct_per_h / 100.0 * abs(baseline))
    hours_to_limit = None
    if s.limit is not None and tr.slope > 0:
        hours_to_limit = max(0.0, (s.limit - ys[-1]) / tr.slope)
    check = LeakCheck(False, "leak", warm - start_s, len(window), tr.slope, tr.slope_low, tr.p_increasing,
                      line_sse, step_sse, rise.sse if rise else None, first.slope, last.slope, baseline, ys[-1],
                      min_slope, hours_to_limit, (window[0][0], end))
    if tr.p_increasing >= s.max_p:
        return replace(check, why=f"no significant upward trend (p={tr.p_increasing:.2g})")
    if tr.slope_low <= min_slope:
        return replace(check, why=f"slope lower bound {tr.slope_low:.3g}/h is not above {min_slope:.3g}/h")
    if line_sse >= step_sse:
        return replace(check, why="a single step fits as well as a line")
    if staircase_preferred(line_sse, two_step_error(ys), len(ys)):
        return replace(check, why="two steps fit better than a line")
    if rise is not None and line_sse > (1.0 + s.rise_margin) * rise.sse:
        return replace(check, why="growth that levels off fits better than a line")
    if slows_down(first, last, s.min_pace_share):
        return replace(check, why=f"the growth slows down ({first.slope:.3g}/h in the first third, "
                                  f"{last.slope:.3g}/h in the last)")
    if earlier and not above_earlier(ys, earlier):
        return replace(check, why="the floors are not above where they were before the growth started")
    half = len(ts) // 2
    later = trend(ts[half:], ys[half:])
    if later.slope <= min_slope or later.slope_low <= 0:
        return replace(check, why=f"the later half does not keep rising ({later.slope:.3g}/h, "
                                  f"lower bound {later.slope_low:.3g}/h)")
    return replace(check, firing=True)


def detect(points: Series, s: LeakSettings, grid_origin_s: float | None = None) -> Detection[LeakCheck]:
    """Walk a whole series as the live detector would (an evaluation every `eval_every_s`
    on the floors complete by then) and report the first sustained detection. The floors'
    grid starts at the first sample unless `grid_origin_s` says where (live, it is cut on
    the clock)."""
    if not points:
        return Detection(False, None, LeakCheck(False, "no data"))
    start = points[0][0]
    origin = start if grid_origin_s is None else grid_origin_s
    all_floors = floors(points, s.floor_s, origin_s=origin, complete_until_s=points[-1][0] + 1e-9)
    return walk(all_floors, start, s.eval_every_s, s.sustain, lambda known: evaluate(known, s, start),
                lambda c: c.firing, LeakCheck(False, "no complete floor"))
