"""When the next scheduled fault happens and what it is (pure).

The n-th scheduled fault of a run is a function of the schedule and n alone, so a
resumed controller that knows how many faults it injected carries on with the same plan.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from workloads.faults import FaultScheduleSpec


@dataclass(frozen=True)
class PlannedFault:
    seq: int
    at_s: float  # seconds after the run started
    kind: str
    params: dict = field(default_factory=dict)
    skip_heal: bool = False


def planned(schedule: FaultScheduleSpec, seq: int, kinds: tuple[str, ...] | None = None) -> PlannedFault | None:
    """The `seq`-th (0-based) scheduled fault, or None when the schedule has no more.

    `kinds` narrows the schedule's kinds to those this environment can inject (a broker
    fault needs a broker driver, a network fault Toxiproxy, ...)."""
    if schedule.mode == "timeline":
        entries = sorted(schedule.timeline, key=lambda e: e.at_s)
        if seq >= len(entries):
            return None
        e = entries[seq]
        return PlannedFault(seq, e.at_s, e.kind, dict(e.params), e.skip_heal)
    if schedule.mode == "none":
        return None
    usable = tuple(kinds if kinds is not None else schedule.kinds)
    if not usable:
        return None
    n = len(usable)
    if schedule.mode == "every":
        kind = usable[seq % n]
    else:  # random: a seeded shuffle per round, so every kind comes once per round
        order = random.Random(f"{schedule.seed}:round:{seq // n}").sample(usable, n)
        kind = order[seq % n]
    jitter = random.Random(f"{schedule.seed}:jitter:{seq}").uniform(0, schedule.jitter_s) if schedule.jitter_s else 0.0
    return PlannedFault(seq, schedule.warm_up_s + seq * schedule.every_s + jitter, kind)


def due(fault: PlannedFault | None, elapsed_s: float, active: int, max_concurrent: int) -> bool:
    return fault is not None and elapsed_s >= fault.at_s and active < max_concurrent
