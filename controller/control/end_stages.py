"""The stages of a run's end phase, and the one rule that says which comes next (pure).

    producers stopped -> drained (or drain timed out) -> [table settled] -> checked

`table settled` is external mode's stage only: the team's job lands what it will land after
the producers stopped. Each stage reached is stored as an event whose kind is the stage's
value, so a controller that resumes a draining run knows from the events alone which stage
comes next, and neither repeats nor skips one.
"""

from __future__ import annotations

from enum import Enum


class EndStage(str, Enum):
    PRODUCERS_STOPPED = "end:producers_stopped"
    DRAINED = "end:drained"
    DRAIN_TIMEOUT = "end:drain_timeout"
    SETTLED = "end:settled"
    CHECKED = "end:checked"


# The end phase as a sequence of steps; a step is done once any one of its stages is reached.
OUR_SINK = ((EndStage.PRODUCERS_STOPPED,), (EndStage.DRAINED, EndStage.DRAIN_TIMEOUT), (EndStage.CHECKED,))
EXTERNAL = OUR_SINK[:2] + ((EndStage.SETTLED,),) + OUR_SINK[2:]  # the team's table settles before the check

# What the progress line says once a stage is reached: the latest stage reached wins.
DESCRIPTION = ((EndStage.CHECKED, "checked"), (EndStage.SETTLED, "table settled"),
               (EndStage.DRAIN_TIMEOUT, "drain timed out"), (EndStage.DRAINED, "drained"),
               (EndStage.PRODUCERS_STOPPED, "draining"))
NOT_STARTED = "stopping producers"


def stage_of(event_kind: str) -> EndStage | None:
    """The end stage an event of this kind records, if it records one."""
    try:
        return EndStage(event_kind)
    except ValueError:
        return None


def next_step(done: frozenset[EndStage], external: bool) -> tuple[EndStage, ...] | None:
    """The stages the end phase works toward now (any one of them completes the step), or
    None once the run is checked."""
    if EndStage.CHECKED in done:
        return None
    for step in EXTERNAL if external else OUR_SINK:
        if not done.intersection(step):
            return step
    return None


def describe(done: frozenset[EndStage], draining: bool) -> str | None:
    for stage, text in DESCRIPTION:
        if stage in done:
            return text
    return NOT_STARTED if draining else None
