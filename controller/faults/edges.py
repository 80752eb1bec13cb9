"""The fault context of a controller running in Ray: drivers from the run's fault
environment, live nodes from Ray, and the nodes a node loss must never hit."""

from __future__ import annotations

import random

import ray

from controller.faults.base import FaultContext
from controller.faults.drivers import CommandNodeDriver, ToxiproxyNetwork, broker_driver
from controller.faults.environment import FaultEnvironment

HEAD_RESOURCE = "node:__internal_head__"


def ray_nodes() -> list[dict]:
    return [{"node_id": n["NodeID"], "node_ip": n.get("NodeManagerAddress", ""),
             "head": HEAD_RESOURCE in n.get("Resources", {})} for n in ray.nodes() if n.get("Alive")]


def ray_fault_context(run_id: str, env: FaultEnvironment, seed: int, fleet, agents) -> FaultContext:
    own_node = ray.get_runtime_context().get_node_id()
    heads = {n["node_id"] for n in ray_nodes() if n["head"]}
    return FaultContext(
        run_id=run_id, env=env, rng=random.Random(f"{seed}:{run_id}:targets"), fleet=fleet, agents=agents,
        nodes=ray_nodes, protected_nodes={own_node, *heads}, broker=broker_driver(env),
        network=ToxiproxyNetwork(env.toxiproxy_url, env.toxiproxy_proxy) if env.toxiproxy_url else None,
        node_driver=CommandNodeDriver(env) if env.node_start_command else None)
