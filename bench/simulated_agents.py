"""Simulated agents, for controller benchmarks at fleet sizes two cores cannot host.

Each simulated agent is the real agent class (its stats, health, ack ledger and node
registration code, so the controller receives what it receives from real agents) whose
`run` makes up its work instead of doing it: a producer acks records at its rate with
lognormal latencies, a verifier verifies them in order and commits every few seconds, a
query agent times its queries. Many of them live in a few host actors; the controller
still makes one Ray call per agent per method, as it does with real agents.
"""

from __future__ import annotations

import threading

import numpy as np
import ray

from agents.consumer import ConsumerVerifierAgent
from agents.maintenance import MaintenanceAgent
from agents.node import NodeAgent
from agents.producer import ProducerAgent
from agents.query import QueryAgent
from controller.fleet.agent_factory import agent_args
from controller.fleet.ray_fleet import RayFleet
from controller.fleet.slots import AgentSlot

TICK_S = 0.5


def _latencies(rng: np.random.Generator, n: int, median_us: float) -> np.ndarray:
    return rng.lognormal(np.log(median_us), 0.6, n).astype(np.int64)


class SimulatedProducer(ProducerAgent):
    def run(self, stop: threading.Event) -> None:
        rng, seq, rate = np.random.default_rng(), 0, self.spec.rate.per_second or 1000
        while not stop.wait(TICK_S):
            n = int(rate * TICK_S)
            with self._lock:
                self.latency.record_many(_latencies(rng, n, 3_000))
                for p in range(3):
                    for s in range(seq, seq + n // 3):
                        self.acks.ack(p, s)
                self.acked += n - n % 3
            seq += n // 3
            self.sent += n - n % 3
            self.intended += n - n % 3
            self.bytes_sent += 200 * n
            self.progressed()


class SimulatedConsumer(ConsumerVerifierAgent):
    def run(self, stop: threading.Event) -> None:
        rng, seq, rate = np.random.default_rng(), 0, 100  # the bench workload's producer rate
        self._next = {0: 0}
        while not stop.wait(TICK_S):
            n = int(rate * TICK_S)
            self.ledger.observe_run((f"p-{self.agent_id}", 1, 0), seq, n)
            seq += n
            with self._lock:
                self.ledger.commit()
                self.e2e_latency.record_many(_latencies(rng, n, 20_000))
                self.ingest_latency.record_many(_latencies(rng, n, 2_000_000))
                self.commit_latency.record(int(rng.lognormal(np.log(80_000), 0.3)))
                self.committed_records += n
            self.consumed += n
            self.bytes_consumed += 200 * n
            self._next[0] = seq
            self.progressed()


class SimulatedQuery(QueryAgent):
    def run(self, stop: threading.Event) -> None:
        rng = np.random.default_rng()
        while not stop.wait(self.spec.interval_s):
            with self._stats_lock:
                for hist in self.latency.values():
                    hist.record(int(rng.lognormal(np.log(30_000), 0.5)))
                self.cycles += 1
                self.freshness_s = float(rng.uniform(2, 8))
                self.max_freshness_s = max(self.max_freshness_s, self.freshness_s)
            self.progressed()


class SimulatedMaintenance(MaintenanceAgent):
    def run(self, stop: threading.Event) -> None:
        while not stop.wait(TICK_S):
            self.progressed()


SIMULATED = {ProducerAgent: SimulatedProducer, ConsumerVerifierAgent: SimulatedConsumer, QueryAgent: SimulatedQuery,
             MaintenanceAgent: SimulatedMaintenance, NodeAgent: NodeAgent}  # the node agent is real


@ray.remote(num_cpus=0)
class AgentHost:
    """Many simulated agents in one process."""

    def __init__(self):
        self.agents = {}

    def create(self, agent_id: str, cls_name: str, args: tuple) -> None:
        if agent_id not in self.agents:
            cls = next(c for c in SIMULATED.values() if c.__name__ == cls_name)
            agent = cls(*args)
            agent.node_id = lambda: ray.get_runtime_context().get_node_id()
            agent.start()
            self.agents[agent_id] = agent

    def call(self, agent_id: str, method: str, *args):
        return getattr(self.agents[agent_id], method)(*args)

    def remove(self, agent_id: str) -> None:
        agent = self.agents.pop(agent_id, None)
        if agent is not None:
            agent.stop(timeout_s=5)


class _Method:
    def __init__(self, host, agent_id: str, method: str):
        self.host, self.agent_id, self.method = host, agent_id, method

    def remote(self, *args):
        return self.host.call.remote(self.agent_id, self.method, *args)


class AgentProxy:
    """Stands for an agent's actor handle: `proxy.stats.remote()` calls the host."""

    def __init__(self, host, agent_id: str):
        self._host, self._agent_id = host, agent_id

    def __getattr__(self, method: str) -> _Method:
        if method.startswith("_"):
            raise AttributeError(method)
        return _Method(self._host, self._agent_id, method)


class SimulatedFleet(RayFleet):
    """The Ray fleet, with agents placed in `hosts` host actors instead of one actor each."""

    def __init__(self, spec, hosts: int = 4):
        super().__init__(spec)
        self.hosts = [AgentHost.remote() for _ in range(hosts)]
        self._next_host = 0

    def handle(self, agent_id: str):
        return self.handles.get(agent_id)

    def create(self, slot: AgentSlot, node_id: str | None) -> None:
        cls, args = agent_args(self.spec, slot)
        host = self.hosts[self._next_host % len(self.hosts)]
        self._next_host += 1
        ray.get(host.create.remote(slot.agent_id, SIMULATED[cls].__name__, args))
        self.handles[slot.agent_id] = AgentProxy(host, slot.agent_id)

    def restart(self, agent_id: str) -> None:
        self.retire(agent_id)

    def retire(self, agent_id: str) -> None:
        proxy = self.handles.pop(agent_id, None)
        if proxy is not None:
            ray.get(proxy._host.remove.remote(agent_id))
