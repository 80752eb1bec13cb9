import pytest

from controller.runs.states import InvalidTransition, RunState, transition

S = RunState


@pytest.mark.parametrize("path", [
    [S.PENDING, S.RUNNING, S.DRAINING, S.FINISHED],
    [S.PENDING, S.RUNNING, S.STOPPED],
    [S.PENDING, S.FAILED],
    [S.PENDING, S.RUNNING, S.DRAINING, S.STOPPED],
])
def test_allowed_paths(path):
    state = path[0]
    for nxt in path[1:]:
        state = transition(state, nxt)
    assert state == path[-1] and state.terminal


@pytest.mark.parametrize("current,target", [
    (S.FINISHED, S.RUNNING), (S.STOPPED, S.RUNNING), (S.FAILED, S.DRAINING), (S.PENDING, S.DRAINING),
    (S.PENDING, S.FINISHED), (S.RUNNING, S.PENDING), (S.DRAINING, S.RUNNING),
])
def test_refused_transitions(current, target):
    with pytest.raises(InvalidTransition, match=f"from {current.value} to {target.value}"):
        transition(current, target)


def test_repeating_a_state_is_idempotent():
    for state in S:
        assert transition(state, state) == state
