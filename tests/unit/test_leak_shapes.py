"""The leak detector on warm-ups that start late and rise in an S, and on the suite's
compressed time constants (literal, deterministic series)."""

from __future__ import annotations

import math
import random
from pathlib import Path

from controller.analysis import leak
from workloads.loader import load_workload

HOUR = 3600.0
SUITE = Path(__file__).resolve().parents[1] / "integration" / "workloads"


def wobble(i: int, amplitude: float) -> float:
    """Deterministic noise without a trend: two incommensurate sines."""
    return amplitude * (math.sin(i * 0.7) + 0.6 * math.sin(i * 2.3 + 1.0)) / 1.6


def s_shaped(t: float, amplitude: float, centre_s: float, end_s: float) -> float:
    """A logistic rise that is at 99 % at `end_s`."""
    width = (end_s - centre_s) / math.log(99.0)
    return amplitude / (1.0 + math.exp(-(t - centre_s) / width))


def late_warm_up(hours: float = 24, leak_mb_per_h: float = 0.0, leak_from_h: float = 4.0,
                 every_s: float = 30.0) -> list[tuple[float, float]]:
    """200 MB, GC sawtooth, wobble, and a cache of 80 MB filling in an S from 1.5 h to 3.5 h."""
    out = []
    for i in range(int(hours * HOUR / every_s)):
        t = i * every_s
        v = 200 + 10 * ((t % 90) / 90) + wobble(i, 0.4) + s_shaped(t, 80.0, 2.5 * HOUR, 3.5 * HOUR)
        v += leak_mb_per_h * max(0.0, t - leak_from_h * HOUR) / HOUR
        out.append((t, v))
    return out


def test_an_s_shaped_warm_up_ending_at_three_and_a_half_hours_does_not_alert():
    result = leak.detect(late_warm_up(), leak.LeakSettings())
    assert not result.alert, result.check
    assert result.check.warm_up_s >= 3.5 * HOUR  # the fitted end of the S, not the one-hour minimum


def test_a_two_mb_per_hour_leak_after_that_warm_up_alerts_before_the_run_ends():
    result = leak.detect(late_warm_up(leak_mb_per_h=2.0, leak_from_h=4.0), leak.LeakSettings())
    assert result.alert, result.check
    assert 4 * HOUR < result.detected_at_s < 24 * HOUR
    assert 1.5 < result.check.slope_per_h < 2.5


def test_growth_still_under_way_is_not_judged_a_warm_up_yet():
    points = [(t, v) for t, v in late_warm_up(hours=3.0)]  # the S is at its steepest
    check = leak.evaluate(leak.floors(points, 300, complete_until_s=3 * HOUR), leak.LeakSettings())
    assert not check.firing


def compressed_settings(name: str) -> leak.LeakSettings:
    return load_workload(str(SUITE / f"{name}.yaml")).analysis.memory.settings()


def process_rss(seconds: float, leak_mb_per_h: float, warm_mb: float, warm_end_s: float) -> list[tuple[float, float]]:
    """A Python agent's RSS at 1 s: an S-shaped warm-up in seconds, allocator sawtooth, wobble."""
    return [(float(t), 60 + s_shaped(t, warm_mb, warm_end_s / 2, warm_end_s) + 3 * ((t % 7) / 7) + wobble(t, 0.3)
             + leak_mb_per_h * t / HOUR) for t in range(int(seconds))]


def test_the_suites_leaky_compressed_run_still_raises_its_alert():
    # leaky.yaml: 1,800 MB/h from the start, a run of 0.1 h.
    s = compressed_settings("leaky")
    result = leak.detect(process_rss(0.1 * HOUR, 1800.0, 40.0, 40.0), s)
    assert result.alert and result.detected_at_s < 0.1 * HOUR, result.check


def test_the_suites_compressed_soak_has_no_leak_alert():
    # compressed.yaml: no leak, a warm-up of up to two minutes, a run of 9 minutes.
    s = compressed_settings("compressed")
    for warm_end_s in (20.0, 60.0, 120.0):
        result = leak.detect(process_rss(9 * 60, 0.0, 60.0, warm_end_s), s)
        assert not result.alert, (warm_end_s, result.check)


