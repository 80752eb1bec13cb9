"""Sustained findings (pure): a detector alerts only after `sustain` consecutive firing
evaluations, and stops only after as many consecutive quiet ones, so that one borderline
evaluation inside a long alert does not close it and open a second page for the same
finding. Shared by the live analysis step and the offline walk that `soak detect` and the
benchmark use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

Check = TypeVar("Check")


@dataclass(frozen=True)
class Sustained:
    consecutive: int = 0  # firing evaluations in a row
    since_s: float | None = None  # when the alert started (None: not alerting)
    quiet: int = 0  # evaluations in a row that did not fire, while alerting

    def step(self, firing: bool, now_s: float, sustain: int) -> "Sustained":
        if not firing:
            if self.since_s is not None and self.quiet + 1 < sustain:
                return Sustained(0, self.since_s, self.quiet + 1)
            return Sustained()
        consecutive = self.consecutive + 1
        since = self.since_s if self.since_s is not None else (now_s if consecutive >= sustain else None)
        return Sustained(consecutive, since)

    def to_json(self) -> list:
        return [self.consecutive, self.since_s, self.quiet]

    @classmethod
    def from_json(cls, raw) -> "Sustained":
        if not raw:
            return cls()
        return cls(int(raw[0]), raw[1], int(raw[2]) if len(raw) > 2 else 0)  # checkpoints before `quiet`


@dataclass(frozen=True)
class Detection(Generic[Check]):
    """What an offline walk found: the first sustained detection (seconds from the series'
    start) and the check then, or no alert and the last check."""

    alert: bool
    detected_at_s: float | None
    check: Check


def walk(reduced: list[tuple[float, float]], start_s: float, every_s: float, sustain: int,
         evaluate: Callable[[list[tuple[float, float]]], Check], firing: Callable[[Check], bool],
         nothing: Check) -> Detection[Check]:
    """Evaluate a reduced series (bucket end times) every `every_s` on what is complete by
    then, as the live detector would."""
    state, check = Sustained(), nothing
    now, i = start_s + every_s, 0
    while reduced and now <= reduced[-1][0] + 1e-9:
        while i < len(reduced) and reduced[i][0] <= now + 1e-9:
            i += 1
        check = evaluate(reduced[:i])
        state = state.step(firing(check), now, sustain)
        if state.since_s is not None:
            return Detection(True, state.since_s - start_s, check)
        now += every_s
    return Detection(False, None, check)
