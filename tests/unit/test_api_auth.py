"""Tokens and roles: who may read and change what; no token ever reaches a log."""

from __future__ import annotations

import logging
import os
import stat

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from controller.api.auth import Role, load_tokens
from controller.errors import SoakError
from controller.store.db import Database
from tests.api_seed import ADMIN, READER, app_for, seed, settings_for

MUTATING = [("POST", "/v1/runs", {"hours": 1}), ("POST", "/v1/runs/{run}/stop", None),
            ("POST", "/v1/runs/{run}/faults", {"kind": "agent_kill"})]
READING = ["/v1/runs", "/v1/runs/{run}", "/v1/runs/{run}/agents", "/v1/runs/{run}/reports",
           "/v1/runs/{run}/reports/1", "/v1/runs/{run}/alerts", "/v1/runs/{run}/faults", "/v1/runs/{run}/series",
           "/v1/runs/{run}/samples?series=rss_bytes"]


@pytest.fixture
def client(tmp_path):
    settings = settings_for(tmp_path / "data", f"sqlite:///{tmp_path / 'soak.db'}")
    db = Database(settings.effective_database_url)
    seeded = seed(db, settings)
    c = TestClient(app_for(settings, db))
    c.run_id = seeded.running
    return c


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_every_endpoint_but_the_probes_needs_a_valid_token(client):
    for path in READING:
        url = path.format(run=client.run_id)
        missing = client.get(url)
        assert missing.status_code == 401, url
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert missing.headers["content-type"] == "application/problem+json"
        assert client.get(url, headers=bearer("x" * 40)).status_code == 401, url
        assert client.get(url, headers={"Authorization": f"Basic {READER}"}).status_code == 401, url
        assert client.get(url, headers=bearer(READER)).status_code == 200, url
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200


def test_changes_need_the_admin_role(client):
    for method, path, body in MUTATING:
        url = path.format(run=client.run_id)
        assert client.request(method, url, json=body).status_code == 401
        refused = client.request(method, url, json=body, headers=bearer(READER))
        assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    # The admin token passes auth (this app has no launcher: a run cannot start here).
    assert client.post("/v1/runs", json={"hours": 1}, headers=bearer(ADMIN)).status_code == 503
    assert client.post(f"/v1/runs/{client.run_id}/stop", headers=bearer(ADMIN)).status_code == 202


def test_no_token_is_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-token-" + "w" * 30
    for token in (ADMIN, READER, wrong):
        for path in READING:
            client.get(path.format(run=client.run_id), headers=bearer(token))
        client.post(f"/v1/runs/{client.run_id}/faults", json={"kind": "nope"}, headers=bearer(token))
    access = [r for r in caplog.records if r.name == "soak.api.access"]
    assert len(access) == 3 * (len(READING) + 1)  # every request is logged ...
    for secret in (ADMIN, READER, wrong):
        assert secret not in caplog.text  # ... and no token with it


def test_a_method_an_endpoint_lacks_is_a_405_problem(client):
    for method, path in (("DELETE", "/v1/runs"), ("PUT", "/v1/runs/{run}"), ("OPTIONS", "/v1/runs/{run}/faults")):
        answer = client.request(method, path.format(run=client.run_id), headers=bearer(ADMIN))
        assert answer.status_code == 405 and answer.headers["content-type"] == "application/problem+json"
        assert "allow" in answer.headers


def test_request_ids_are_echoed_or_made(client):
    given = client.get("/healthz", headers={"X-Request-ID": "ci-build-42.step-3"})
    assert given.headers["x-request-id"] == "ci-build-42.step-3"
    unsafe = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces" and len(unsafe.headers["x-request-id"]) == 32
    problem = client.get("/v1/runs/run-nope", headers={**bearer(READER), "X-Request-ID": "trace-1"})
    assert problem.json()["request_id"] == "trace-1"


def test_oversized_bodies_are_refused_with_413(client):
    big = b'{"hours": 1, "workload": {"name": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
    declared = client.post("/v1/runs", content=big, headers={**bearer(ADMIN), "Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.json()["status"] == 413

    def chunks():  # no Content-Length: counted while read
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536]

    streamed = client.post("/v1/runs", content=chunks(), headers={**bearer(ADMIN), "Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_tokens_are_generated_once_into_a_private_file(tmp_path):
    settings = settings_for(tmp_path, "sqlite://")
    tokens, created = load_tokens(settings)
    assert created and tokens.role_of(created["admin"]) is Role.ADMIN and tokens.role_of(created["read"]) is Role.READ
    path = settings.effective_api_tokens_file
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again, created_again = load_tokens(settings)
    assert created_again is None and again == tokens
    assert tokens.role_of("x" * 43) is None


def test_tokens_from_settings_win_and_short_ones_are_refused(tmp_path):
    settings = settings_for(tmp_path, "sqlite://").model_copy(
        update={"api_admin_tokens": SecretStr(f"{ADMIN}, second-admin-token-xyz"), "api_read_tokens": SecretStr(READER)})
    tokens, created = load_tokens(settings)
    assert created is None and not settings.effective_api_tokens_file.exists()
    assert tokens.role_of("second-admin-token-xyz") is Role.ADMIN and tokens.role_of(READER) is Role.READ
    with pytest.raises(SoakError, match="shorter than 16"):
        load_tokens(settings.model_copy(update={"api_read_tokens": SecretStr("short")}))
