import numpy as np
import pytest

from agents.core.rates import Burst, Constant, DiurnalSine, Steps


def test_constant_due_times_are_exact():
    p = Constant(1000)
    assert p.due_count(0) == 1 and p.due_count(0.0005) == 1 and p.due_count(1.0) == 1001
    assert np.allclose(p.due_time(np.array([0, 1, 1000])), [0, 0.001, 1.0])


def test_steps_change_the_rate_at_their_times():
    p = Steps(((0, 100), (10, 1000)))
    assert p.cumulative(10) == pytest.approx(1000)
    assert p.cumulative(11) == pytest.approx(2000)
    assert p.due_time(np.array([1500]))[0] == pytest.approx(10.5)
    assert p.rate(9.9) == 100 and p.rate(10) == 1000


def test_diurnal_sine_averages_to_its_mean_over_a_period():
    p = DiurnalSine(mean=500, amplitude=400, period_s=60)
    assert p.cumulative(60) == pytest.approx(500 * 60)
    assert p.rate(15) == pytest.approx(900)
    t = p.due_time(np.array([10_000.0]))[0]
    assert p.cumulative(t) == pytest.approx(10_000, abs=1e-6)


def test_burst_adds_the_burst_window_each_cycle():
    p = Burst(base=10, burst=1000, every_s=10, duration_s=1)
    assert p.cumulative(1) == pytest.approx(1000)
    assert p.cumulative(10) == pytest.approx(1000 + 90)
    assert p.cumulative(25) == pytest.approx(2 * 1090 + 1000 + 4 * 10)
    n = np.array([500.0, 1050.0])
    assert np.allclose(p.cumulative(p.due_time(n)), n)


def test_due_times_increase_and_invert_cumulative():
    for p in (Constant(250), Steps(((0, 50), (2, 0), (3, 500))), DiurnalSine(100, 90, 10), Burst(5, 500, 4, 0.5)):
        n = np.arange(0, 2000, dtype=np.float64)
        t = p.due_time(n)
        assert (np.diff(t) >= 0).all()
        assert np.allclose(p.cumulative(t), n, atol=1e-6)


@pytest.mark.parametrize("make", [lambda: Constant(0), lambda: Steps(((1, 5),)), lambda: Steps(((0, 0),)),
                                  lambda: DiurnalSine(10, 10), lambda: Burst(1, 10, 1, 2)])
def test_nonsense_profiles_are_refused(make):
    with pytest.raises(ValueError):
        make()
