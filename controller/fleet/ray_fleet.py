"""The fleet's Ray edge: agents as detached, named actors of one run.

Detached, so they outlive the controller that created them (a restarted controller finds
them again by name); named `<run id>.<agent id>` in the `soak` namespace. Agents other
than node agents prefer their placed node but may run elsewhere, so Ray restarts them on
another node when theirs is lost; node agents are pinned to the node they watch.
"""

from __future__ import annotations

import logging

import ray
from ray.exceptions import GetTimeoutError, RayActorError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from agents.ray_actors import remote_agent_class
from controller.fleet.agent_factory import agent_args
from controller.fleet.names import NAMESPACE, actor_name
from controller.fleet.reconcile import Observation, Status
from controller.fleet.slots import NODE, AgentSlot
from controller.runs.spec import RunSpec

log = logging.getLogger(__name__)
_DONE_STATES = {"finished", "stopped"}
AGENT_CPUS = 0.01


def alive_nodes() -> list[str]:
    return sorted(n["NodeID"] for n in ray.nodes() if n.get("Alive"))


class RayFleet:
    def __init__(self, spec: RunSpec):
        self.spec = spec
        self.timeout_s = spec.agent_call_timeout_s
        self.handles: dict[str, ray.actor.ActorHandle] = {}
        self._classes: dict[type, object] = {}

    def handle(self, agent_id: str):
        """The actor of `agent_id`, looked up by name if this controller has not seen it."""
        if agent_id not in self.handles:
            try:
                self.handles[agent_id] = ray.get_actor(actor_name(self.spec.run_id, agent_id), namespace=NAMESPACE)
            except ValueError:
                return None
        return self.handles[agent_id]

    def find(self, agent_ids: list[str]) -> dict[str, object]:
        return {aid: h for aid in agent_ids if (h := self.handle(aid)) is not None}

    def create(self, slot: AgentSlot, node_id: str | None) -> None:
        cls, args = agent_args(self.spec, slot)
        # A sliver of a CPU, not zero: Ray honours node affinity only for actors that ask
        # for a resource (zero-CPU actors are placed anywhere).
        remote = self._classes.get(cls) or self._classes.setdefault(cls, remote_agent_class(cls, num_cpus=AGENT_CPUS))
        options = {"name": actor_name(self.spec.run_id, slot.agent_id), "namespace": NAMESPACE,
                   "lifetime": "detached", "get_if_exists": True}
        if node_id is not None:
            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node_id, soft=slot.kind != NODE)
        self.handles[slot.agent_id] = remote.options(**options).remote(*args)

    def observe(self, agent_ids: list[str]) -> dict[str, Observation]:
        """One health call per agent, in parallel, bounded by the call timeout. An agent
        with no actor at all is dead (never created, or gone with its node)."""
        handles = self.find(agent_ids)
        results = self.call(handles, "health")
        out = {aid: Observation(Status.DEAD, error="no such actor") for aid in agent_ids if aid not in handles}
        for aid, result in results.items():
            if isinstance(result, GetTimeoutError):
                out[aid] = Observation(Status.UNRESPONSIVE, error="health call timed out")
            elif isinstance(result, Exception):  # died, unschedulable (its node is gone), restarting
                out[aid] = self._after_actor_error(aid, result)
            else:
                state = result.get("state")
                status = Status.FAILED if state == "failed" else Status.DONE if state in _DONE_STATES \
                    else Status.HEALTHY
                out[aid] = Observation(status, result.get("incarnation"), result.get("node_id"), result.get("pid"),
                                       result.get("error"))
        return out

    def _after_actor_error(self, agent_id: str, exc: Exception) -> Observation:
        # A restarting actor fails calls too; only one whose name is gone is dead.
        self.handles.pop(agent_id, None)
        first_line = (str(exc).splitlines() or [""])[0][:200]
        if self.handle(agent_id) is None:
            return Observation(Status.DEAD, error=f"{type(exc).__name__}: {first_line}")
        return Observation(Status.UNRESPONSIVE, error=f"{type(exc).__name__}: {first_line}")

    def call(self, handles: dict[str, object], method: str, *args, timeout_s: float | None = None) -> dict:
        """agent id -> result, or the exception of that call (timeouts included)."""
        refs = {}
        for aid, handle in handles.items():
            try:
                refs[aid] = getattr(handle, method).remote(*args)
            except RayActorError as exc:
                refs[aid] = exc
        pending = [r for r in refs.values() if not isinstance(r, Exception)]
        if pending:
            ray.wait(pending, num_returns=len(pending), timeout=timeout_s or self.timeout_s)
        out = {}
        for aid, ref in refs.items():
            if isinstance(ref, Exception):
                out[aid] = ref
                continue
            try:
                out[aid] = ray.get(ref, timeout=0)
            except Exception as exc:  # one agent's failure is that agent's observation
                out[aid] = exc
        return out

    def restart(self, agent_id: str) -> None:
        """Kill the process; Ray starts a new one (max_restarts), a new incarnation."""
        handle = self.handle(agent_id)
        if handle is not None:
            ray.kill(handle, no_restart=False)

    def retire(self, agent_id: str) -> None:
        handle = self.handle(agent_id)
        if handle is not None:
            ray.kill(handle, no_restart=True)
        self.handles.pop(agent_id, None)
