"""Time as an input: every time-dependent piece takes a clock (tests pass a fake one)."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def wall_ns(self) -> int: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def wall_ns(self) -> int:
        return time.time_ns()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to (or when slept on)."""

    def __init__(self, wall_ns: int = 1_700_000_000_000_000_000, monotonic: float = 1000.0):
        self._wall_ns = wall_ns
        self._mono = monotonic

    def wall_ns(self) -> int:
        return self._wall_ns

    def monotonic(self) -> float:
        return self._mono

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))

    def advance(self, seconds: float) -> None:
        self._mono += seconds
        self._wall_ns += int(seconds * 1e9)
