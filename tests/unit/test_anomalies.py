import pytest

from agents.core.anomalies import REORDER, plan_anomalies


def test_plan_is_exact_disjoint_and_seeded():
    plan = plan_anomalies(7, [0, 1, 2], within=1000, skip=5, duplicate=6, reorder=7, corrupt=8)
    kinds = list(plan.values())
    assert {k: kinds.count(k) for k in set(kinds)} == {"skip": 5, "duplicate": 6, "reorder": 7, "corrupt": 8}
    assert plan == plan_anomalies(7, [0, 1, 2], within=1000, skip=5, duplicate=6, reorder=7, corrupt=8)
    for (p, s), kind in plan.items():
        assert 1 <= s <= 997
        assert (p, s + 1) not in plan and (p, s - 1) not in plan
        if kind == REORDER:
            assert (p, s + 2) not in plan


def test_too_many_anomalies_for_the_window_is_refused():
    with pytest.raises(ValueError, match="raise `within`"):
        plan_anomalies(1, [0], within=30, skip=50)
