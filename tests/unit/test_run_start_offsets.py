"""Where a verifier starts reading a partition that holds nothing of its run yet."""

from __future__ import annotations

from confluent_kafka import OFFSET_BEGINNING, KafkaException, TopicPartition

from agents.clock import FakeClock
from agents.consumer import CLOCK_SKEW_MARGIN_S, ConsumerVerifierAgent
from workloads.specs import ConsumerSpec

CREATED_NS = 1_767_225_600_000_000_000


class Lookups:
    """The two offset look-ups a verifier makes, answered from literal data."""

    def __init__(self, by_time: dict[int, int], ends: dict[int, int], fail: bool = False):
        self.by_time, self.ends, self.fail, self.asked_ms = by_time, ends, fail, []

    def get_watermark_offsets(self, tp, timeout):
        if self.fail:
            raise KafkaException("timed out")
        return 0, self.ends[tp.partition]

    def offsets_for_times(self, tps, timeout):
        self.asked_ms += [tp.offset for tp in tps]
        return [TopicPartition(tp.topic, tp.partition, self.by_time[tp.partition]) for tp in tps]


def verifier(created_ns: int | None = CREATED_NS) -> ConsumerVerifierAgent:
    return ConsumerVerifierAgent("c-0", "run-1", "topic", "localhost:1", "group", None,
                                 ConsumerSpec(write_table=False), FakeClock(), run_created_ns=created_ns)


def test_a_partition_starts_at_the_first_record_since_the_run_was_created():
    lookups = Lookups(by_time={0: 1200, 1: -1}, ends={0: 5000, 1: 700})
    agent = verifier()
    # Partition 1 has no record that recent: its end as it was before the look-up, never "the end".
    assert agent._run_start_offsets(lookups, [0, 1]) == {0: 1200, 1: 700}
    assert lookups.asked_ms == [CREATED_NS // 1_000_000 - CLOCK_SKEW_MARGIN_S * 1000] * 2
    assert agent._run_start_offsets(lookups, [1]) == {1: 700} and len(lookups.asked_ms) == 2  # asked once


def test_without_the_runs_creation_or_a_broker_answer_it_reads_from_the_beginning():
    assert verifier(None)._run_start_offsets(Lookups({0: 5}, {0: 9}), [0]) == {0: OFFSET_BEGINNING}
    agent = verifier()
    assert agent._run_start_offsets(Lookups({0: 5}, {0: 9}, fail=True), [0]) == {0: OFFSET_BEGINNING}
    assert agent._run_start_offsets(Lookups({0: 5}, {0: 9}), [0]) == {0: 5}  # asked again after a failure
