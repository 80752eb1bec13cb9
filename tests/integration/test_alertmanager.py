"""The soak's alerts pushed to a real Alertmanager (Debian's prometheus-alertmanager)."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
import uuid

import pytest

from controller.alerting.alertmanager import AlertmanagerError, AlertmanagerPush
from controller.infra.ports import free_ports
from controller.infra.stack import LocalStack
from controller.settings import SoakSettings
from tests.integration.conftest import port_overrides
from tests.integration.system_packages import ensure_debian_package


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory):
    """A local Alertmanager started the way `soak infra up` starts it (the broker, Ray,
    Prometheus and Toxiproxy left out), on ports picked free for this module."""
    ensure_debian_package("prometheus-alertmanager", "prometheus-alertmanager")
    settings = SoakSettings(data_dir=tmp_path_factory.mktemp("alertmanager-data"), **port_overrides())
    stack = LocalStack(settings, report=lambda msg: print(f"[infra] {msg}"))
    statuses = stack.up(kafka=False, prometheus=False, toxiproxy=False, ray=False, alertmanager=True)
    assert [(s.name, s.state) for s in statuses] == [("alertmanager", "ready")]
    yield stack.alertmanager
    stack.down()


def active_alerts(url: str, run_id: str) -> list[dict]:
    query = urllib.parse.urlencode({"active": "true", "filter": f'run_id="{run_id}"'})
    with urllib.request.urlopen(f"{url}/api/v2/alerts?{query}", timeout=5) as resp:
        return json.loads(resp.read())


def poll(predicate, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.25)


def soak_alert(kind: str, subject: str, first_seen_ns: int, resolved_ns: int | None = None) -> dict:
    return {"id": None, "kind": kind, "subject": subject, "summary": f"{kind} on {subject}",
            "evidence": {"slope_bytes_per_s": 1234.5, "window_s": 600}, "first_seen_ns": first_seen_ns,
            "last_seen_ns": first_seen_ns, "resolved_ns": resolved_ns}


def test_active_alerts_are_listed_and_resolved_ones_are_not(alertmanager):
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    now = time.time_ns()
    leak = soak_alert("memory_leak", "producer-0", now - 60 * 10**9)
    lag = soak_alert("lag_growth", "consumer-verifier-1", now - 120 * 10**9, resolved_ns=now - 10 * 10**9)
    push = AlertmanagerPush(alertmanager.url)
    push.push([leak, lag], run_id, "steady", generator_url="http://127.0.0.1:8080/runs/" + run_id)

    listed = poll(lambda: active_alerts(alertmanager.url, run_id))
    assert len(listed) == 1, listed
    (alert,) = listed
    assert alert["labels"] == {"alertname": "SoakMemoryLeak", "kind": "memory_leak", "subject": "producer-0",
                               "run_id": run_id, "workload": "steady", "severity": "warning"}
    assert alert["annotations"]["summary"] == "memory_leak on producer-0"
    assert json.loads(alert["annotations"]["evidence"]) == leak["evidence"]
    assert alert["generatorURL"] == "http://127.0.0.1:8080/runs/" + run_id
    assert alert["receivers"] == [{"name": "soak"}]

    push.push([{**leak, "resolved_ns": time.time_ns()}], run_id, "steady")
    assert poll(lambda: not active_alerts(alertmanager.url, run_id)), "the resolved alert is still active"


def test_a_refused_push_names_the_alertmanager(alertmanager):
    # Alertmanager refuses an alert that ends before it starts (HTTP 400): no retry, a clear error.
    bad = soak_alert("lag_growth", "producer-0", time.time_ns(), resolved_ns=time.time_ns() - 3600 * 10**9)
    with pytest.raises(AlertmanagerError, match="refused") as info:
        AlertmanagerPush(alertmanager.url).push([bad], "run-bad", "steady")
    assert alertmanager.url in str(info.value)


def test_an_unreachable_alertmanager_fails_after_the_retries():
    url = f"http://127.0.0.1:{free_ports(1)[0]}"  # nothing listens there
    push = AlertmanagerPush(url, timeout_s=1)
    push.backoff_s = 0.01
    started = time.monotonic()
    with pytest.raises(AlertmanagerError, match="after 3 attempts") as info:
        push.push([soak_alert("memory_leak", "producer-0", time.time_ns())], "run-x", "steady")
    assert url in str(info.value) and time.monotonic() - started < 10


def test_infra_status_lists_the_alertmanager(alertmanager):
    by_name = {s.name: s for s in LocalStack(alertmanager.settings).status()}
    assert by_name["alertmanager"].state == "ready"
    assert by_name["alertmanager"].address == f"http://127.0.0.1:{alertmanager.settings.alertmanager_port}"
    assert by_name["alertmanager"].pid == alertmanager.process.process().pid
    assert by_name["kafka"].state in {"stopped", "not installed"}
