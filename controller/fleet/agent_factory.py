"""What to construct for each agent slot of a run: the agent class and its arguments."""

from __future__ import annotations

from agents.base import Agent
from agents.consumer import ConsumerVerifierAgent
from agents.maintenance import MaintenanceAgent
from agents.node import NodeAgent
from agents.producer import ProducerAgent
from agents.query import QueryAgent
from controller.fleet.slots import CONSUMER, MAINTENANCE, NODE, PRODUCER, QUERY, AgentSlot
from controller.runs.spec import RunSpec


def agent_args(spec: RunSpec, slot: AgentSlot) -> tuple[type[Agent], tuple]:
    w, aid = spec.workload, slot.agent_id
    if slot.kind == PRODUCER:
        return ProducerAgent, (aid, spec.run_id, spec.topic, spec.agent_bootstrap, w.producers.spec)
    external = spec.external_table
    if slot.kind == CONSUMER:
        if external is not None:  # read-only: the team's job writes the table
            return ConsumerVerifierAgent, (aid, spec.run_id, spec.topic, spec.agent_bootstrap, spec.group_id, None,
                                           w.consumers.spec.model_copy(update={"write_table": False}), None,
                                           spec.created_ns)
        return ConsumerVerifierAgent, (aid, spec.run_id, spec.topic, spec.agent_bootstrap, spec.group_id,
                                       spec.table_ref, w.consumers.spec, None, spec.created_ns)
    if slot.kind == QUERY:
        return QueryAgent, (aid, spec.run_id, external or spec.table_ref, w.queries.spec)
    if slot.kind == MAINTENANCE:
        return MaintenanceAgent, (aid, spec.table_ref, spec.topic, w.table.maintenance)
    if slot.kind == NODE:
        return NodeAgent, (aid, w.node)
    raise ValueError(f"unknown agent kind {slot.kind!r}")
