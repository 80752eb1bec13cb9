"""A verifier reads the table's state on assignment; a briefly unavailable catalog (a
SQLite file another writer holds locked) is retried, and a lasting one replaces the
consumer instead of ending the agent."""

import pytest
import sqlalchemy.exc
from confluent_kafka import TopicPartition

import agents.consumer as consumer_module
from agents.consumer import ConsumerFatal, ConsumerVerifierAgent
from agents.lakehouse.sink_state import PartitionState, SinkState
from workloads.specs import ConsumerSpec

LOCKED = sqlalchemy.exc.OperationalError("SELECT ...", {}, Exception("database is locked"))


class FlakySink:
    def __init__(self, failures: int, state: SinkState):
        self.failures, self.state, self.reads = failures, state, 0

    def load_state(self) -> SinkState:
        self.reads += 1
        if self.reads <= self.failures:
            raise LOCKED
        return self.state


class RecordingConsumer:
    assigned: list | None = None

    def assign(self, partitions):
        self.assigned = [(tp.partition, tp.offset) for tp in partitions]


def verifier_with(sink) -> ConsumerVerifierAgent:
    agent = ConsumerVerifierAgent("c-0", "run", "topic", "127.0.0.1:1", "g", None, ConsumerSpec(write_table=False))
    agent._attach(sink)
    return agent


def test_assignment_waits_out_a_locked_catalog_and_seeks_to_the_tables_offsets():
    state = SinkState("topic").with_updates({0: PartitionState(42, {}), 1: PartitionState(7, {})})
    sink, consumer = FlakySink(failures=2, state=state), RecordingConsumer()
    verifier_with(sink)._on_assign(consumer, [TopicPartition("topic", 0), TopicPartition("topic", 1)])
    assert sink.reads == 3
    assert consumer.assigned == [(0, 42), (1, 7)]


def test_a_catalog_locked_past_the_budget_gives_the_consumer_up(monkeypatch):
    monkeypatch.setattr(consumer_module, "STATE_READ_BUDGET_S", 0.5)
    sink, consumer = FlakySink(failures=10**9, state=SinkState("topic")), RecordingConsumer()
    with pytest.raises(ConsumerFatal, match="database is locked"):
        verifier_with(sink)._on_assign(consumer, [TopicPartition("topic", 0)])
    assert sink.reads >= 2 and consumer.assigned is None
