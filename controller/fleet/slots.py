"""The fleet a workload asks for, as agent slots with stable ids.

Ids are stable for the life of a run (`producer-0`, `consumer-1`, ...): a restarted agent
keeps its id and gets a new incarnation, and a resumed controller finds each agent again
by it. Node agents are one per live node, so their slots follow the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from workloads.model import Workload

PRODUCER, CONSUMER, QUERY, MAINTENANCE, NODE = "producer", "consumer", "query", "maintenance", "node"
KINDS = (PRODUCER, CONSUMER, QUERY, MAINTENANCE, NODE)


@dataclass(frozen=True, order=True)
class AgentSlot:
    kind: str
    index: int
    node_id: str | None = None  # node agents only: the node they watch

    @property
    def agent_id(self) -> str:
        return f"{self.kind}-{self.index}" if self.node_id is None else f"{self.kind}-{self.node_id[:12]}"


def kind_of(agent_id: str) -> str:
    """`producer-3` -> `producer`, `node-1ef361d3afd7` -> `node`."""
    return agent_id.rsplit("-", 1)[0]


def of_kind(by_agent: dict, kind: str) -> dict:
    """The entries of an agent-id-keyed dict that belong to agents of `kind`."""
    return {aid: v for aid, v in by_agent.items() if kind_of(aid) == kind}


def workload_slots(workload: Workload) -> list[AgentSlot]:
    """Producers, consumer-verifiers, query agents and one maintenance agent for the table
    (none for a team's table: its upkeep is theirs)."""
    counts = {PRODUCER: workload.producers.count, CONSUMER: workload.consumers.count,
              QUERY: workload.queries.count, MAINTENANCE: 0 if workload.ingestion.external else 1}
    return [AgentSlot(kind, i) for kind, n in counts.items() for i in range(n)]


def node_slots(node_ids: list[str]) -> list[AgentSlot]:
    return [AgentSlot(NODE, i, node_id) for i, node_id in enumerate(sorted(node_ids))]
