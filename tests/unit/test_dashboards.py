"""The dashboards: generated JSON in sync, well-formed, every query filtered to the run;
pushing them to Grafana (a stub of its HTTP API) is idempotent; fault annotations."""

from __future__ import annotations

import json

import pytest

from controller.dashboards.annotations import GrafanaAnnotations, fault_annotation
from controller.dashboards.build import DASHBOARDS_DIR, rendered
from controller.dashboards.model import FAULT_TAG, queries
from controller.dashboards.push import DATASOURCE_UID, FOLDER_UID, grafana_api, push
from controller.errors import SoakError
from tests.grafana_stub import GrafanaStub

TOKEN = "glsa_" + "t" * 32


@pytest.fixture
def grafana():
    stub = GrafanaStub(TOKEN)
    yield stub
    stub.close()


def test_the_shipped_json_is_what_the_catalog_renders():
    files = {p.name: p.read_text() for p in DASHBOARDS_DIR.glob("*.json")}
    assert files == rendered(), "run `python -m controller.dashboards.build` and commit dashboards/"


def test_each_dashboard_has_the_run_variables_and_queries_filtered_to_the_run():
    for text in rendered().values():
        d = json.loads(text)
        names = [v["name"] for v in d["templating"]["list"]]
        assert names == ["datasource", "workload", "run", "instance"]
        ids = [p["id"] for p in d["panels"]]
        assert len(ids) == len(set(ids)) and all(p["gridPos"]["x"] + p["gridPos"]["w"] <= 24 for p in d["panels"])
        for where, expr in queries(d):
            assert '$workload' in expr and '$instance' in expr, where
            assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}"), where
        assert any(a.get("target", {}).get("tags") == [FAULT_TAG] for a in d["annotations"]["list"])


def test_push_creates_then_updates_in_place(grafana, tmp_path):
    files = sorted(DASHBOARDS_DIR.glob("*.json"))
    api = grafana_api(grafana.url, TOKEN)
    first = push(api, files, "http://prometheus:9090")
    assert first.created[:2] == ["folder Soak fleet", "datasource Prometheus (soak fleet)"]
    assert len(first.created) == 6 and first.updated == []
    assert all(r.authorization == f"Bearer {TOKEN}" for r in grafana.requests)
    posts = [(r.path, r.body) for r in grafana.requests if r.method == "POST"]
    assert posts[0] == ("/api/folders", {"title": "Soak fleet", "uid": FOLDER_UID})
    assert posts[1][0] == "/api/datasources" and posts[1][1]["uid"] == DATASOURCE_UID
    assert posts[1][1]["type"] == "prometheus" and posts[1][1]["url"] == "http://prometheus:9090"
    saved = [b for p, b in posts if p == "/api/dashboards/db"]
    assert [b["dashboard"]["uid"] for b in saved] == [json.loads(f.read_text())["uid"] for f in files]
    assert all(b["overwrite"] is True and b["folderUid"] == FOLDER_UID and "id" not in b["dashboard"] for b in saved)

    grafana.requests.clear()
    second = push(api, files, "http://prometheus:9090")
    assert second.created == [] and len(second.updated) == 4
    assert [r.path for r in grafana.requests if r.method == "POST"] == ["/api/dashboards/db"] * 4
    assert {uid: d["version"] for uid, d in grafana.dashboards.items()} == {
        json.loads(f.read_text())["uid"]: 2 for f in files}


def test_push_names_a_refusal(grafana):
    with pytest.raises(SoakError, match="Grafana refused a request: 401"):
        push(grafana_api(grafana.url, "wrong-token"), sorted(DASHBOARDS_DIR.glob("*.json")), None)


def test_fault_annotations_are_a_point_then_a_region(grafana):
    fault = {"id": 7, "kind": "broker_kill", "target": "broker 127.0.0.1:9092", "started_ns": 1_000_000_000_000,
             "healed_ns": None}
    started = fault_annotation(fault, "run-1", "default", "started")
    assert started == {"time": 1_000_000, "tags": [FAULT_TAG, "broker_kill", "run:run-1", "workload:default"],
                       "text": "broker_kill started: broker 127.0.0.1:9092 (fault 7, run run-1)"}
    healed = fault_annotation({**fault, "healed_ns": 1_030_000_000_000}, "run-1", "default", "healed")
    assert (healed["time"], healed["timeEnd"]) == (1_000_000, 1_030_000)
    sink = GrafanaAnnotations(grafana.url, TOKEN)
    assert sink.post(started) and sink.post(healed)
    assert [(a["time"], a["timeEnd"], a["tags"][0]) for a in grafana.annotations] == [
        (1_000_000, None, FAULT_TAG), (1_000_000, 1_030_000, FAULT_TAG)]
    down = GrafanaAnnotations("http://127.0.0.1:9", TOKEN, timeout_s=1)
    assert down.post(started) is False and down.failures == 1  # counted, never raised
