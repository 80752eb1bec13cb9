"""Schemathesis over the API's own OpenAPI document: generated valid and invalid requests
(bounded examples per operation) get no 5xx and no answer outside the documented schema."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance, unsupported_method

from controller.control.launcher import create_run
from controller.store.db import Database
from tests.api_seed import ADMIN, app_for, seed, settings_for

EXAMPLES = 15  # per operation and generation mode (valid, invalid)


class StoreOnlyLauncher:
    """Creates the run row a launch would, without starting a controller on Ray (the Ray
    side of a launch is covered end to end in tests/integration/api)."""

    def __init__(self, settings):
        self.settings = settings

    def launch(self, store, workload, hours, report_interval_s):
        from agents.clock import SystemClock

        return create_run(store, workload, hours, self.settings, SystemClock(), report_interval_s).run_id


def _app():
    # Built at import: schemathesis makes one test per operation from the app's schema.
    root = Path(tempfile.mkdtemp(prefix="soak-api-hostile-"))
    s = settings_for(root / "data", f"sqlite:///{root / 'soak.db'}")
    db = Database(s.effective_database_url)
    seed(db, s)
    return app_for(s, db, launcher=StoreOnlyLauncher(s))


# These two checks send requests of their own through that transport; what they check is
# covered in test_api_auth.py (every endpoint refuses a missing or wrong token; 405 for
# a method an endpoint does not have).
OWN_REQUESTS = [ignored_auth, unsupported_method]
APP = _app()
CLIENT = TestClient(APP)
AUTH = {"Authorization": f"Bearer {ADMIN}"}
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


def send(case):
    """The case over Starlette's test client (schemathesis's own transport is requests-based,
    which the urllib3 replacement another dependency installs breaks). A valid token replaces
    the generated one; a negative case that leaves the header out is sent without it, so the
    API must refuse it."""
    sends_auth = any(name.lower() == "authorization" for name in case.headers or {})
    kw = case.as_transport_kwargs(base_url=str(CLIENT.base_url), headers=AUTH if sends_auth else None)
    body = {}
    if "json" in kw:
        body["json"] = kw["json"]
    elif kw.get("data") is not None:
        data = kw["data"]
        body["content"] = data if isinstance(data, (bytes, str)) else str(data)
    response = CLIENT.request(kw["method"], kw["url"], headers=dict(kw["headers"]), params=kw.get("params"), **body)
    return response, kw


# Rules across fields (a workload's consumers within its partitions, a fault's agent of its
# agent_kind, ...) are beyond JSON Schema: data valid by the schema may break them. There
# the check is ours: such a 422 names the field and what is wrong with it.
CROSS_FIELD_RULES = {("POST", "/v1/runs"), ("POST", "/v1/runs/{run_id}/faults")}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_get_no_server_error_and_match_the_schema(case):
    response, kw = send(case)
    excluded = list(OWN_REQUESTS)
    if (case.operation.method.upper(), case.operation.path) in CROSS_FIELD_RULES:
        excluded.append(positive_data_acceptance)
        if response.status_code == 422:
            errors = response.json()["errors"]
            assert errors and all(e["field"] and e["message"] for e in errors), errors
    case.validate_response(response, headers=dict(kw["headers"]), transport_kwargs=kw, excluded_checks=excluded)
