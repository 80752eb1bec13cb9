"""Generators of one field's values, for records in a team's own schema.

Each generator is told the record made so far, so a field can follow another one (a
price that walks per symbol). Values are plain Python: the encoder decides the bytes.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

ALPHANUMERIC = string.ascii_letters + string.digits


class Generator:
    """A field's values: `value(rng, now_us, record)` is the next one."""

    def value(self, rng: random.Random, now_us: int, record: dict):
        raise NotImplementedError


@dataclass
class Sequence(Generator):
    """start, start + step, ... (per producer: each producer has its own generators)."""

    start: int = 0
    step: int = 1
    _next: int | None = None

    def value(self, rng, now_us, record):
        current = self.start if self._next is None else self._next
        self._next = current + self.step
        return current


@dataclass
class Choice(Generator):
    """One of `values`, uniformly or by `weights`."""

    values: list
    weights: list[float] | None = None

    def __post_init__(self):
        if not self.values:
            raise ValueError("choice needs at least one value")
        if self.weights is not None and len(self.weights) != len(self.values):
            raise ValueError(f"choice has {len(self.values)} values but {len(self.weights)} weights")

    def value(self, rng, now_us, record):
        if self.weights is None:
            return self.values[rng.randrange(len(self.values))]
        return rng.choices(self.values, self.weights)[0]


@dataclass
class Range(Generator):
    """A uniform number in low..high: an integer, or a float rounded to `decimals`."""

    low: float
    high: float
    integer: bool = False
    decimals: int | None = None

    def __post_init__(self):
        if self.low > self.high:
            raise ValueError(f"range low ({self.low}) exceeds high ({self.high})")

    def value(self, rng, now_us, record):
        if self.integer:
            return rng.randint(int(self.low), int(self.high))
        x = rng.uniform(self.low, self.high)
        return round(x, self.decimals) if self.decimals is not None else x


TIME_UNITS = {"us": 1, "ms": 1_000, "s": 1_000_000}


@dataclass
class Timestamp(Generator):
    """The time the record is made, in `unit` (us, ms, s) or as ISO 8601 text, up to
    `lag_ms` earlier (an event time that trails the clock)."""

    unit: str = "us"
    lag_ms: float = 0.0

    def __post_init__(self):
        if self.unit not in (*TIME_UNITS, "iso"):
            raise ValueError(f"unknown timestamp unit {self.unit!r} (allowed: us, ms, s, iso)")

    def value(self, rng, now_us, record):
        t_us = now_us - int(rng.uniform(0, self.lag_ms) * 1000) if self.lag_ms else now_us
        if self.unit == "iso":
            from datetime import datetime, timezone
            return datetime.fromtimestamp(t_us / 1e6, timezone.utc).isoformat(timespec="microseconds")
        return t_us // TIME_UNITS[self.unit]


@dataclass
class RandomWalk(Generator):
    """A price-like series: each value moves from the last by a normal step of
    `volatility` (relative), one walk per value of the field named `by` (if any)."""

    start: float = 100.0
    volatility: float = 0.001
    by: str | None = None
    decimals: int | None = 2
    floor: float = 0.01
    _last: dict = field(default_factory=dict)

    def value(self, rng, now_us, record):
        if self.by is not None and self.by not in record:
            raise ValueError(f"random_walk by {self.by!r}: that field must come before this one")
        key = record.get(self.by) if self.by is not None else None
        last = self._last.get(key)
        if last is None:  # each walk starts near `start`, so symbols do not all trade at one price
            x = self.start * rng.uniform(0.5, 1.5) if self.by is not None else self.start
        else:
            x = max(self.floor, last * (1 + rng.gauss(0, self.volatility)))
        self._last[key] = x
        return round(x, self.decimals) if self.decimals is not None else x


@dataclass
class LogNormal(Generator):
    """A positive, right-skewed quantity (trade sizes): median * e^N(0, sigma), rounded
    to a multiple of `lot` when it is set."""

    median: float = 100.0
    sigma: float = 1.0
    lot: int | None = None

    def value(self, rng, now_us, record):
        x = self.median * rng.lognormvariate(0, self.sigma)
        if self.lot:
            return max(self.lot, int(round(x / self.lot)) * self.lot)
        return x


@dataclass
class Constant(Generator):
    value_: object = None

    def value(self, rng, now_us, record):
        return self.value_


@dataclass
class RandomText(Generator):
    """`length` random letters and digits."""

    length: int = 8

    def value(self, rng, now_us, record):
        return "".join(rng.choices(ALPHANUMERIC, k=self.length))


@dataclass
class Null(Generator):
    def value(self, rng, now_us, record):
        return None


KINDS = {"sequence": Sequence, "choice": Choice, "range": Range, "timestamp": Timestamp,
         "random_walk": RandomWalk, "lognormal": LogNormal, "constant": Constant, "text": RandomText,
         "null": Null}


def build(kind: str, params: dict) -> Generator:
    """A generator from its workload form, e.g. build("range", {"low": 1, "high": 9})."""
    cls = KINDS.get(kind)
    if cls is None:
        raise ValueError(f"unknown generator {kind!r} (allowed: {', '.join(KINDS)})")
    params = dict(params)
    private = [k for k in params if k.startswith("_")]
    if private:
        raise ValueError(f"generator {kind}: unknown parameter(s) {', '.join(private)}")
    if cls is Constant:
        params = {"value_": params.pop("value", None), **params}
    try:
        return cls(**params)
    except TypeError as exc:  # an unknown or missing parameter
        raise ValueError(f"generator {kind}: {exc}") from None
