"""`soak infra up | status | down` as a user runs them."""

from __future__ import annotations

import json
import os

import psutil

from tests.integration.cli_helpers import run_soak
from tests.integration.conftest import port_overrides


def process_gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _sid(proc) -> int | None:
    try:
        return os.getsid(proc.pid)
    except OSError:
        return None


def test_up_status_down_leaves_no_process_of_ours(tmp_path, soak_env):
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
    assert by_name["ray"]["state"] == "ready"
    assert by_name["ray"]["address"] == f"127.0.0.1:{ports['ray_port']}"
    pids = [c["pid"] for c in by_name.values() if c["pid"]]
    assert len(pids) == 3 and all(psutil.pid_exists(p) for p in pids)
    ray_session = [p for p in psutil.process_iter() if _sid(p) == by_name["ray"]["pid"]]
    assert len(ray_session) > 2  # the head's GCS, raylet and helpers

    again = run_soak(["infra", "up"], env)  # idempotent: what runs is left running
    assert again.returncode == 0, again.stderr
    status = run_soak(["infra", "status", "--json"], env)
    assert [c["pid"] for c in json.loads(status.stdout) if c["pid"]] == pids

    down = run_soak(["infra", "down"], env)
    assert down.returncode == 0, down.stderr
    assert "kafka" in down.stdout and "toxiproxy" in down.stdout and "ray" in down.stdout
    assert all(process_gone(p.pid) for p in ray_session), "the Ray head leaves nothing behind"
    assert all(process_gone(p) for p in pids), [p for p in pids if not process_gone(p)]
    assert (tmp_path / "data" / "kafka" / "data" / "meta.properties").exists(), "down without --purge keeps data"

    after = run_soak(["infra", "status", "--json"], env)
    assert {c["state"] for c in json.loads(after.stdout)} <= {"stopped", "not installed"}

    purge = run_soak(["infra", "down", "--purge"], env)
    assert purge.returncode == 0 and "nothing of ours was running" in purge.stdout
    assert not (tmp_path / "data" / "kafka").exists()
