"""The run store on SQLite (the PostgreSQL variant runs in the integration suite)."""

import pytest

from controller.runs.states import InvalidTransition, RunState
from controller.store.db import Database
from controller.store.runs import RunNotFound, RunStore, new_run_id

T0 = 1_795_000_000_000_000_000


@pytest.fixture
def store(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'soak.db'}")
    db.create_schema()
    return RunStore(db)


def test_run_ids_sort_by_time_and_read_well():
    assert new_run_id(T0, "abcd") == "run-20261118-110640-abcd"
    assert new_run_id(T0) < new_run_id(T0 + 10**9)


def test_lifecycle_is_recorded(store):
    run = store.create("default", {"name": "default"}, hours=24, report_interval_s=3600, now_ns=T0)
    assert run.state is RunState.PENDING and run.workload == {"name": "default"}
    store.set_state(run.id, RunState.RUNNING, T0 + 1)
    store.set_state(run.id, RunState.RUNNING, T0 + 2)  # a resumed controller repeats itself
    store.set_state(run.id, RunState.DRAINING, T0 + 3)
    done = store.set_state(run.id, RunState.FINISHED, T0 + 4, verdict="PASS", reasons=["all checks held"])
    assert (done.state, done.started_ns, done.ended_ns, done.verdict, done.reasons) == (
        RunState.FINISHED, T0 + 1, T0 + 4, "PASS", ["all checks held"])
    kinds = [e["kind"] for e in store.events(run.id)]
    assert kinds == ["created", "state:running", "state:draining", "state:finished"]
    with pytest.raises(InvalidTransition):
        store.set_state(run.id, RunState.RUNNING, T0 + 5)


def test_incarnations_are_recorded_once_each(store):
    run = store.create("default", {}, 1, 60, T0)
    assert store.record_incarnation(run.id, "producer-0", "producer", 111, T0, node="n1", pid=10)
    assert not store.record_incarnation(run.id, "producer-0", "producer", 111, T0)
    assert store.record_incarnation(run.id, "producer-0", "producer", 222, T0 + 5, node="n2", pid=11)
    store.end_incarnation(run.id, "producer-0", 111, T0 + 4, "node lost")
    rows = store.incarnations(run.id)
    assert [(r["incarnation"], r["node"], r["end_reason"]) for r in rows] == [(111, "n1", "node lost"),
                                                                             (222, "n2", None)]


def test_listing_filters_and_pages(store):
    ids = [store.create("w", {}, 1, 60, T0 + i * 10**9).id for i in range(5)]
    store.set_state(ids[0], RunState.STOPPED, T0 + 10**10)
    runs, total = store.list(limit=2)
    assert total == 5 and [r.id for r in runs] == [ids[4], ids[3]]
    stopped, n = store.list(state=RunState.STOPPED)
    assert n == 1 and stopped[0].id == ids[0]


def test_unknown_run_is_a_clear_error(store):
    with pytest.raises(RunNotFound, match="no run 'run-x'"):
        store.get("run-x")


def test_stop_requests_progress_checkpoints_and_ack_ledgers(store):
    run = store.create("default", {}, 1, 60, T0, spec={"run_id": "x"})
    assert store.get(run.id).spec == {"run_id": "x"} and store.latest().id == run.id
    store.request_stop(run.id, T0 + 1, reason="Ctrl-C")
    store.request_stop(run.id, T0 + 2)  # idempotent: the first request stands
    assert store.get(run.id).stop_requested_ns == T0 + 1
    assert [e["kind"] for e in store.events(run.id)].count("stop_requested") == 1
    store.save_progress(run.id, {"lag": 5}, T0 + 3, checkpoint={"totals": {}})
    assert store.get(run.id).progress == {"lag": 5} and store.checkpoint(run.id) == {"totals": {}}
    ledger = {"producer_id": "producer-0", "incarnation": 7, "failed": 0, "acked": {"0": [[0, 10]]}}
    store.save_ack_ledgers(run.id, [ledger], T0 + 4)
    store.save_ack_ledgers(run.id, [{**ledger, "acked": {"0": [[0, 20]]}}], T0 + 5)
    store.save_ack_ledgers(run.id, [{**ledger, "acked": {"0": [[0, 15]]}}], T0 + 6)  # older: kept out
    assert store.ack_ledgers(run.id) == [{**ledger, "acked": {"0": [[0, 20]]}}]
    store.record_incarnation(run.id, "producer-0", "producer", 1, T0, node="n1", pid=10)
    store.record_incarnation(run.id, "producer-0", "producer", 2, T0 + 1, node="n1", pid=11)
    store.end_incarnation(run.id, "producer-0", 1, T0 + 1, "process restarted")
    assert list(store.open_incarnations(run.id)) == ["producer-0"]
    assert store.open_incarnations(run.id)["producer-0"]["incarnation"] == 2
