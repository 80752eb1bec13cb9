"""The life of a run, as a pure state machine.

    pending -> running -> draining -> finished
    pending | running | draining -> stopped (asked to) | failed (could not go on)

`draining` is the end phase: producers stopped, consumers drain until lag is zero, final
checks, verdict. Terminal states never change again, so a controller that resumes a run
can always tell whether there is anything left to do.
"""

from __future__ import annotations

from enum import Enum


class RunState(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    DRAINING = "draining"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({RunState.FINISHED, RunState.STOPPED, RunState.FAILED})
ALLOWED = {
    RunState.PENDING: {RunState.RUNNING, RunState.STOPPED, RunState.FAILED},
    RunState.RUNNING: {RunState.DRAINING, RunState.STOPPED, RunState.FAILED},
    RunState.DRAINING: {RunState.FINISHED, RunState.STOPPED, RunState.FAILED},
}


class InvalidTransition(ValueError):
    pass


def transition(current: RunState, target: RunState) -> RunState:
    """The new state, or InvalidTransition. Repeating the current state is allowed
    (idempotent control actions: a resumed controller may repeat its last step)."""
    if target == current:
        return current
    if target not in ALLOWED.get(current, set()):
        raise InvalidTransition(f"a run cannot go from {current.value} to {target.value}")
    return target
