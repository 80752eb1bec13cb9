"""Regression detector (pure): a sustained shift of p99 latency up, or throughput down.

Both series are reduced to bucket medians (`bucket_s`, 5 minutes), so a spike does not
count. The trailing window (`trailing_s`) is compared with a baseline: within a run, the
first window after the warm-up (`baseline_s`); against an earlier run, that run's
post-warm-up medians. It fires when a one-sided Mann-Whitney test gives p below `max_p`
and the medians differ by at least `min_effect` (relative), for `sustain` consecutive
evaluations. Percentiles are never averaged: each point is the p99 of merged histograms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from statistics import median
from typing import Literal

from controller.analysis.series import Series, medians
from controller.analysis.stats import mann_whitney_greater
from controller.analysis.sustain import Detection, walk

UP, DOWN = "up", "down"


@dataclass(frozen=True)
class RegressionSettings:
    direction: Literal["up", "down"] = UP  # up: latency; down: throughput
    bucket_s: float = 300.0
    warm_up_s: float = 3600.0
    baseline_s: float = 2 * 3600.0
    trailing_s: float = 2700.0
    eval_every_s: float = 300.0
    sustain: int = 3
    max_p: float = 1e-3
    min_effect: float = 0.15  # relative change of the median: 0.15 = 15 %
    min_fill: float = 0.6  # a window needs this share of its buckets


@dataclass(frozen=True)
class RegressionCheck:
    firing: bool
    why: str
    effect: float | None = None  # trailing median / baseline median - 1
    p: float | None = None
    baseline_median: float | None = None
    trailing_median: float | None = None
    baseline_points: int = 0
    trailing_points: int = 0
    trailing_window: tuple[float, float] | None = None

    def evidence(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None and k != "firing"}


def baseline_window(bucket_medians: Series, s: RegressionSettings, start_s: float) -> list[float]:
    begin = start_s + s.warm_up_s
    return [v for t, v in bucket_medians if begin < t <= begin + s.baseline_s]


def evaluate(bucket_medians: Series, s: RegressionSettings, start_s: float = 0.0,
             baseline: list[float] | None = None) -> RegressionCheck:
    """Judge the medians known so far (bucket end times); `baseline` given: an earlier
    run's values instead of this run's first window."""
    if not bucket_medians:
        return RegressionCheck(False, "no data")
    base = baseline if baseline is not None else baseline_window(bucket_medians, s, start_s)
    need = max(3, int(s.min_fill * s.baseline_s / s.bucket_s)) if baseline is None else 3
    if len(base) < need:
        return RegressionCheck(False, f"{len(base)} baseline points, {need} needed", baseline_points=len(base))
    end = bucket_medians[-1][0]
    baseline_end = start_s + s.warm_up_s + s.baseline_s
    trailing = [v for t, v in bucket_medians if t > end - s.trailing_s and (baseline is not None or t > baseline_end)]
    need_trailing = max(3, int(s.min_fill * s.trailing_s / s.bucket_s))
    if len(trailing) < need_trailing:
        return RegressionCheck(False, f"{len(trailing)} trailing points, {need_trailing} needed",
                               baseline_points=len(base), trailing_points=len(trailing))
    b, tr = median(base), median(trailing)
    effect = (tr / b - 1.0) if b else 0.0
    test = mann_whitney_greater(base, trailing) if s.direction == UP else mann_whitney_greater(trailing, base)
    check = RegressionCheck(False, "regression", effect, test.p, b, tr, len(base), len(trailing),
                            (end - s.trailing_s, end))
    if test.p >= s.max_p:
        return replace(check, why=f"no significant shift (p={test.p:.2g})")
    worse = effect if s.direction == UP else -effect
    if worse < s.min_effect:
        return replace(check, why=f"shift of {effect:+.1%} is under the minimum effect of {s.min_effect:.0%}")
    return replace(check, firing=True)


def detect(points: Series, s: RegressionSettings,
           baseline_points: Series | None = None) -> Detection[RegressionCheck]:
    """Walk a whole series as the live detector would and report the first sustained
    detection. With `baseline_points` (an earlier run), its post-warm-up medians are
    the baseline."""
    if not points:
        return Detection(False, None, RegressionCheck(False, "no data"))
    start = points[0][0]
    all_medians = medians(points, s.bucket_s, origin_s=start, complete_until_s=points[-1][0] + 1e-9)
    baseline = None
    if baseline_points:
        b0 = baseline_points[0][0]
        baseline = [v for t, v in medians(baseline_points, s.bucket_s, origin_s=b0) if t - s.bucket_s >= b0 + s.warm_up_s]
    return walk(all_medians, start, s.eval_every_s, s.sustain, lambda known: evaluate(known, s, start, baseline),
                lambda c: c.firing, RegressionCheck(False, "no complete bucket"))
