"""The leak, regression and change-point detectors and their statistics, on literal series."""

from __future__ import annotations

import math

import pytest

from controller.analysis import changepoint, leak, regression, stats
from controller.analysis.alerts import LEAK, Alert, Finding, apply
from controller.analysis.series import floors, medians, outside
from controller.analysis.sustain import Sustained
from controller.analysis.warm_up import staged_warm_up

HOUR = 3600.0


def wobble(i: int, amplitude: float) -> float:
    """Deterministic noise without a trend: two incommensurate sines."""
    return amplitude * (math.sin(i * 0.7) + 0.6 * math.sin(i * 2.3 + 1.0)) / 1.6


def memory(hours: float = 12, leak_mb_per_h: float = 0.0, warm_mb: float = 0.0, warm_tau_s: float = 600,
           step_mb: float = 0.0, step_at_h: float = 6.0, every_s: float = 30.0) -> list[tuple[float, float]]:
    """RSS in MB: 200 MB, GC sawtooth of 10 MB every 90 s, wobble, and what is asked for."""
    out = []
    for i in range(int(hours * HOUR / every_s)):
        t = i * every_s
        v = 200 + 10 * ((t % 90) / 90) + wobble(i, 0.4) + leak_mb_per_h * t / HOUR
        v += warm_mb * (1 - math.exp(-t / warm_tau_s))
        v += step_mb if t >= step_at_h * HOUR else 0.0
        out.append((t, v))
    return out


# -- statistics ---------------------------------------------------------------------------------------
def test_student_t_p_values_match_the_tables():
    assert stats.t_two_sided_p(2.0, 10) == pytest.approx(0.0734, abs=1e-4)
    assert stats.t_two_sided_p(3.5, 5) == pytest.approx(0.0173, abs=1e-4)
    assert stats.t_two_sided_p(0.0, 7) == pytest.approx(1.0)


def test_mann_kendall_sees_a_trend_and_not_noise():
    t = list(range(40))
    rising = stats.trend(t, [0.1 * i + wobble(i, 0.5) for i in t])
    flat = stats.trend(t, [wobble(i, 0.5) for i in t])
    assert rising.p_increasing < 1e-6 and 0.08 < rising.slope < 0.12 and rising.slope_low > 0.05
    assert flat.p_increasing > 0.01 and flat.slope_low < 0 < flat.slope_high


def test_hamed_rao_correction_widens_the_variance_of_correlated_series():
    t = list(range(60))
    correlated = [math.sin(i / 6.0) + 0.01 * i for i in t]  # long swings: strongly autocorrelated
    r = stats.trend(t, correlated)
    assert r.correction > 1.5
    assert stats.trend(t, [wobble(i, 1) for i in t]).correction >= 1.0


def test_ranks_share_ties():
    import numpy as np
    assert list(stats.ranks(np.array([10.0, 20.0, 10.0, 30.0]))) == [1.5, 3.0, 1.5, 4.0]


def test_mann_whitney_one_sided():
    low, high = [1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]
    assert stats.mann_whitney_greater(low, high).p < 0.005
    assert stats.mann_whitney_greater(high, low).p > 0.99


def test_a_step_fits_a_step_and_a_line_fits_a_line():
    t = list(range(30))
    line_sse, step_sse, _ = stats.line_and_step_errors(t, [0.5 * i + wobble(i, 0.2) for i in t])
    assert line_sse < step_sse
    line_sse, step_sse, where = stats.line_and_step_errors(t, [(5.0 if i >= 12 else 0.0) + wobble(i, 0.2) for i in t])
    assert step_sse < line_sse and where == 12


# -- series --------------------------------------------------------------------------------------------
def test_floors_and_medians_skip_the_unfinished_bucket():
    points = [(0, 5.0), (10, 3.0), (20, 9.0), (30, 1.0), (40, 2.0)]
    assert floors(points, 30, complete_until_s=45) == [(30, 3.0)]
    assert medians(points, 30) == [(30, 5.0), (60, 1.5)]
    assert outside(points, [(10, 30)]) == [(0, 5.0), (30, 1.0), (40, 2.0)]


