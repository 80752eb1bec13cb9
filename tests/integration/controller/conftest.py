"""Runs started in-process on the session's Ray cluster, as `soak start` would start them."""

from __future__ import annotations

import pytest

from agents.clock import SystemClock
from controller.control import actor, launcher
from controller.infra.processes import wait_until
from controller.runs.spec import RunSpec
from controller.settings import SoakSettings
from controller.store.runs import Run, RunStore
from tests.integration.conftest import port_overrides
from workloads.model import Workload


def small_workload(broker_config: str, **overrides) -> Workload:
    """Light enough for two cores shared with the rest of the suite."""
    raw = {"name": "small", "topic": {"partitions": 3},
           "producers": {"count": 2, "spec": {"rate": {"profile": "constant", "per_second": 300}}},
           "consumers": {"count": 2, "spec": {"commit_interval_s": 2}},
           "queries": {"count": 1, "spec": {"interval_s": 5}},
           "node": {"interval_s": 2, "uss_every_s": 30, "targets": {"kafka-broker": broker_config}},
           "table": {"maintenance": {"every_s": 20, "snapshot_max_age_s": 30, "orphan_min_age_s": 60}},
           "slo": {"warm_up_s": 20}}
    raw.update(overrides)
    return Workload.model_validate(raw)


class RunHarness:
    def __init__(self, settings: SoakSettings, controller_node: str):
        self.settings = settings
        self.controller_node = controller_node
        self.store: RunStore = launcher.open_store(settings.effective_database_url)

    def start(self, workload: Workload, hours: float) -> RunSpec:
        spec = launcher.create_run(self.store, workload, hours, self.settings, SystemClock())
        actor.launch(spec, node_id=self.controller_node)  # as `soak start` does, on a known node
        return spec

    def wait(self, run_id: str, predicate, timeout_s: float, what: str):
        found = []

        def check() -> bool:
            found[:] = [predicate(self.store.get(run_id))]
            return bool(found[0])

        if wait_until(check, timeout_s, interval_s=1):
            return found[0]
        run = self.store.get(run_id)
        raise AssertionError(f"timed out after {timeout_s} s waiting for {what}; run is {run.state.value}, "
                             f"progress {run.progress}, events {self.store.events(run_id)[-10:]}")

    def wait_done(self, run_id: str, timeout_s: float) -> Run:
        return self.wait(run_id, lambda r: r if r.state.terminal else None, timeout_s, "the run to end")

    def agents_on_nodes(self, run_id: str) -> dict[str, str]:
        return {aid: r["node"] for aid, r in self.store.open_incarnations(run_id).items()}


def harness_settings(tmp_path, **extra) -> SoakSettings:
    ports = port_overrides()
    values = {"data_dir": tmp_path / "soak-data", "sample_interval_s": 1, "flush_interval_s": 4,
              "agent_call_timeout_s": 10, "drain_timeout_s": 120, "restart_backoff_s": 1,
              "metrics_port": ports["metrics_port"], **extra}
    return SoakSettings(**values)


@pytest.fixture
def harness_for(ray_local, ray_cluster, local_stack, tmp_path):
    def make(**extra) -> RunHarness:
        settings = harness_settings(tmp_path, bootstrap_servers=local_stack.kafka.bootstrap, **extra)
        # The controller on the head node, which no test removes.
        return RunHarness(settings, ray_cluster.head_node.node_id)

    return make


def check_of(store: RunStore, run_id: str) -> dict:
    checked = [e for e in store.events(run_id) if e["kind"] == "end:checked"]
    assert checked, "the run ended without its final check"
    return checked[-1]["check"]
