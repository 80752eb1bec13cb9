"""MaintenanceAgent: runs the table upkeep on a schedule (one per table)."""

from __future__ import annotations

import threading
from dataclasses import asdict

from agents.base import Agent
from agents.clock import Clock
from agents.lakehouse.catalog import TableRef
from workloads.specs import MaintenanceSpec


class MaintenanceAgent(Agent):
    kind = "maintenance"

    def __init__(self, agent_id: str, table: TableRef, topic: str, spec: MaintenanceSpec | None = None,
                 clock: Clock | None = None):
        super().__init__(agent_id, clock)
        self.table_ref, self.topic = table, topic
        self.spec = spec or MaintenanceSpec()
        # Imported here, in the agent's own process: the controller imports this class and
        # keeps pyiceberg out of its process.
        from agents.lakehouse.maintenance import MaintenanceResult

        self.runs = 0
        self.failures = 0
        self.totals = MaintenanceResult()
        self.last: dict | None = None

    def run(self, stop: threading.Event) -> None:
        from agents.lakehouse.maintenance import run_maintenance

        table = None
        while not stop.wait(self.spec.every_s):
            try:
                table = table or self.table_ref.load_or_create()
                result = run_maintenance(table, self.topic, self.spec, self.clock.wall_ns(),
                                         self.table_ref.partition_granularity)
            except Exception as exc:  # upkeep failing is reported, the pipeline goes on
                self.failures += 1
                self.last = {"error": f"{type(exc).__name__}: {exc}"}
                continue
            self.runs += 1
            self.last = asdict(result)
            for name in ("expired_snapshots", "compacted_partitions", "files_rewritten", "orphans_deleted"):
                setattr(self.totals, name, getattr(self.totals, name) + getattr(result, name))
            self.progressed()

    def kind_stats(self) -> dict:
        totals = asdict(self.totals)
        totals.pop("skipped")
        return {"runs": self.runs, "failures": self.failures, "totals": totals, "last": self.last}
