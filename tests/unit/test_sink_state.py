import pytest

from agents.lakehouse.sink_state import STATE_KEY, Fenced, PartitionState, SinkState, check_fence


def test_summary_round_trip():
    state = SinkState("t", {0: PartitionState(10, {"p|1": [10, []]}), 2: PartitionState(5)})
    summary = state.to_summary()
    assert list(summary) == [STATE_KEY]
    back = SinkState.from_summary({**summary, "added-records": "3"}, "t")
    assert back == state
    assert SinkState.from_summary({"other": "x"}, "t") is None


def test_updates_merge_per_partition():
    state = SinkState("t", {0: PartitionState(10), 1: PartitionState(20)})
    new = state.with_updates({1: PartitionState(25), 2: PartitionState(3)})
    assert {p: s.offset for p, s in new.partitions.items()} == {0: 10, 1: 25, 2: 3}
    assert state.offset(1) == 20  # unchanged original


def test_fence_refuses_a_batch_that_does_not_start_where_the_table_ends():
    state = SinkState("t", {0: PartitionState(10)})
    check_fence(state, {0: 10, 1: None})
    with pytest.raises(Fenced, match="partition 0: table at 10, batch from 7"):
        check_fence(state, {0: 7})


def test_state_of_another_topic_is_refused():
    with pytest.raises(ValueError, match="one table per topic"):
        SinkState.from_summary(SinkState("a").to_summary(), "b")
