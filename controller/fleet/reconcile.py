"""Fleet reconcile as a pure decision: desired slots and observed agents in, actions out.

The controller observes every agent each tick (a health call with a timeout) and acts
on the difference. Each action is idempotent, so a resumed controller that repeats one
does no harm:
- no actor, or a dead one        -> create it (a restart, with backoff, if it ran before)
- its work failed, process alive -> restart it (Ray starts a new process, a new incarnation)
- not answering                  -> wait: a paused or restarting agent is not a dead one
- an actor nobody wants any more -> retire it (for instance the node agent of a lost node)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from controller.fleet.backoff import RestartBackoff
from controller.fleet.slots import AgentSlot


class Status(str, Enum):
    HEALTHY = "healthy"  # answering, work running
    DONE = "done"  # answering, work ended by itself or on request
    FAILED = "failed"  # answering, but its work died with an error
    UNRESPONSIVE = "unresponsive"  # the health call timed out (paused, restarting, overloaded)
    DEAD = "dead"  # the actor is gone for good


@dataclass(frozen=True)
class Observation:
    status: Status
    incarnation: int | None = None
    node_id: str | None = None
    pid: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class Create:
    slot: AgentSlot
    restart: bool  # it existed before: counted and backed off


@dataclass(frozen=True)
class Restart:
    slot: AgentSlot
    reason: str


@dataclass(frozen=True)
class Retire:
    agent_id: str


Action = Create | Restart | Retire


def plan(desired: list[AgentSlot], observed: dict[str, Observation], backoff: RestartBackoff, now: float,
         ever_started: set[str]) -> list[Action]:
    actions: list[Action] = []
    wanted = {slot.agent_id for slot in desired}
    for slot in desired:
        obs = observed.get(slot.agent_id)
        if obs is None or obs.status == Status.DEAD:
            restart = slot.agent_id in ever_started
            if not restart or backoff.ready(slot.agent_id, now):
                actions.append(Create(slot, restart))
        elif obs.status == Status.FAILED and backoff.ready(slot.agent_id, now):
            actions.append(Restart(slot, obs.error or "its work failed"))
    actions += [Retire(agent_id) for agent_id, obs in sorted(observed.items())
                if agent_id not in wanted and obs.status != Status.DEAD]
    return actions
