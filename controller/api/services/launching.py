"""Starting a run from the API: the same steps as `soak start --detach`."""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from agents.clock import SystemClock
from controller.settings import SoakSettings
from controller.store.runs import RunStore
from workloads.model import Workload

log = logging.getLogger("soak.api")


class RunLauncher(Protocol):
    def launch(self, store: RunStore, workload: Workload, hours: float, report_interval_s: float | None) -> str:
        """Create the run in the store, start its controller; the run id."""


class RayLauncher:
    """Local infrastructure when the settings name none, Ray, the run row, its controller.
    One launch at a time: Ray's driver connection is set up once, by the first."""

    def __init__(self, settings: SoakSettings):
        self.settings = settings
        self._lock = threading.Lock()

    def launch(self, store: RunStore, workload: Workload, hours: float, report_interval_s: float | None) -> str:
        from controller.control.launcher import create_run, grafana_token, prepare_infrastructure, start_controller

        with self._lock:
            prepare_infrastructure(self.settings, workload, log.info)
            spec = create_run(store, workload, hours, self.settings, SystemClock(), report_interval_s)
            start_controller(spec, grafana_token(self.settings))
        log.info("run %s started: workload %s, %g h", spec.run_id, workload.name, hours)
        return spec.run_id