# -- leak detector -------------------------------------------------------------------------------------
def test_a_two_mb_per_hour_leak_alerts_with_its_slope():
    result = leak.detect(memory(leak_mb_per_h=2.0), leak.LeakSettings())
    assert result.alert
    assert result.detected_at_s < 4 * HOUR
    assert 1.7 < result.check.slope_per_h < 2.3 and result.check.p < 1e-3


def test_a_flat_series_does_not_alert():
    assert not leak.detect(memory(), leak.LeakSettings()).alert


def test_a_benign_single_step_does_not_alert():
    result = leak.detect(memory(step_mb=25.0, step_at_h=5.0), leak.LeakSettings())
    assert not result.alert, result.check


def test_warm_up_growth_does_not_alert():
    # 60 MB of caches filling with a 20-minute time constant: still rising after an hour.
    result = leak.detect(memory(warm_mb=60.0, warm_tau_s=1200), leak.LeakSettings())
    assert not result.alert, result.check
    assert result.check.warm_up_s > HOUR  # the fitted warm-up, longer than the minimum


def test_a_leak_under_the_minimum_slope_does_not_alert():
    result = leak.detect(memory(leak_mb_per_h=0.3), leak.LeakSettings())
    assert not result.alert and "lower bound" in result.check.why


def test_a_short_alert_is_not_sustained():
    state = Sustained()
    for now, firing in enumerate([True, True, False, True, True]):
        state = state.step(firing, now, sustain=3)
    assert state.since_s is None and state.consecutive == 2
    state = state.step(True, 5, sustain=3)
    assert state.since_s == 5
    assert state.step(True, 6, sustain=3).since_s == 5  # still the same alert
    assert Sustained.from_json(state.to_json()) == state
    assert Sustained.from_json([3, 5.0]) == Sustained(3, 5.0)  # a checkpoint written before `quiet`


def test_an_alert_resolves_only_after_as_many_quiet_evaluations_as_it_took_to_open():
    """One borderline evaluation inside a long alert must not close it and page again."""
    state = Sustained()
    for now in range(3):
        state = state.step(True, now, sustain=3)
    assert state.since_s == 2
    for now, firing in enumerate([False, True, False, False, True], start=3):
        state = state.step(firing, now, sustain=3)
        assert state.since_s == 2, (now, state)  # never two quiet ones in a row: the same alert
    assert Sustained.from_json(state.to_json()) == state
    for now in (8, 9):
        state = state.step(False, now, sustain=3)
        assert state.since_s == 2
    assert state.step(False, 10, sustain=3) == Sustained()  # the third quiet one in a row
    assert Sustained().step(True, 0, sustain=1).step(False, 1, sustain=1) == Sustained()


def test_projected_time_to_a_memory_limit():
    points = floors(memory(hours=6, leak_mb_per_h=10.0), 300, complete_until_s=6 * HOUR)
    check = leak.evaluate(points, leak.LeakSettings(limit=300.0))
    assert check.firing
    assert check.hours_to_limit == pytest.approx((300 - check.last_floor) / check.slope_per_h)


def test_compressed_time_constants_judge_seconds():
    s = leak.LeakSettings(floor_s=5, min_warm_up_s=20, fit_within_s=60, window_s=600, min_floors=12,
                          eval_every_s=5, min_slope_per_h=50)
    points = [(t, 100 + 600 * t / HOUR + wobble(t, 0.3)) for t in range(0, 300)]  # 600 MB/h, 1 s samples
    result = leak.detect(points, s)
    assert result.alert and result.detected_at_s < 150


def test_fitted_warm_up_finds_saturation_and_ignores_a_line():
    t = [300.0 * i for i in range(1, 49)]
    saturating = [50 * (1 - math.exp(-x / 1200)) + wobble(i, 0.2) for i, x in enumerate(t)]
    assert 4000 < staged_warm_up(t, saturating, 0.0, 0.02) < 8000
    assert staged_warm_up(t, [0.001 * x + wobble(i, 0.2) for i, x in enumerate(t)], 0.0, 0.02) == 0.0


