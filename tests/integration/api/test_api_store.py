"""Every read and change of the API against a fresh store, SQLite and PostgreSQL alike."""

from __future__ import annotations

from controller.store.faults import REQUESTED, FaultStore
from controller.store.runs import RunStore
from tests.api_seed import T0, S, app_for
from tests.integration.api.conftest import Api


def test_runs_are_listed_newest_first_filtered_and_paginated(api: Api):
    page = api.call("GET", "/v1/runs").json()
    assert page["total"] == 6 and len(page["items"]) == 6
    created = [r["created_at"] for r in page["items"]]
    assert created == sorted(created, reverse=True)
    second = api.call("GET", "/v1/runs", params={"limit": 2, "offset": 2}).json()
    assert [r["id"] for r in second["items"]] == [r["id"] for r in page["items"][2:4]]
    assert (second["total"], second["limit"], second["offset"]) == (6, 2, 2)
    finished = api.call("GET", "/v1/runs", params={"state": "finished"}).json()
    assert [r["id"] for r in finished["items"]] == [api.seeded.finished] and finished["total"] == 1
    assert finished["items"][0]["verdict"] == "PASS"
    bad = api.call("GET", "/v1/runs", params={"state": "sleeping", "limit": 0})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"query.state", "query.limit"}


def test_a_run_its_agents_and_stop(api: Api):
    run_id = api.seeded.running
    run = api.call("GET", f"/v1/runs/{run_id}").json()
    assert run["state"] == "running" and run["progress"]["elapsed_s"] == 3600.0 and run["stop_requested"] is False
    agents = {a["agent_id"]: a for a in api.call("GET", f"/v1/runs/{run_id}/agents").json()}
    assert agents["producer-0"]["incarnation"] == 1 and agents["producer-0"]["restarts"] == 1
    assert agents["producer-0"]["node"] == "node-b" and agents["producer-0"]["rss_bytes"] == 150e6
    assert agents["consumer-0"]["restarts"] == 0 and agents["consumer-0"]["status"] == "healthy"

    stopped = api.call("POST", f"/v1/runs/{run_id}/stop", role="admin")
    assert stopped.status_code == 202 and stopped.json()["stop_requested"] is True
    assert RunStore(api.db).get(run_id).stop_requested_ns is not None  # what the controller reads
    assert api.call("POST", f"/v1/runs/{run_id}/stop", role="admin").status_code == 202  # idempotent
    ended = api.call("POST", f"/v1/runs/{api.seeded.finished}/stop", role="admin")
    assert ended.status_code == 200 and ended.json()["state"] == "finished"
    missing = api.call("GET", "/v1/runs/run-nope")
    assert missing.status_code == 404 and "run-nope" in missing.json()["detail"]
    assert missing.headers["content-type"] == "application/problem+json"


