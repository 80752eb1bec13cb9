"""The fault schedule (pure): when the n-th fault comes and which kind it is."""

from __future__ import annotations

import pytest

from controller.faults.schedule import due, planned
from workloads.faults import PARAMS, FaultScheduleSpec, with_overrides

KINDS = ("agent_kill", "agent_pause", "broker_kill", "network_partition")


def test_every_cycles_through_kinds_at_fixed_times_after_the_warm_up():
    s = FaultScheduleSpec(mode="every", every_s=45, warm_up_s=15, kinds=KINDS)
    got = [planned(s, n) for n in range(6)]
    assert [p.at_s for p in got] == [15, 60, 105, 150, 195, 240]
    assert [p.kind for p in got] == list(KINDS) + list(KINDS[:2])


def test_random_takes_each_kind_once_per_round_and_is_reproducible():
    s = FaultScheduleSpec(mode="random", every_s=60, kinds=KINDS, seed=7)
    rounds = [[planned(s, r * 4 + i).kind for i in range(4)] for r in range(5)]
    assert all(sorted(r) == sorted(KINDS) for r in rounds)
    assert len({tuple(r) for r in rounds}) > 1, "a different order in different rounds"
    assert rounds == [[planned(s, r * 4 + i).kind for i in range(4)] for r in range(5)]
    other = FaultScheduleSpec(mode="random", every_s=60, kinds=KINDS, seed=8)
    assert rounds != [[planned(other, r * 4 + i).kind for i in range(4)] for r in range(5)]


def test_jitter_stays_within_its_bound_and_depends_on_the_seed():
    s = FaultScheduleSpec(mode="every", every_s=100, jitter_s=20, warm_up_s=0, kinds=KINDS, seed=3)
    offsets = [planned(s, n).at_s - n * 100 for n in range(200)]
    assert all(0 <= o < 20 for o in offsets)
    assert max(offsets) - min(offsets) > 10


def test_unavailable_kinds_are_left_out_of_the_plan():
    s = FaultScheduleSpec(mode="every", every_s=10, warm_up_s=0, kinds=KINDS)
    assert [planned(s, n, ("agent_pause",)).kind for n in range(3)] == ["agent_pause"] * 3
    assert planned(s, 0, ()) is None


def test_timeline_in_time_order_then_nothing():
    s = FaultScheduleSpec(mode="timeline", timeline=[
        {"at_s": 90, "kind": "agent_kill"},
        {"at_s": 30, "kind": "network_partition", "params": {"duration_s": 5}, "skip_heal": True}])
    first, second = planned(s, 0), planned(s, 1)
    assert (first.at_s, first.kind, first.params, first.skip_heal) == (30, "network_partition", {"duration_s": 5}, True)
    assert (second.at_s, second.kind) == (90, "agent_kill")
    assert planned(s, 2) is None


def test_none_plans_nothing():
    assert planned(FaultScheduleSpec(), 0) is None


@pytest.mark.parametrize("elapsed,active,expected", [(14.9, 0, False), (15, 0, True), (30, 1, False)])
def test_due_when_its_time_came_and_no_other_fault_is_in_progress(elapsed, active, expected):
    s = FaultScheduleSpec(mode="every", every_s=45, warm_up_s=15, kinds=KINDS)
    assert due(planned(s, 0), elapsed, active, max_concurrent=1) is expected


def test_due_allows_concurrent_faults_when_asked():
    s = FaultScheduleSpec(mode="every", every_s=45, warm_up_s=0, kinds=KINDS, max_concurrent=2)
    assert due(planned(s, 0), 1, 1, s.max_concurrent)
    assert not due(None, 1e9, 0, 1)


def test_fault_every_turns_any_schedule_into_a_compressed_one():
    compressed = with_overrides(FaultScheduleSpec(), every_s=45, warm_up_s=15)
    assert (compressed.mode, compressed.every_s, compressed.warm_up_s) == ("every", 45, 15)
    assert set(compressed.kinds) == set(PARAMS)  # all of them: those unavailable here are left out later
    random_one = FaultScheduleSpec(mode="random", every_s=600, jitter_s=120, kinds=KINDS)
    kept = with_overrides(random_one, every_s=40)
    assert (kept.mode, kept.kinds, kept.jitter_s) == ("random", KINDS, 10)
    assert with_overrides(random_one, off=True).mode == "none"
