"""A fault: what it targets, `start(ctx, params) -> Injected`, `heal(ctx, handle)`.

The handle is plain JSON and is stored before anything else happens after the start, so
any controller (this one, or one resumed after a crash) can heal the fault from it.
Heals are idempotent: healing twice, or healing what already went away, is no error.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, ClassVar

from controller.errors import SoakError
from controller.faults.environment import FaultEnvironment
from controller.fleet.slots import NODE, AgentSlot
from workloads.faults import FaultParams


class FaultUnavailable(SoakError):
    """The fault cannot be injected here and now (no target, no driver)."""


@dataclass(frozen=True)
class Injected:
    target: str
    handle: dict = field(default_factory=dict)


@dataclass
class FaultContext:
    """What faults act through. Built by the controller; tests build it around a real cluster."""

    run_id: str
    env: FaultEnvironment
    rng: random.Random
    fleet: object  # RayFleet: handles, handle(), call(), restart()
    agents: Callable[[], dict]  # agent id -> Current(incarnation, node_id, pid) of running agents
    nodes: Callable[[], list[dict]]  # live nodes: {"node_id", "node_ip", "head"}
    protected_nodes: set[str] = field(default_factory=set)  # never lost: the head, the controller's
    broker: object | None = None
    network: object | None = None
    node_driver: object | None = None

    def node_agent_call(self, node_id: str, method: str, *args, timeout_s: float = 30.0):
        """Call the node agent of `node_id`."""
        aid = AgentSlot(NODE, 0, node_id).agent_id
        handle = self.fleet.handle(aid)
        if handle is None:
            raise FaultUnavailable(f"no node agent on node {node_id[:12]}")
        result = self.fleet.call({aid: handle}, method, *args, timeout_s=timeout_s)[aid]
        if isinstance(result, Exception):
            raise result
        return result


def need(edge, what: str):
    """The context's edge a fault acts through, or FaultUnavailable naming it."""
    if edge is None:
        raise FaultUnavailable(f"no {what}")
    return edge


class Fault:
    kind: ClassVar[str]

    def unavailable(self, ctx: FaultContext) -> str | None:
        return ctx.env.unavailable(self.kind)

    def start(self, ctx: FaultContext, params: FaultParams, name: str) -> Injected:
        """`name` is unique per fault of the run (for toxics and the like)."""
        raise NotImplementedError

    def heal(self, ctx: FaultContext, handle: dict) -> str:
        """Undo the fault; returns a note of what was done."""
        raise NotImplementedError
