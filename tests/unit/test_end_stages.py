"""The end phase's order of stages, as a resumed controller reads it from the events."""

from itertools import combinations

from controller.control.end_stages import EXTERNAL, OUR_SINK, EndStage, describe, next_step, stage_of

S = EndStage


def walk(external: bool, drained: bool) -> list[EndStage]:
    """The stages reached one after another, each the first of its step unless the drain
    timed out."""
    done: set[EndStage] = set()
    order = []
    while (step := next_step(frozenset(done), external)) is not None:
        stage = S.DRAIN_TIMEOUT if step[0] == S.DRAINED and not drained else step[0]
        assert stage in step
        done.add(stage)
        order.append(stage)
    return order


def test_the_stages_come_in_order_and_only_external_mode_waits_for_the_table():
    assert walk(external=False, drained=True) == [S.PRODUCERS_STOPPED, S.DRAINED, S.CHECKED]
    assert walk(external=False, drained=False) == [S.PRODUCERS_STOPPED, S.DRAIN_TIMEOUT, S.CHECKED]
    assert walk(external=True, drained=True) == [S.PRODUCERS_STOPPED, S.DRAINED, S.SETTLED, S.CHECKED]


def test_a_resumed_end_phase_goes_on_from_the_first_step_it_has_not_reached():
    """Whatever subset of stages the events hold, the next step is the first one missing,
    and a checked run has nothing left to do."""
    for external, table in ((False, OUR_SINK), (True, EXTERNAL)):
        stages = sorted({s for step in table for s in step}, key=list(S).index)
        for n in range(len(stages) + 1):
            for subset in combinations(stages, n):
                done = frozenset(subset)
                expected = None if S.CHECKED in done else next(st for st in table if not done & set(st))
                assert next_step(done, external) == expected, (external, subset)


def test_stages_are_read_back_from_event_kinds_and_described():
    assert [stage_of(k) for k in ("end:drained", "end:checked", "fault_started", "end:bogus")] == \
        [S.DRAINED, S.CHECKED, None, None]
    assert describe(frozenset(), draining=False) is None
    assert describe(frozenset(), draining=True) == "stopping producers"
    assert describe(frozenset({S.PRODUCERS_STOPPED}), draining=True) == "draining"
    assert describe(frozenset({S.PRODUCERS_STOPPED, S.DRAIN_TIMEOUT}), draining=True) == "drain timed out"
    assert describe(frozenset({S.PRODUCERS_STOPPED, S.DRAINED, S.SETTLED, S.CHECKED}), draining=False) == "checked"


def test_a_run_judged_by_a_controller_that_died_before_its_final_state_is_finished_with_that_verdict(tmp_path):
    """The checked stage keeps the verdict: the next controller sets the final state from it
    instead of waiting forever for a step that is already done."""
    from types import SimpleNamespace

    from agents.clock import FakeClock
    from controller.control.end_phase import EndPhase
    from controller.runs.states import RunState
    from controller.store.db import Database
    from controller.store.runs import RunStore

    db = Database(f"sqlite:///{tmp_path / 'soak.db'}")
    db.create_schema()
    store = RunStore(db)
    t0 = 1_795_000_000_000_000_000
    run = store.create("default", {}, 1, 60, t0)
    store.set_state(run.id, RunState.RUNNING, t0 + 1)
    store.set_state(run.id, RunState.DRAINING, t0 + 2)
    store.add_event(run.id, S.PRODUCERS_STOPPED.value, t0 + 3, producers=2, unflushed=0)
    store.add_event(run.id, S.DRAINED.value, t0 + 4, seconds=1.0)
    store.add_event(run.id, S.CHECKED.value, t0 + 5, check=None, error=None, verdict="WARN",
                    reasons=["memory_leak on producer-0"])

    resumed = SimpleNamespace(store=store, run_id=run.id, clock=FakeClock(wall_ns=t0 + 6), state=RunState.DRAINING,
                              spec=SimpleNamespace(external_table=None))
    end = EndPhase(resumed)
    assert end.describe() == "checked"
    end.step(store.get(run.id))
    final = store.get(run.id)
    assert (final.state, final.verdict, final.reasons) == (RunState.FINISHED, "WARN", ["memory_leak on producer-0"])
    assert resumed.state == RunState.FINISHED
