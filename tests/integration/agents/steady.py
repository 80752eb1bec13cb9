"""A steady pipeline that runs for ten minutes in the background of the suite.

Producer, verifier, table maintenance and a node agent run as Ray actors; the node agent
samples their memory. The memory test (after the other tests) reads the samples once ten
minutes have passed and stops the pipeline, so the long run costs the suite little extra
time and leaves the cores to the compressed soak that follows.

The pipeline's agents run at a higher CPU priority than the suite. Starved by the suite's
busiest tests, the verifier fell behind and caught up in bigger batches, and each catch-up
leaves a process's memory at a higher mark that later catch-ups reuse: the test then
measured how hard the suite had starved it, not whether the agents leak at a steady rate.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, field

from agents.consumer import ConsumerVerifierAgent
from agents.lakehouse.catalog import TableRef
from agents.maintenance import MaintenanceAgent
from agents.node import NodeAgent
from agents.producer import ProducerAgent
from agents.ray_actors import remote_agent_class
from tests.integration.kafka_helpers import create_topic
from workloads.specs import ConsumerSpec, MaintenanceSpec, NodeSpec, ProducerSpec, RateSpec

RATE = 2_000  # records per second, steady
DURATION_S = 600
NICENESS = -10  # ahead of the suite's processes (0), which need most of the two cores


@dataclass
class SteadyPipeline:
    ray: object
    topic: str
    table: TableRef
    started_at: float
    actors: dict = field(default_factory=dict)
    samples: list = field(default_factory=list)

    def collect(self) -> None:
        self.samples += self.ray.get(self.actors["node"].collect.remote(), timeout=30)

    def stats(self, name: str) -> dict:
        return self.ray.get(self.actors[name].stats.remote(), timeout=30)

    def stop_producer(self) -> None:
        self.ray.kill(self.actors.pop("producer"), no_restart=True)

    def stop(self) -> None:
        while self.actors:
            self.ray.kill(self.actors.popitem()[1], no_restart=True)


def start_steady_pipeline(ray, bootstrap: str, broker_config: str, workdir, head_node_id: str) -> SteadyPipeline:
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    # On the head node, which no test removes (the node-loss test removes a worker).
    head = NodeAffinitySchedulingStrategy(head_node_id, soft=False)

    def actor(cls):
        return remote_agent_class(cls, num_cpus=0.01, scheduling_strategy=head)

    topic = create_topic(bootstrap, partitions=3)
    table = TableRef(f"sqlite:///{workdir / 'catalog.db'}", (workdir / "warehouse").as_uri())
    pipeline = SteadyPipeline(ray, topic, table, time.monotonic())
    a = pipeline.actors
    a["producer"] = actor(ProducerAgent).remote(
        "p-steady", "run-steady", topic, bootstrap, ProducerSpec(rate=RateSpec(profile="constant", per_second=RATE)))
    # A commit every 2 s (300 in ten minutes): each costs CPU the verifier shares with the
    # whole suite on two cores, and at one a second it fell behind there, which is a backlog
    # (its buffers fill) rather than the steady state this pipeline is for.
    a["verifier"] = actor(ConsumerVerifierAgent).remote(
        "c-steady", "run-steady", topic, bootstrap, "g-steady", table, ConsumerSpec(commit_interval_s=2))
    # Without upkeep, every commit's snapshot stays in the table metadata the verifier holds.
    a["maintenance"] = actor(MaintenanceAgent).remote(
        "m-steady", table, topic, MaintenanceSpec(every_s=20, snapshot_max_age_s=30, min_snapshots=5,
                                                  orphan_min_age_s=60))
    # The session's broker, found by its command line (other brokers may run on this machine).
    a["node"] = actor(NodeAgent).remote(
        "n-0", NodeSpec(interval_s=5, uss_every_s=30, targets={"kafka-broker": broker_config}))
    for name in ("producer", "verifier", "maintenance"):
        pid = ray.get(a[name].health.remote(), timeout=60)["pid"]
        favour(pid)
        if name != "maintenance":
            ray.get(a["node"].register.remote(name, pid), timeout=30)
    return pipeline


def favour(pid: int) -> None:
    """Every thread of `pid` at NICENESS (niceness is per thread on Linux; threads started
    later inherit it from the thread that starts them)."""
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                os.setpriority(os.PRIO_PROCESS, int(tid), NICENESS)
            except ProcessLookupError:
                pass  # a thread that ended meanwhile
    except PermissionError:
        warnings.warn("not allowed to raise the steady pipeline's CPU priority (needs root or CAP_SYS_NICE); "
                      "the memory test then measures it under the suite's load", stacklevel=2)
