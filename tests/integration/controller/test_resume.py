"""The controller dies mid-run and the run goes on: once restarted by Ray, once by
`soak resume` after it was killed for good. The run store is a real PostgreSQL here."""

from __future__ import annotations

import ray

from agents.clock import SystemClock
from controller.control import actor, launcher
from controller.infra.processes import wait_until
from controller.store.samples import RUN, SampleFiles
from tests.integration.controller.conftest import check_of, small_workload


def controller_starts(store, run_id) -> int:
    return sum(e["kind"] == "controller_started" for e in store.events(run_id))


def ticks_on_disk(files: SampleFiles, tick_s: float, since_ns: int) -> list[int]:
    """When the run's own samples that reached the sample files were taken, from `since_ns`."""
    return sorted(p.ts_ns for p in files.query("acked_per_s", step_s=tick_s / 10, agent_id=RUN)
                  if p.ts_ns >= since_ns)


def test_killed_controller_resumes_without_losing_samples(harness_for, postgres, local_stack):
    # Ticks every second, flushes every 10 s: a lost flush would leave a hole of about 10 s,
    # far longer than a tick slowed down by the rest of the suite.
    h = harness_for(database_url=postgres.new_database(), flush_interval_s=10)
    spec = h.start(small_workload(str(local_stack.kafka.config_path)), hours=0.035)
    run_id, flush_s, tick_s = spec.run_id, spec.flush_interval_s, spec.sample_interval_s
    h.wait(run_id, lambda r: r.progress.get("rates", {}).get("acked_per_s", 0) > 0, 120, "load to flow")
    flowing = SystemClock().wall_ns()  # before this, ticks wait on agents still starting
    files = SampleFiles(h.settings.samples_dir, run_id)
    # A flush interval of ticks and five more on disk: the span checked below for holes.
    assert wait_until(lambda: len(ticks_on_disk(files, tick_s, flowing)) >= flush_s / tick_s + 5, 120)
    before = h.agents_on_nodes(run_id)

    # 1. The process dies; Ray starts a new one, which resumes from the store.
    first_kill = SystemClock().wall_ns()
    ray.kill(actor.find(run_id), no_restart=False)
    h.wait(run_id, lambda r: controller_starts(h.store, run_id) >= 2, 60, "Ray to restart the controller")
    restarted = [e["ts_ns"] for e in h.store.events(run_id) if e["kind"] == "controller_started"][-1]
    assert wait_until(lambda: ticks_on_disk(files, tick_s, restarted), 60)  # it samples and flushes

    # 2. Killed for good; `soak resume` starts a new one.
    ray.kill(actor.find(run_id), no_restart=True)
    assert wait_until(lambda: not launcher.controller_alive(run_id, timeout_s=5), 30)
    launcher.resume(h.store, h.store.get(run_id))  # returns once the new controller answers
    assert controller_starts(h.store, run_id) == 3
    launcher.resume(h.store, h.store.get(run_id))  # idempotent: a live controller is left alone
    assert controller_starts(h.store, run_id) == 3
    run = h.wait_done(run_id, 600)

    # The agents kept running through both: same incarnations, no restarts.
    history = h.store.incarnations(run_id)
    for aid, node in before.items():
        mine = [r for r in history if r["agent_id"] == aid]
        assert len(mine) == 1 and mine[0]["end_reason"] == "run ended", mine
    # Every sample older than one flush interval before the kill is on disk: no hole while
    # the fleet ran, and none at the end of that span either.
    ticks = ticks_on_disk(files, tick_s, since_ns=0)
    safe_until = first_kill - flush_s * 1e9
    kept = [t for t in ticks if flowing <= t < safe_until]
    assert len(kept) >= 5, ticks
    gaps = [(b - a) / 1e9 for a, b in zip(kept, kept[1:])] + [(safe_until - kept[-1]) / 1e9]
    assert max(gaps) < 0.8 * flush_s, gaps
    assert any(t > first_kill for t in ticks)  # and sampling went on after

    check = check_of(h.store, run_id)
    assert check["missing"] == 0 and check["duplicates"] == 0 and check["state_losses"] == 0, check
    assert run.state.value == "finished" and run.verdict in ("PASS", "WARN"), run.reasons
    assert "agent restarts" not in " ".join(run.reasons)
    assert h.store.db.engine.dialect.name == "postgresql"
