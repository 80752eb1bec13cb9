"""Fleet decisions: slots, placement, restart backoff, reconcile and incarnations (pure)."""

from controller.fleet.backoff import RestartBackoff
from controller.fleet.incarnations import Current, Ended, IncarnationTracker, Started
from controller.fleet.placement import place
from controller.fleet.reconcile import Create, Observation, Restart, Retire, Status, plan
from controller.fleet.slots import AgentSlot, node_slots, workload_slots
from workloads.model import Workload


def test_slots_follow_the_workload_with_stable_ids():
    w = Workload.model_validate({"producers": {"count": 3}, "consumers": {"count": 2}, "queries": {"count": 0}})
    assert [s.agent_id for s in workload_slots(w)] == [
        "producer-0", "producer-1", "producer-2", "consumer-0", "consumer-1", "maintenance-0"]
    assert [s.agent_id for s in node_slots(["bbbbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaaaa"])] == [
        "node-aaaaaaaaaaaa", "node-bbbbbbbbbbbb"]


def test_one_agent_of_each_kind_per_node_where_possible():
    slots = [AgentSlot("producer", i) for i in range(3)] + [AgentSlot("consumer", i) for i in range(3)]
    placed = place(slots, ["n1", "n2", "n3"])
    for kind in ("producer", "consumer"):
        assert sorted(placed[f"{kind}-{i}"] for i in range(3)) == ["n1", "n2", "n3"]
    # More agents than nodes: spread evenly, never two more on one node than another.
    many = place([AgentSlot("producer", i) for i in range(7)], ["n1", "n2", "n3"])
    counts = sorted(list(many.values()).count(n) for n in ("n1", "n2", "n3"))
    assert counts == [2, 2, 3]


def test_placement_counts_what_already_runs_and_ignores_lost_nodes():
    placed = place([AgentSlot("producer", 1)], ["n1", "n2"], running={"n1": ["producer"], "gone": ["producer"]})
    assert placed == {"producer-1": "n2"}
    assert place([AgentSlot("producer", 0)], []) == {}


def test_backoff_doubles_caps_and_forgets_after_a_healthy_spell():
    b = RestartBackoff(base_s=2, max_s=10, reset_after_s=100)
    assert b.ready("a", 0)
    waits = []
    for now in (0, 2, 6, 14, 24):
        assert b.ready("a", now)
        b.restarted("a", now)
        waits.append(b.wait_s("a", now))
    assert waits == [2, 4, 8, 10, 10]
    assert not b.ready("a", 25)
    b.restarted("a", 200)  # long healthy: back to the base
    assert b.wait_s("a", 200) == 2 and b.attempts("a") == 1


def test_reconcile_creates_restarts_waits_and_retires():
    desired = [AgentSlot("producer", 0), AgentSlot("consumer", 0), AgentSlot("query", 0), AgentSlot("consumer", 1)]
    observed = {"producer-0": Observation(Status.HEALTHY, 1), "consumer-0": Observation(Status.FAILED, 2, error="boom"),
                "query-0": Observation(Status.UNRESPONSIVE), "node-old": Observation(Status.HEALTHY, 3)}
    b = RestartBackoff(1, 10)
    actions = plan(desired, observed, b, now=0, ever_started={"consumer-0"})
    assert actions == [Restart(AgentSlot("consumer", 0), "boom"), Create(AgentSlot("consumer", 1), False),
                       Retire("node-old")]
    # A dead agent that ran before is recreated, but only once its backoff allows.
    b.restarted("consumer-1", 0)
    dead = {"consumer-1": Observation(Status.DEAD)}
    assert plan([AgentSlot("consumer", 1)], dead, b, now=0.5, ever_started={"consumer-1"}) == []
    assert plan([AgentSlot("consumer", 1)], dead, b, now=1.5, ever_started={"consumer-1"}) == [
        Create(AgentSlot("consumer", 1), True)]


def test_incarnations_record_starts_restarts_moves_and_deaths():
    t = IncarnationTracker({"producer-0": Current(1, "n1", 10)})
    healthy = Observation(Status.HEALTHY, 1, "n1", 10)
    assert t.observe("producer-0", healthy) == []  # resumed: known already
    assert t.observe("producer-0", Observation(Status.HEALTHY, 2, "n1", 11)) == [
        Ended("producer-0", 1, "process restarted"), Started("producer-0", 2, "n1", 11)]
    moved = t.observe("producer-0", Observation(Status.HEALTHY, 3, "n2aaaaaaaaaaaa", 12))
    assert moved[0].reason.startswith("restarted on node n2aaaaaaaaaa")
    assert t.observe("producer-0", Observation(Status.UNRESPONSIVE)) == []
    assert t.observe("producer-0", Observation(Status.DEAD, error="node lost")) == [
        Ended("producer-0", 3, "actor died: node lost")]
    assert t.retire("producer-0", "run ended") == []
