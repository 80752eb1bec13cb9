"""`soak infra up | status | down` and `soak start` as a user runs them."""

from __future__ import annotations

import json

import psutil

from tests.integration.cli_helpers import run_soak
from tests.integration.conftest import port_overrides


def process_gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_up_status_start_down_leaves_no_process_of_ours(tmp_path, soak_env):
    ports = port_overrides()
    env = soak_env(tmp_path / "data", prometheus_enabled="false", toxiproxy_enabled="true", **ports)

    up = run_soak(["infra", "up"], env)
    assert up.returncode == 0, up.stderr

    status = run_soak(["infra", "status", "--json"], env)
    assert status.returncode == 0, status.stderr
    by_name = {c["name"]: c for c in json.loads(status.stdout)}
    assert by_name["kafka"]["state"] == "ready"
    assert by_name["kafka"]["address"] == f"127.0.0.1:{ports['kafka_port']}"
    assert by_name["toxiproxy"]["state"] == "ready"
    assert by_name["prometheus"]["state"] in {"stopped", "not installed"}
    pids = [c["pid"] for c in by_name.values() if c["pid"]]
    assert len(pids) == 2 and all(psutil.pid_exists(p) for p in pids)

    # The main command on the embedded defaults: the broker is already up (idempotent),
    # and it says plainly that no soak was started rather than pretending.
    start = run_soak(["start", "--hours", "24"], env)
    assert start.returncode == 3, start.stdout + start.stderr
    assert "kafka: ready" in start.stdout
    assert "no 24 h soak was started" in start.stderr
    again = run_soak(["infra", "status", "--json"], env)
    assert [c["pid"] for c in json.loads(again.stdout) if c["pid"]] == pids

    down = run_soak(["infra", "down"], env)
    assert down.returncode == 0, down.stderr
    assert "kafka" in down.stdout and "toxiproxy" in down.stdout
    assert all(process_gone(p) for p in pids), [p for p in pids if not process_gone(p)]
    assert (tmp_path / "data" / "kafka" / "data" / "meta.properties").exists(), "down without --purge keeps data"

    after = run_soak(["infra", "status", "--json"], env)
    assert {c["state"] for c in json.loads(after.stdout)} <= {"stopped", "not installed"}

    purge = run_soak(["infra", "down", "--purge"], env)
    assert purge.returncode == 0 and "nothing of ours was running" in purge.stdout
    assert not (tmp_path / "data" / "kafka").exists()
