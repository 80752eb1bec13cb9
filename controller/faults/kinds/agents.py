"""Agent kill (Ray restarts it) and agent pause (SIGSTOP, SIGCONT on heal)."""

from __future__ import annotations

from controller.faults.base import Fault, FaultContext, FaultUnavailable, Injected
from controller.faults.kinds.nodes import node_alive
from controller.fleet.slots import NODE, kind_of
from workloads.faults import AgentTarget

PAUSE_GRACE_S = 30.0  # a pause ends by itself this long after its planned end


def pick_agent(ctx: FaultContext, params: AgentTarget) -> tuple[str, object]:
    running = {aid: c for aid, c in ctx.agents().items() if kind_of(aid) != NODE and c.pid}
    if params.agent:
        if params.agent not in running:
            raise FaultUnavailable(f"agent {params.agent} is not running")
        return params.agent, running[params.agent]
    candidates = sorted(aid for aid in running if params.agent_kind is None or kind_of(aid) == params.agent_kind)
    if not candidates:
        raise FaultUnavailable(f"no running {params.agent_kind or 'agent'} to target")
    aid = ctx.rng.choice(candidates)
    return aid, running[aid]


class AgentKill(Fault):
    kind = "agent_kill"

    def start(self, ctx, params, name):
        aid, current = pick_agent(ctx, params)
        ctx.fleet.restart(aid)  # the process is killed; Ray starts a new incarnation
        return Injected(aid, {"agent": aid, "pid": current.pid, "node": current.node_id})

    def heal(self, ctx, handle):
        return "nothing to undo: Ray restarts the agent"


class AgentPause(Fault):
    kind = "agent_pause"

    def start(self, ctx, params, name):
        aid, current = pick_agent(ctx, params)
        if not current.node_id:
            raise FaultUnavailable(f"the node of {aid} is not known yet")
        ctx.node_agent_call(current.node_id, "pause", current.pid, params.duration_s + PAUSE_GRACE_S)
        return Injected(aid, {"agent": aid, "pid": current.pid, "node": current.node_id})

    def heal(self, ctx, handle):
        if not node_alive(ctx, handle["node"]):
            return "the node is gone (a paused process resumes by itself)"
        alive = ctx.node_agent_call(handle["node"], "resume", handle["pid"])
        return "resumed" if alive else "the process is gone"