# -- regression detector -------------------------------------------------------------------------------
def p99(hours: float = 10, step_pct: float = 0.0, step_at_h: float = 5.0, spikes: bool = False,
        every_s: float = 10.0) -> list[tuple[float, float]]:
    out = []
    for i in range(int(hours * HOUR / every_s)):
        t = i * every_s
        v = 50 * (1 + 0.05 * math.sin(i * 0.37) * math.cos(i * 0.11))
        if t >= step_at_h * HOUR:
            v *= 1 + step_pct / 100
        if spikes and i % 97 == 0:
            v *= 8
        out.append((t, v))
    return out


def test_a_twenty_percent_p99_step_alerts_within_the_hour():
    result = regression.detect(p99(step_pct=20), regression.RegressionSettings())
    assert result.alert
    assert 0 < result.detected_at_s - 5 * HOUR < HOUR
    assert result.check.effect == pytest.approx(0.2, abs=0.03)


def test_spikes_and_small_shifts_do_not_alert():
    assert not regression.detect(p99(spikes=True), regression.RegressionSettings()).alert
    result = regression.detect(p99(step_pct=8), regression.RegressionSettings())
    assert not result.alert and "minimum effect" in result.check.why


def test_throughput_regression_is_a_drop():
    s = regression.RegressionSettings(direction="down", min_effect=0.10)
    drop = [(t, 1000 / (v / 50)) for t, v in p99(step_pct=25)]  # 1000/s falling by a fifth
    assert regression.detect(drop, s).alert
    rise = [(t, 1000 * v / 50) for t, v in p99(step_pct=25)]
    assert not regression.detect(rise, s).alert


def test_an_earlier_run_is_a_baseline():
    s = regression.RegressionSettings()
    earlier = p99(hours=6)
    slower = [(t, v * 1.3) for t, v in p99(hours=6)]
    assert regression.detect(slower, s, baseline_points=earlier).alert
    assert not regression.detect(p99(hours=6), s, baseline_points=earlier).alert


# -- change points across runs ------------------------------------------------------------------------
def test_e_divisive_finds_the_run_where_p99_moved():
    runs = [100 + wobble(i, 2) for i in range(12)] + [125 + wobble(i, 2) for i in range(12, 17)]
    (cp,) = changepoint.change_points(runs)
    assert cp.index == 12 and cp.p < 1e-3 and cp.change == pytest.approx(0.25, abs=0.03)
    assert changepoint.change_points([100 + wobble(i, 2) for i in range(20)]) == []


# -- alerts --------------------------------------------------------------------------------------------
def test_alerts_open_update_and_resolve_once():
    opened = apply({}, [Finding(LEAK, "producer-0", True, "leak", {"slope": 2})], 10)
    assert opened == [Alert(LEAK, "producer-0", "leak", {"slope": 2}, 10, 10)]
    book = {opened[0].key: opened[0]}
    (updated,) = apply(book, [Finding(LEAK, "producer-0", True, "leak", {"slope": 3})], 20)
    assert updated.first_seen_ns == 10 and updated.last_seen_ns == 20 and updated.active
    (resolved,) = apply({updated.key: updated}, [Finding(LEAK, "producer-0", False)], 30)
    assert resolved.resolved_ns == 30 and not resolved.active
    assert apply({}, [Finding(LEAK, "producer-1", False)], 40) == []
    assert Alert.from_json(resolved.to_json()) == resolved


def test_the_two_step_error_is_the_best_staircase_of_three_levels():
    """Against a brute force over every pair of breakpoints, on random staircases and lines."""
    import numpy as np

    from controller.analysis.stats import two_step_error

    def brute(y, m=3):
        n, best = len(y), float("inf")
        for i in range(m, n - 2 * m + 1):
            for j in range(i + m, n - m + 1):
                best = min(best, sum(float(((s - s.mean()) ** 2).sum()) for s in (y[:i], y[i:j], y[j:])))
        return best

    rng = np.random.default_rng(7)
    for n in (9, 10, 23, 48):
        for shape in (np.repeat([0.0, 3.0, 5.0], n // 3 + 1)[:n], np.linspace(0, 5, n)):
            y = shape + rng.normal(0, 0.5, n)
            assert abs(two_step_error(y) - brute(y)) < 1e-6 * max(1.0, brute(y))
    assert two_step_error(np.arange(8.0)) == float("inf")  # too short for three levels of three
