"""How good are the leak and regression detectors? Synthetic 24 h runs, seeded.

Null runs (nothing wrong: warm-up, GC sawtooth, autocorrelated noise, benign steps,
latency spikes and slow drift) count false alarms; injected runs (leaks of 0.5-10 MB/h
from the start, p99 steps of +5..50 % at a random time between hour 4 and hour 20)
count detections and their delay. The detectors run exactly as `soak detect` runs them,
with their default settings.

    python -m bench.detector_quality [--runs 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import time
from statistics import median

import numpy as np

from bench.synthetic_series import memory_series, p99_series
from controller.analysis.leak import LeakSettings
from controller.analysis.leak import detect as detect_leak
from controller.analysis.regression import RegressionSettings
from controller.analysis.regression import detect as detect_regression

LEAKS_MB_PER_H = (0.5, 1.0, 2.0, 5.0, 10.0)
STEPS_PCT = (5.0, 10.0, 15.0, 20.0, 30.0, 50.0)
STEP_FROM_S, STEP_TO_S = 4 * 3600.0, 20 * 3600.0


def p90(values: list[float]) -> float:
    return float(np.percentile(values, 90)) if values else float("nan")


def row(case: str, runs: int, delays: list[float], unit: str, scale: float) -> str:
    if not delays:
        return f"| {case} | {runs} | 0 | - | - |"
    return (f"| {case} | {runs} | {len(delays) / runs:.0%} | {median(delays) / scale:.2f} {unit} | "
            f"{p90(delays) / scale:.2f} {unit} |")


def leak_cases(runs: int, seed: int) -> list[str]:
    s = LeakSettings()
    false_alarms = 0
    for i in range(runs):
        t, y = memory_series(np.random.default_rng(seed * 1_000_000 + i))
        false_alarms += detect_leak(list(zip(t, y)), s).alert
    lines = [f"| null (no leak) | {runs} | {false_alarms} false alarms | - | - |"]
    for rate in LEAKS_MB_PER_H:
        delays = []
        for i in range(runs):
            t, y = memory_series(np.random.default_rng(seed * 1_000_000 + 10_000 * int(rate * 10) + i), rate)
            r = detect_leak(list(zip(t, y)), s)
            if r.alert:
                delays.append(r.detected_at_s)
        lines.append(row(f"leak {rate:g} MB/h", runs, delays, "h", 3600.0))
    return lines


def regression_cases(runs: int, seed: int) -> list[str]:
    s = RegressionSettings()
    false_alarms = 0
    for i in range(runs):
        t, y = p99_series(np.random.default_rng(seed * 2_000_000 + i))
        false_alarms += detect_regression(list(zip(t, y)), s).alert
    lines = [f"| null (no step) | {runs} | {false_alarms} false alarms | - | - |"]
    for pct in STEPS_PCT:
        delays = []
        for i in range(runs):
            rng = np.random.default_rng(seed * 2_000_000 + 10_000 * int(pct) + i)
            at = rng.uniform(STEP_FROM_S, STEP_TO_S)
            t, y = p99_series(rng, pct, at)
            r = detect_regression(list(zip(t, y)), s)
            if r.alert and r.detected_at_s >= at:  # an alert before the step is a false one
                delays.append(r.detected_at_s - at)
        lines.append(row(f"p99 +{pct:g} %", runs, delays, "min", 60.0))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="runs per case")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.monotonic()
    header = ["| case | runs | detected | median delay | p90 delay |", "|---|---|---|---|---|"]
    print(f"Leak detector, 24 h of 5 s memory samples per run ({args.runs} runs per case, seed {args.seed}):\n")
    print("\n".join(header + leak_cases(args.runs, args.seed)), flush=True)
    print(f"\nRegression detector, 24 h of 10 s p99 samples per run, step at a random time in hours 4-20:\n")
    print("\n".join(header + regression_cases(args.runs, args.seed)))
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
