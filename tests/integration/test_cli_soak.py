"""The main job as a user runs it: `soak start --hours 0.05` on the embedded defaults in
a fresh data directory (only the ports moved off the defaults), nothing started by hand
(the `background_soak` fixture starts it with the suite; its outcome is read last).
And a detached run, watched and stopped from other commands."""

from __future__ import annotations

import json

import pytest

from controller.store.db import Database
from controller.store.runs import RunStore
from controller.infra.processes import wait_until
from controller.store.samples import SampleFiles
from tests.integration.cli_helpers import run_soak
from tests.integration.conftest import port_overrides

KINDS = {"producer", "consumer", "query", "maintenance", "node"}


@pytest.mark.run_last
def test_soak_start_runs_a_whole_soak_to_a_verdict(background_soak):
    data, env = background_soak.data_dir, background_soak.env
    result = background_soak.wait(timeout_s=900)
    output = result.stdout + result.stderr
    assert result.returncode in (0, 4), output  # PASS, or WARN on a loaded two-core machine
    assert "Traceback" not in output, output
    assert "ray: ready" in result.stderr and "kafka: ready" in result.stderr
    assert " / 0:03:00 | " in result.stderr  # live progress: elapsed / total
    verdict_line = next(line for line in result.stdout.splitlines() if line.startswith("run ") and " finished: " in line)
    assert verdict_line.endswith(("PASS", "WARN")), verdict_line

    store = RunStore(Database(f"sqlite:///{data / 'soak.db'}"))
    run = store.latest()
    assert run.state.value == "finished" and run.verdict in ("PASS", "WARN")
    assert all("missing" not in r and "duplicate" not in r for r in run.reasons), run.reasons
    checked = next(e for e in store.events(run.id) if e["kind"] == "end:checked")["check"]
    assert checked["ok"] and checked["acked"] > 100_000  # 2 producers x 1,000/s for 3 min
    incarnations = store.incarnations(run.id)
    assert {r["kind"] for r in incarnations} == KINDS
    assert all(r["end_reason"] == "run ended" for r in incarnations)
    samples = SampleFiles(data / "samples", run.id)
    acked = samples.query("acked_per_s", step_s=60, agent_id="run")
    assert len(acked) >= 3 and max(p.max for p in acked) > 1500
    assert samples.query("rss_bytes", agent_id="producer-0") and samples.query("rss_bytes", agent_id="controller")
    assert samples.query("lag_records", agent_id="run")

    status = run_soak(["status", "--json"], env)
    assert json.loads(status.stdout)["verdict"] == run.verdict
    listing = run_soak(["runs"], env)
    assert run.id in listing.stdout and run.verdict in listing.stdout


def test_a_detached_run_is_watched_and_stopped_from_other_commands(tmp_path, soak_env):
    env = soak_env(tmp_path / "detached", prometheus_enabled="false", **port_overrides())
    started = run_soak(["start", "--hours", "1", "--detach", "--report-interval", "60s"], env, timeout_s=300)
    assert started.returncode == 0, started.stdout + started.stderr
    run_id = started.stdout.split()[1].rstrip(":")
    assert f"soak stop {run_id}" in started.stdout

    def status() -> dict:
        out = run_soak(["status", run_id, "--json"], env)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    assert wait_until(lambda: status()["progress"].get("totals", {}).get("acked", 0) > 0, 180, interval_s=3), status()
    stop = run_soak(["stop", run_id], env)
    assert stop.returncode == 0 and "stop requested" in stop.stdout
    assert wait_until(lambda: status()["state"] in ("stopped", "failed", "finished"), 300, interval_s=3), status()
    now = status()
    assert now["state"] == "stopped" and now["verdict"] == "WARN", now
    assert any("stopped early" in r for r in now["reasons"]), now["reasons"]
    again = run_soak(["stop", run_id], env)
    assert again.returncode == 0 and "already ended" in again.stdout
    resume = run_soak(["resume", run_id], env)
    assert resume.returncode == 1 and "already ended" in resume.stderr
