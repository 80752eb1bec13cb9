"""Ray node loss through the fault unit, with `ray.cluster_utils.Cluster` as the node
driver (the staging driver runs command templates instead): a worker node is lost and
marked dead, never the head or a protected node, and the heal brings a node back."""

from __future__ import annotations

import random

import ray

from controller.faults.base import FaultContext
from controller.faults.edges import ray_nodes
from controller.faults.environment import FaultEnvironment
from controller.faults.kinds.nodes import NodeLoss
from controller.infra.processes import wait_until
from workloads.faults import NodeLoss as NodeLossParams


class ClusterNodeDriver:
    def __init__(self, cluster):
        self.cluster = cluster

    def stop(self, node: dict, node_agent_call) -> str:
        (victim,) = [n for n in self.cluster.worker_nodes if n.node_id == node["node_id"]]
        self.cluster.remove_node(victim, allow_graceful=False)
        return f"removed {node['node_id'][:12]}"

    def start(self, node: dict) -> str:
        added = self.cluster.add_node(num_cpus=1, object_store_memory=96 * 1024**2)
        return f"added {added.node_id[:12]}"


def test_node_loss_takes_a_worker_node_and_the_heal_brings_one_back(ray_local, ray_cluster):
    alive_before = {n["node_id"] for n in ray_nodes()}
    head = ray_cluster.head_node.node_id
    spared = min(n.node_id for n in ray_cluster.worker_nodes)  # as the controller's node would be
    protected = {head, spared}
    ctx = FaultContext("node-loss-test", FaultEnvironment(node_start_command="(cluster)"), random.Random(3),
                       fleet=None, agents=dict, nodes=ray_nodes, protected_nodes=protected,
                       node_driver=ClusterNodeDriver(ray_cluster))
    fault = NodeLoss()
    assert fault.unavailable(ctx) is None

    injected = fault.start(ctx, NodeLossParams(), "soak-test-node-loss")
    lost = injected.handle["node"]["node_id"]
    assert lost in alive_before and lost not in protected
    assert wait_until(lambda: lost not in {n["node_id"] for n in ray_nodes()}, 30, interval_s=0.5)
    assert any(n["NodeID"] == lost and not n["Alive"] for n in ray.nodes()), "Ray marks the lost node dead"

    note = fault.heal(ctx, injected.handle)
    assert note.startswith("added ")
    assert wait_until(lambda: len(ray_nodes()) == len(alive_before), 60, interval_s=0.5), ray_nodes()
