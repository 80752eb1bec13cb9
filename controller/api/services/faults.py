"""A run's faults, and a fault injected on demand (the controller starts it at its next tick)."""

from __future__ import annotations

from agents.clock import Clock
from controller.api.schemas import FaultOut, when
from controller.errors import SoakError
from controller.runs.spec import RunSpec
from controller.store.faults import FaultStore
from controller.store.runs import RunStore


def fault_out(f: dict) -> FaultOut:
    return FaultOut(id=f["id"], seq=f["seq"], kind=f["kind"], state=f["state"], target=f["target"],
                    params=f["params"] or {}, requested_at=when(f["requested_ns"]), started_at=when(f["started_ns"]),
                    healed_at=when(f["healed_ns"]), heal_note=f["heal_note"], error=f["error"],
                    recovery_state=f["recovery_state"], recovery_s=f["recovery_s"], integrity=f["integrity"])


class FaultService:
    def __init__(self, runs: RunStore, faults: FaultStore, clock: Clock):
        self.runs, self.faults, self.clock = runs, faults, clock

    def list(self, run_id: str) -> list[FaultOut]:
        self.runs.get(run_id)
        return [fault_out(f) for f in self.faults.of_run(run_id)]

    def inject(self, run_id: str, body) -> FaultOut:
        """`body`: one of FaultCreate's kinds, its parameters validated by the request model."""
        run = self.runs.get(run_id)
        if run.state.terminal:
            raise SoakError(f"run {run_id} already ended ({run.state.value})", fix="inject faults into a running run")
        why = RunSpec.model_validate(run.spec).faults_env.unavailable(body.kind)
        if why:
            raise SoakError(f"run {run_id} cannot take a {body.kind} fault: {why}")
        # What the caller gave, as `soak faults inject` stores it: defaults are the kind's own.
        given = body.params.model_dump(mode="json", exclude_unset=True)
        return fault_out(self.faults.add(run_id, body.kind, given, self.clock.wall_ns()))
