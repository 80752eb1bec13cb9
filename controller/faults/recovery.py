"""Recovery after a fault (pure): the pre-fault baseline and when the run is back to it.

The baseline is the median throughput and the peak lag of the window before the fault.
Recovered means throughput back within tolerance of the baseline and lag under its
threshold, both holding for `hold_s`; the recovery time runs from the heal to the first
observation of that holding streak. Not recovered within `limit_s` of the heal: an alert.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from statistics import median

from workloads.faults import RecoverySpec


@dataclass(frozen=True)
class Observation:
    t_s: float  # wall-clock seconds
    throughput: float  # acknowledged records per second
    lag: int  # records behind, all partitions
    p99_ms: float | None = None  # acknowledgement latency of the interval


class ObservationWindow:
    """The recent observations a baseline is taken from (bounded by time and count)."""

    def __init__(self, span_s: float, max_items: int = 4096):
        self.span_s = span_s
        self._items: deque[Observation] = deque(maxlen=max_items)

    def add(self, obs: Observation) -> None:
        self._items.append(obs)
        while self._items and self._items[0].t_s < obs.t_s - self.span_s:
            self._items.popleft()

    def clear(self) -> None:
        self._items.clear()

    def items(self) -> list[Observation]:
        return list(self._items)


@dataclass(frozen=True)
class Baseline:
    throughput: float  # the median of the window
    lag: int  # the highest lag of the window: commits make lag a sawtooth
    p99_ms: float | None
    observations: int

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict) -> "Baseline":
        return cls(**raw)


def baseline(observations: list[Observation]) -> Baseline | None:
    if not observations:
        return None
    p99s = [o.p99_ms for o in observations if o.p99_ms is not None]
    # The median: a catch-up burst after the previous fault must not raise the bar.
    return Baseline(throughput=median(o.throughput for o in observations), lag=max(o.lag for o in observations),
                    p99_ms=max(p99s) if p99s else None, observations=len(observations))


@dataclass(frozen=True)
class Criteria:
    min_throughput: float
    max_lag: int
    hold_s: float
    limit_s: float

    def met(self, obs: Observation) -> bool:
        return obs.throughput >= self.min_throughput and obs.lag <= self.max_lag


def criteria(base: Baseline | None, spec: RecoverySpec) -> Criteria:
    """Without a baseline (no load seen before the fault), only lag is judged."""
    throughput = base.throughput if base else 0.0
    lag = spec.max_lag_records if spec.max_lag_records is not None else \
        max(spec.lag_floor_records, int(spec.lag_factor * (base.lag if base else 0)),
            int(spec.lag_seconds * throughput))
    return Criteria((1 - spec.throughput_tolerance) * throughput, lag, spec.hold_s, spec.limit_s)


PENDING, RECOVERED, NOT_RECOVERED = "pending", "recovered", "not_recovered"


@dataclass
class RecoveryWatch:
    """Follows one healed fault until it recovers or runs out of time."""

    healed_s: float
    criteria: Criteria
    streak_since_s: float | None = None
    outcome: str = PENDING
    recovered_s: float | None = None  # seconds from the heal
    alerted: bool = False

    def observe(self, obs: Observation) -> str:
        if self.outcome != PENDING or obs.t_s < self.healed_s:
            return self.outcome
        if self.criteria.met(obs):
            if self.streak_since_s is None:
                self.streak_since_s = obs.t_s
            if obs.t_s - self.streak_since_s >= self.criteria.hold_s:
                self.outcome = RECOVERED
                self.recovered_s = max(0.0, self.streak_since_s - self.healed_s)
                return self.outcome
        else:
            self.streak_since_s = None
        if obs.t_s - self.healed_s > self.criteria.limit_s:
            self.outcome = NOT_RECOVERED
        return self.outcome

    def to_json(self) -> dict:
        return {"healed_s": self.healed_s, "criteria": asdict(self.criteria), "streak_since_s": self.streak_since_s,
                "outcome": self.outcome, "recovered_s": self.recovered_s}

    @classmethod
    def from_json(cls, raw: dict) -> "RecoveryWatch":
        return cls(raw["healed_s"], Criteria(**raw["criteria"]), raw.get("streak_since_s"), raw["outcome"],
                   raw.get("recovered_s"))
