"""Faults of a node: CPU pressure, memory pressure (through the node agent), node loss."""

from __future__ import annotations

from controller.faults.base import Fault, FaultContext, FaultUnavailable, Injected
from workloads.faults import NodeTarget

PRESSURE_GRACE_S = 30.0  # pressure processes exit by themselves this long after the planned end


def pick_node(ctx: FaultContext, params: NodeTarget, exclude: set[str] = frozenset()) -> dict:
    nodes = [n for n in ctx.nodes() if n["node_id"] not in exclude]
    if params.node:
        chosen = [n for n in nodes if n["node_id"].startswith(params.node)]
        if not chosen:
            raise FaultUnavailable(f"no live node {params.node} that this fault may target")
        return chosen[0]
    if not nodes:
        raise FaultUnavailable("no live node this fault may target")
    return ctx.rng.choice(sorted(nodes, key=lambda n: n["node_id"]))


def node_alive(ctx: FaultContext, node_id: str) -> bool:
    return any(n["node_id"] == node_id for n in ctx.nodes())


class _Pressure(Fault):
    pressure: str

    def amount(self, params) -> int:
        raise NotImplementedError

    def unavailable(self, ctx):
        return None

    def start(self, ctx, params, name):
        node = pick_node(ctx, params)
        pids = ctx.node_agent_call(node["node_id"], "start_pressure", self.pressure, self.amount(params),
                                   params.duration_s + PRESSURE_GRACE_S)
        return Injected(f"node {node['node_id'][:12]}", {"node": node["node_id"], "pids": pids})

    def heal(self, ctx, handle):
        if not node_alive(ctx, handle["node"]):
            return "the node is gone (its pressure processes exit by themselves)"
        alive = ctx.node_agent_call(handle["node"], "stop_pressure", handle["pids"])
        return f"{alive} pressure process(es) stopped"


class CpuPressure(_Pressure):
    kind, pressure = "cpu_pressure", "cpu"

    def amount(self, params) -> int:
        return params.workers


class MemoryPressure(_Pressure):
    kind, pressure = "memory_pressure", "memory"

    def amount(self, params) -> int:
        return params.megabytes


class NodeLoss(Fault):
    """A worker node's raylet stopped; its agents are rescheduled elsewhere; on heal the
    node driver brings a node back."""

    kind = "node_loss"

    def unavailable(self, ctx):
        if ctx.node_driver is None:
            return ctx.env.unavailable(self.kind) or "no node driver"
        return None

    def start(self, ctx, params, name):
        node = pick_node(ctx, params, exclude=ctx.protected_nodes)
        did = ctx.node_driver.stop(node, lambda method, *a: ctx.node_agent_call(node["node_id"], method, *a))
        return Injected(f"node {node['node_id'][:12]}", {"node": node, "did": did})

    def heal(self, ctx, handle):
        return ctx.node_driver.start(handle["node"])
