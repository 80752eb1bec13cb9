"""Recovery after a fault (pure): baseline, criteria, and the watch that judges recovery."""

from __future__ import annotations

import pytest

from controller.faults.recovery import (NOT_RECOVERED, PENDING, RECOVERED, Baseline, Observation,
                                        ObservationWindow, RecoveryWatch, baseline, criteria)
from workloads.faults import RecoverySpec

SPEC = RecoverySpec(limit_s=60, hold_s=4, throughput_tolerance=0.2, lag_factor=2, lag_floor_records=1000,
                    lag_seconds=0.5)


def test_baseline_is_median_throughput_and_peak_lag_of_the_window():
    window = ObservationWindow(span_s=30)
    for t, rate, lag in [(0, 500, 100), (15, 2600, 4000), (35, 900, 3000), (40, 1000, 1000), (41, 1100, 800)]:
        window.add(Observation(t, rate, lag, p99_ms=t))
    base = baseline(window.items())  # t=0 fell out of the 30 s window; the 2,600 burst does not lift the bar
    assert base == Baseline(throughput=1050, lag=4000, p99_ms=41, observations=4)
    assert Baseline.from_json(base.to_json()) == base
    assert baseline([]) is None


def test_criteria_from_the_baseline_with_a_floor_on_lag():
    c = criteria(Baseline(1000, 300, None, 5), SPEC)
    assert (c.min_throughput, c.max_lag) == (800, 1000)
    assert criteria(Baseline(1000, 5000, None, 5), SPEC).max_lag == 10_000
    assert criteria(Baseline(1000, 5000, None, 5), RecoverySpec(max_lag_records=50)).max_lag == 50
    assert criteria(Baseline(2000, 300, None, 5), RecoverySpec()).max_lag == 20_000  # 10 s of load
    assert criteria(None, SPEC).min_throughput == 0  # no load seen before: only lag is judged


def watch() -> RecoveryWatch:
    return RecoveryWatch(healed_s=100, criteria=criteria(Baseline(1000, 300, None, 5), SPEC))


def test_recovered_from_the_first_observation_of_a_streak_that_holds():
    w = watch()
    series = [(102, 0, 50_000), (104, 900, 20_000), (106, 850, 900), (108, 500, 800),  # a dip breaks the streak
              (110, 950, 700), (112, 1000, 600), (114, 1200, 100)]
    outcomes = [w.observe(Observation(t, rate, lag)) for t, rate, lag in series]
    assert outcomes[:-1] == [PENDING] * 6 and outcomes[-1] == RECOVERED
    assert w.recovered_s == pytest.approx(10)  # from the heal at 100 to the streak that began at 110


def test_observations_before_the_heal_do_not_count():
    w = watch()
    assert w.observe(Observation(90, 1000, 0)) == PENDING and w.streak_since_s is None


def test_not_recovered_after_the_limit_and_then_final():
    w = watch()
    for t in range(101, 162, 2):
        outcome = w.observe(Observation(t, 100, 90_000))
    assert outcome == NOT_RECOVERED and w.recovered_s is None
    assert w.observe(Observation(170, 1000, 0)) == NOT_RECOVERED


def test_a_watch_survives_a_controller_restart():
    w = watch()
    w.observe(Observation(110, 1000, 0))
    again = RecoveryWatch.from_json(w.to_json())
    assert again.observe(Observation(114, 1000, 0)) == RECOVERED and again.recovered_s == pytest.approx(10)
