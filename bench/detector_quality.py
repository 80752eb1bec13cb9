"""How good are the leak and regression detectors? Synthetic 24 h runs, seeded.

Null runs of each kind in `bench/synthetic_series.py` (nothing wrong: warm-ups of several
shapes, benign steps, heavy-tailed noise, periodic load, spikes, sawtooth) count false
alarms per 100 days; leaking runs (0.5-10 MB/h on a background of a random null kind,
from a random time in hours 0-14) count detections and their delay from the leak's start,
by leak size and by start time. The p99 series (steps of +5..50 % at a random time between
hour 4 and hour 20) do the same for the regression detector. The detectors run exactly as
`soak detect` runs them, with their default settings.

    python -m bench.detector_quality [--runs 100] [--seed 1] [--only leak|regression]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from statistics import median

import numpy as np

from bench.synthetic_series import NULL_KINDS, memory_series, p99_series
from controller.analysis.leak import LeakSettings
from controller.analysis.leak import detect as detect_leak
from controller.analysis.regression import RegressionSettings
from controller.analysis.regression import detect as detect_regression

HOUR_S = 3600.0
LEAKS_MB_PER_H = (0.5, 1.0, 2.0, 5.0, 10.0)
LEAK_FROM_S, LEAK_TO_S = 0.0, 14 * HOUR_S
START_BINS_H = ((0, 4), (4, 8), (8, 14))
STEPS_PCT = (5.0, 10.0, 15.0, 20.0, 30.0, 50.0)
STEP_FROM_S, STEP_TO_S = 4 * HOUR_S, 20 * HOUR_S


@dataclass(frozen=True)
class LeakRun:
    rate: float
    start_s: float
    kind: str
    detected_at_s: float | None  # None: no alert

    @property
    def found(self) -> bool:
        return self.detected_at_s is not None and self.detected_at_s >= self.start_s

    @property
    def early(self) -> bool:  # an alert before the leak started is a false one
        return self.detected_at_s is not None and self.detected_at_s < self.start_s

    @property
    def delay_s(self) -> float:
        return self.detected_at_s - self.start_s


def p90(values: list[float]) -> float:
    return float(np.percentile(values, 90)) if values else float("nan")


def delays(found: list[float], scale: float, unit: str) -> str:
    if not found:
        return "- | -"
    return f"{median(found) / scale:.2f} {unit} | {p90(found) / scale:.2f} {unit}"


def null_alarms(runs: int, seed: int, s: LeakSettings) -> dict[str, list[float]]:
    """Per null kind, the times of the false alarms (seconds from the start)."""
    out = {}
    for k, kind in enumerate(NULL_KINDS):
        out[kind] = []
        for i in range(runs):
            t, y = memory_series(np.random.default_rng([seed, 1, k, i]), kind=kind)
            r = detect_leak(list(zip(t, y)), s)
            if r.alert:
                out[kind].append(r.detected_at_s)
    return out


def leak_runs(runs: int, seed: int, s: LeakSettings) -> list[LeakRun]:
    out = []
    for rate in LEAKS_MB_PER_H:
        for i in range(runs):
            rng = np.random.default_rng([seed, 2, int(rate * 10), i])
            start = float(rng.uniform(LEAK_FROM_S, LEAK_TO_S))
            kind = NULL_KINDS[rng.integers(len(NULL_KINDS))]
            t, y = memory_series(rng, rate, start, kind)
            out.append(LeakRun(rate, start, kind, detect_leak(list(zip(t, y)), s).detected_at_s))
    return out


def leak_tables(runs: int, seed: int, s: LeakSettings | None = None) -> list[str]:
    s = s or LeakSettings()
    alarms = null_alarms(runs, seed, s)
    lines = ["| null kind | runs | false alarms per 100 days | at (h) |", "|---|---|---|---|"]
    for kind, at in alarms.items():
        when = ", ".join(f"{a / HOUR_S:.1f}" for a in sorted(at)) or "-"
        lines.append(f"| {kind} | {runs} | {100 * len(at) / runs:.0f} | {when} |")
    total = sum(len(at) for at in alarms.values())
    lines.append(f"| all | {runs * len(alarms)} | {100 * total / (runs * len(alarms)):.1f} | |")
    found = leak_runs(runs, seed, s)
    lines += ["", "| leak | runs | found | alert before the start | median delay | p90 delay |",
              "|---|---|---|---|---|---|"]
    for rate in LEAKS_MB_PER_H:
        these = [r for r in found if r.rate == rate]
        hits = [r.delay_s for r in these if r.found]
        lines.append(f"| {rate:g} MB/h | {len(these)} | {len(hits) / len(these):.0%} | "
                     f"{sum(r.early for r in these)} | {delays(hits, HOUR_S, 'h')} |")
    lines += ["", "| leak | " + " | ".join(f"starts {a}-{b} h" for a, b in START_BINS_H) + " |",
              "|---" * (len(START_BINS_H) + 1) + "|"]
    for rate in LEAKS_MB_PER_H:
        cells = []
        for a, b in START_BINS_H:
            these = [r for r in found if r.rate == rate and a * HOUR_S <= r.start_s < b * HOUR_S]
            hits = [r.delay_s for r in these if r.found]
            median_delay = f", median {median(hits) / HOUR_S:.1f} h" if hits else ""
            cells.append(f"{len(hits)}/{len(these)} found{median_delay}")
        lines.append(f"| {rate:g} MB/h | " + " | ".join(cells) + " |")
    return lines


def regression_cases(runs: int, seed: int) -> list[str]:
    s = RegressionSettings()
    false_alarms = 0
    for i in range(runs):
        t, y = p99_series(np.random.default_rng(seed * 2_000_000 + i))
        false_alarms += detect_regression(list(zip(t, y)), s).alert
    lines = ["| case | runs | detected | median delay | p90 delay |", "|---|---|---|---|---|",
             f"| null (no step) | {runs} | {false_alarms} false alarms | - | - |"]
    for pct in STEPS_PCT:
        hits = []
        for i in range(runs):
            rng = np.random.default_rng(seed * 2_000_000 + 10_000 * int(pct) + i)
            at = rng.uniform(STEP_FROM_S, STEP_TO_S)
            t, y = p99_series(rng, pct, at)
            r = detect_regression(list(zip(t, y)), s)
            if r.alert and r.detected_at_s >= at:  # an alert before the step is a false one
                hits.append(r.detected_at_s - at)
        lines.append(f"| p99 +{pct:g} % | {runs} | {len(hits) / runs:.0%} | {delays(hits, 60.0, 'min')} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="runs per case")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("leak", "regression"), help="one detector only")
    args = parser.parse_args()
    started = time.monotonic()
    if args.only != "regression":
        print(f"Leak detector, 24 h of 5 s memory samples per run ({args.runs} runs per case, seed {args.seed}); "
              f"leaks from a random time in hours 0-14, delays from the leak's start:\n")
        print("\n".join(leak_tables(args.runs, args.seed)), flush=True)
    if args.only != "leak":
        print(f"\nRegression detector, 24 h of 10 s p99 samples per run ({args.runs} runs per case, "
              f"seed {args.seed}), step at a random time in hours 4-20:\n")
        print("\n".join(regression_cases(args.runs, args.seed)))
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