DATA = Path(__file__).parent / "data"


def recorded_rss(name: str) -> list[tuple[float, float]]:
    """A producer's RSS as the node agent sampled it in a real leaky.yaml run (seconds from
    the run's start, MB), its samples at 5 s."""
    lines = (DATA / f"leaky_producer_rss_{name}.csv").read_text().splitlines()
    return [(float(t), float(v)) for t, v in (line.split(",") for line in lines if not line.startswith("#"))]


def detected_at(points: list[tuple[float, float]], s: leak.LeakSettings, phase_s: float) -> float | None:
    """When `leak.detect` names the leak with the floors' grid shifted by `phase_s`."""
    return leak.detect(points, s, grid_origin_s=points[0][0] + phase_s - s.floor_s).detected_at_s


def test_a_real_leaking_producer_is_named_whatever_the_floors_grid():
    # Its pace wanders by 10-15 % from minute to minute (buffers beside the retained bytes):
    # a slowdown judged by its precision alone missed it at most grid phases.
    s = compressed_settings("leaky")
    for name in ("a", "b"):
        points = recorded_rss(name)
        for phase_s in range(int(s.floor_s)):
            at = detected_at(points, s, float(phase_s))
            assert at is not None and at < 0.1 * HOUR, (name, phase_s, at)


def test_a_leak_whose_pace_follows_the_load_is_named():
    # 1,800 MB/h on average, the pace swinging +-20 % with a load that changes every few
    # minutes (seeded); the leak is the average, not the instantaneous pace.
    s = compressed_settings("leaky")
    for seed in range(10):
        rng = random.Random(seed)
        periods = [rng.uniform(60, 240) for _ in range(3)]
        phases = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
        held, points = 0.0, []
        for t in range(int(0.1 * HOUR)):
            swing = sum(math.sin(2 * math.pi * t / p + f) for p, f in zip(periods, phases)) / 3
            held += 1800.0 * (1 + 0.2 * swing) / HOUR
            points.append((float(t), 60 + s_shaped(t, 40.0, 20.0, 40.0) + 3 * ((t % 7) / 7) + wobble(t, 0.3) + held))
        result = leak.detect(points, s)
        assert result.alert and result.detected_at_s < 0.1 * HOUR, (seed, result.check)


def staircase(hours: float = 24, steps_at_h: tuple[float, ...] = (6.0, 9.0), step_mb: float = 15.0,
              leak_mb_per_h: float = 0.0, leak_from_h: float = 4.0, every_s: float = 30.0) -> list[tuple[float, float]]:
    """200 MB, GC sawtooth, wobble, a warm-up of 40 MB over the first hour, and a heap grown
    in steps of `step_mb` at `steps_at_h` (a JVM resizing, a cache filled in stages)."""
    out = []
    for i in range(int(hours * HOUR / every_s)):
        t = i * every_s
        v = 200 + 10 * ((t % 90) / 90) + wobble(i, 0.4) + 40 * (1 - math.exp(-t / (0.25 * HOUR)))
        v += step_mb * sum(t >= h * HOUR for h in steps_at_h)
        v += leak_mb_per_h * max(0.0, t - leak_from_h * HOUR) / HOUR
        out.append((t, v))
    return out


def test_a_heap_grown_in_two_steps_does_not_alert():
    """Two steps inside one judged window: no single step fits, the staircase does."""
    for steps in ((6.0, 9.0), (5.0, 7.5), (10.0, 14.0)):
        result = leak.detect(staircase(steps_at_h=steps), leak.LeakSettings())
        assert not result.alert, (steps, result.check)


def test_a_leak_across_a_step_still_alerts():
    result = leak.detect(staircase(steps_at_h=(8.0,), leak_mb_per_h=2.0, leak_from_h=4.0), leak.LeakSettings())
    assert result.alert and result.detected_at_s < 24 * HOUR, result.check