def test_reports_in_json_html_and_markdown_and_alerts(api: Api):
    run_id = api.seeded.finished
    refs = api.call("GET", f"/v1/runs/{run_id}/reports").json()
    assert [(r["window"], r["name"]) for r in refs] == [(None, "run"), (1, "1")]
    first = api.call("GET", f"/v1/runs/{run_id}/reports/1")
    assert first.headers["content-type"] == "application/json" and first.json()["verdict"]["level"] in ("PASS", "WARN")
    html = api.call("GET", f"/v1/runs/{run_id}/reports/1", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html") and "<svg" in html.text
    md = api.call("GET", f"/v1/runs/{run_id}/reports/run", headers={"Accept": "text/markdown"})
    assert md.headers["content-type"].startswith("text/markdown") and run_id in md.text
    absent = api.call("GET", f"/v1/runs/{run_id}/reports/7")
    assert absent.status_code == 404 and "it has: run, 1" in absent.json()["detail"]

    alerts = api.call("GET", f"/v1/runs/{run_id}/alerts").json()
    assert [(a["kind"], a["active"]) for a in alerts] == [("memory_leak", True), ("fault_not_recovered", False)]
    active = api.call("GET", f"/v1/runs/{run_id}/alerts", params={"active": True}).json()
    assert [a["subject"] for a in active] == ["producer-0"] and active[0]["evidence"]["slope_mb_per_hour"] == 3.0


def test_faults_are_listed_and_injected_with_their_parameters_checked(api: Api):
    run_id = api.seeded.running
    listed = api.call("GET", f"/v1/runs/{run_id}/faults").json()
    assert [(f["kind"], f["target"], f["recovery_s"]) for f in listed] == [("agent_kill", "producer-0", 12.5)]

    made = api.call("POST", f"/v1/runs/{run_id}/faults", role="admin",
                    json={"kind": "agent_pause", "params": {"duration_s": 20, "agent_kind": "consumer"}})
    assert made.status_code == 202, made.text
    row = FaultStore(api.db).get(made.json()["id"])
    assert (row["state"], row["kind"], row["params"]) == (REQUESTED, "agent_pause",
                                                          {"duration_s": 20.0, "agent_kind": "consumer"})

    bad = api.call("POST", f"/v1/runs/{run_id}/faults", role="admin",
                   json={"kind": "agent_pause", "params": {"duration_s": -1}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.agent_pause.params.duration_s"
    unknown = api.call("POST", f"/v1/runs/{run_id}/faults", role="admin", json={"kind": "meteor", "params": {}})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.kind"
    typo = api.call("POST", f"/v1/runs/{run_id}/faults", role="admin",
                    json={"kind": "cpu_pressure", "params": {"cores": 2}})
    assert typo.status_code == 422 and typo.json()["errors"][0]["field"] == "body.cpu_pressure.params.cores"
    # Nothing could bring a lost node back in this run's environment: refused with the reason.
    node = api.call("POST", f"/v1/runs/{run_id}/faults", role="admin", json={"kind": "node_loss"})
    assert node.status_code == 409 and "SOAK_NODE_START_COMMAND" in node.json()["detail"]
    ended = api.call("POST", f"/v1/runs/{api.seeded.finished}/faults", role="admin", json={"kind": "agent_kill"})
    assert ended.status_code == 409 and "already ended" in ended.json()["detail"]
    assert len(FaultStore(api.db).of_run(run_id)) == 2


def test_samples_are_downsampled_per_step_and_agent(api: Api):
    run_id = api.seeded.running
    assert api.call("GET", f"/v1/runs/{run_id}/series").json() == ["acked_per_s", "rss_bytes"]
    got = api.call("GET", f"/v1/runs/{run_id}/samples",
                   params={"series": "rss_bytes", "from": T0 // S, "to": T0 // S + 600, "step": 60}).json()
    points = got["points"]
    assert len(points) == 20 and {p["agent_id"] for p in points} == {"producer-0", "consumer-0"}
    first = [p for p in points if p["agent_id"] == "producer-0"][0]
    # 12 samples per minute, values 1e8 + index: 0..11 in the first minute
    assert (first["min"], first["max"], first["avg"], first["last"]) == (1e8, 1e8 + 11, 1e8 + 5.5, 1e8 + 11)
    one = api.call("GET", f"/v1/runs/{run_id}/samples", params={"series": "rss_bytes", "agent": "consumer-0",
                                                                 "step": 600}).json()
    assert len(one["points"]) == 6 and {p["agent_id"] for p in one["points"]} == {"consumer-0"}
    unknown = api.call("GET", f"/v1/runs/{run_id}/samples", params={"series": "nope"})
    assert unknown.status_code == 404 and "acked_per_s, rss_bytes" in unknown.json()["detail"]
    too_fine = api.call("GET", f"/v1/runs/{run_id}/samples",
                        params={"series": "rss_bytes", "from": T0 // S, "to": T0 // S + 30 * 86400, "step": 1})
    assert too_fine.status_code == 422 and too_fine.json()["errors"][0]["field"] == "query.step"


def test_a_restarted_api_answers_the_same(api: Api):
    paths = ["/v1/runs", f"/v1/runs/{api.seeded.running}", f"/v1/runs/{api.seeded.running}/faults",
             f"/v1/runs/{api.seeded.finished}/reports", f"/v1/runs/{api.seeded.finished}/alerts"]
    before = [api.call("GET", p).json() for p in paths]
    again = Api(app_for(api.settings, api.db), api.seeded, api.settings, api.db)
    assert [again.call("GET", p).json() for p in paths] == before
    assert again.call("GET", "/readyz").json()["status"] == "ready"
