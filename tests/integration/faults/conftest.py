"""Runs with faults, on the breakable broker (`fault_stack`, through its Toxiproxy) and the
session's Ray. The harness's settings are that stack's own, so the run's broker driver is the local one and finds the broker by its
pid file, as a `soak start` on the embedded defaults would."""

from __future__ import annotations

import pytest

from controller.faults.recovery import NOT_RECOVERED, RECOVERED
from controller.infra.ports import free_ports
from controller.store.faults import FaultStore
from tests.integration.controller.conftest import RunHarness, small_workload


class FaultHarness(RunHarness):
    def __init__(self, settings, controller_node: str):
        super().__init__(settings, controller_node)
        self.started: list[str] = []

    def start(self, workload, hours: float):
        spec = super().start(workload, hours)
        self.started.append(spec.run_id)
        return spec

    def stop_all(self) -> None:
        """A failed test's run must not go on loading the rest of the suite."""
        for run_id in self.started:
            self.store.request_stop(run_id, 0)
    @property
    def faults(self) -> FaultStore:
        return FaultStore(self.store.db)

    def fault(self, run_id: str, fault_id: int, predicate, timeout_s: float, what: str) -> dict:
        return self.wait(run_id, lambda _run: (f := self.faults.get(fault_id)) and predicate(f) and f,
                         timeout_s, f"fault {fault_id}: {what}; it is {self.faults.get(fault_id)}")

    def judged(self, run_id: str, fault_id: int, timeout_s: float = 240) -> dict:
        return self.fault(run_id, fault_id, lambda f: f["recovery_state"] in (RECOVERED, NOT_RECOVERED),
                          timeout_s, "recovery judged")


@pytest.fixture
def fault_harness(ray_local, ray_cluster, fault_stack, tmp_path):
    made: list[FaultHarness] = []

    def make(**extra) -> FaultHarness:
        values = {"sample_interval_s": 1, "flush_interval_s": 4, "agent_call_timeout_s": 10,
                  "drain_timeout_s": 120, "restart_backoff_s": 1, "toxiproxy_enabled": True,
                  "database_url": f"sqlite:///{tmp_path / 'soak.db'}",
                  "catalog_uri": f"sqlite:///{tmp_path / 'catalog.db'}",
                  "warehouse": (tmp_path / "warehouse").as_uri(), "metrics_port": free_ports(1)[0], **extra}
        settings = fault_stack.settings.model_copy(update=values)
        harness = FaultHarness(settings, ray_cluster.head_node.node_id)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.stop_all()


def fault_workload(stack, faults: dict | None = None, recovery: dict | None = None):
    schedule = {"mode": "none", **(faults or {}),
                "recovery": {"limit_s": 120, "hold_s": 3, "baseline_s": 20, **(recovery or {})}}
    return small_workload(str(stack.kafka.config_path), faults=schedule)
