"""Which incarnation of each agent is current, and what changed since the last look (pure).

Every new incarnation is recorded with its node and pid, and the one it replaced is
ended with a reason; a node change says the agent moved (its node was lost).
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.fleet.reconcile import Observation, Status


@dataclass(frozen=True)
class Current:
    incarnation: int
    node_id: str | None
    pid: int | None


@dataclass(frozen=True)
class Started:
    agent_id: str
    incarnation: int
    node_id: str | None
    pid: int | None


@dataclass(frozen=True)
class Ended:
    agent_id: str
    incarnation: int
    reason: str


class IncarnationTracker:
    def __init__(self, known: dict[str, Current] | None = None):
        self.current: dict[str, Current] = dict(known or {})

    def observe(self, agent_id: str, obs: Observation) -> list[Started | Ended]:
        now = self.current.get(agent_id)
        if obs.status == Status.DEAD:
            if now is None:
                return []
            del self.current[agent_id]
            return [Ended(agent_id, now.incarnation, f"actor died: {obs.error or 'gone'}")]
        if obs.incarnation is None or (now is not None and now.incarnation == obs.incarnation):
            return []
        changes: list[Started | Ended] = []
        if now is not None:
            if now.node_id and obs.node_id and now.node_id != obs.node_id:
                reason = f"restarted on node {obs.node_id[:12]} (was on {now.node_id[:12]})"
            else:
                reason = "process restarted"
            changes.append(Ended(agent_id, now.incarnation, reason))
        self.current[agent_id] = Current(obs.incarnation, obs.node_id, obs.pid)
        changes.append(Started(agent_id, obs.incarnation, obs.node_id, obs.pid))
        return changes

    def retire(self, agent_id: str, reason: str) -> list[Ended]:
        now = self.current.pop(agent_id, None)
        return [Ended(agent_id, now.incarnation, reason)] if now else []
