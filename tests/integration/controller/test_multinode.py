"""A run across a Ray cluster of four nodes (head + 3): agents spread over the nodes, and
when a node is lost its agents are restarted elsewhere, recorded, and verification
stays exact."""

from __future__ import annotations

from tests.integration.controller.conftest import check_of, small_workload


def test_agents_spread_and_survive_the_loss_of_a_node(harness_for, ray_cluster, local_stack):
    h = harness_for()
    spec = h.start(small_workload(str(local_stack.kafka.config_path)), hours=0.03)
    run_id = spec.run_id
    wanted = {"producer-0", "producer-1", "consumer-0", "consumer-1", "query-0", "maintenance-0"}
    placed = h.wait(run_id, lambda r: (lambda on: on if wanted <= set(on) else None)(h.agents_on_nodes(run_id)),
                    120, "every agent to start")
    workers = {n.node_id: n for n in ray_cluster.worker_nodes}
    nodes = {node for aid, node in placed.items() if aid in wanted}
    assert len(nodes) >= 3, f"agents landed on {len(nodes)} nodes only: {placed}"
    node_agents = {aid for aid in h.agents_on_nodes(run_id) if aid.startswith("node-")}
    assert len(node_agents) == 4  # one per node

    # Lose a worker node that hosts a producer (so load, not only a reader, is hit). The
    # controller runs on the head (its own loss is the resume test's subject).
    controller_node = [e for e in h.store.events(run_id) if e["kind"] == "controller_started"][-1]["node"]
    assert controller_node == ray_cluster.head_node.node_id
    victim = next(node for aid, node in sorted(placed.items()) if aid.startswith("producer") and node in workers)
    moved = sorted(aid for aid, node in placed.items() if node == victim and aid in wanted)
    ray_cluster.remove_node(workers[victim])
    try:
        def restarted_elsewhere(run):
            now = h.agents_on_nodes(run_id)
            return all(now.get(aid) not in (None, victim) for aid in moved)

        h.wait(run_id, restarted_elsewhere, 120, f"{moved} to restart on another node")
    finally:
        ray_cluster.add_node(num_cpus=1, object_store_memory=96 * 1024**2)  # the session keeps three workers

    run = h.wait_done(run_id, 600)
    history = h.store.incarnations(run_id)
    for aid in moved:
        ends = [r["end_reason"] for r in history if r["agent_id"] == aid and r["end_reason"] != "run ended"]
        assert any(f"was on {victim[:12]}" in reason for reason in ends), (aid, ends)
    victim_agent = f"node-{victim[:12]}"
    assert any(r["agent_id"] == victim_agent and r["ended_ns"] for r in history)

    check = check_of(h.store, run_id)
    assert check["missing"] == 0 and check["duplicates"] == 0 and check["state_losses"] == 0, check
    assert check["acked"] > 10_000
    assert run.verdict in ("PASS", "WARN"), run.reasons
    assert all("missing" not in r and "duplicate" not in r and "corrupt" not in r for r in run.reasons), run.reasons
    assert run.progress["anomalies"] == {"duplicate": 0, "reordered": 0, "corrupt": 0}
    assert f"{len(moved)} agent restarts" in run.reasons, run.reasons
    assert any(e["kind"] == "node_lost" and e["node"] == victim for e in h.store.events(run_id))
