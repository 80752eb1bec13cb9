"""The controller as a detached, named Ray actor: one per run.

Detached, so it outlives the `soak start` that launched it; `max_restarts=-1`, so when
its process dies Ray starts a new one, whose constructor resumes the run from the store.
When the run ends the actor removes itself.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import threading

import ray

from agents.clock import SystemClock
from controller.control.loop import Controller
from controller.faults.edges import ray_fault_context
from controller.fleet.names import NAMESPACE, controller_name
from controller.fleet.ray_fleet import RayFleet, alive_nodes
from controller.metrics.exporter import MetricsExporter
from controller.runs.spec import RunSpec
from controller.store.db import Database
from controller.store.runs import RunStore

log = logging.getLogger(__name__)


class ControllerActor:
    def __init__(self, run_id: str, database_url: str):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        faulthandler.enable()  # a native crash leaves its stack in the worker's log
        self.store = RunStore(Database(database_url))
        self.store.db.create_schema()
        spec = RunSpec.model_validate(self.store.get(run_id).spec)
        self.exporter = MetricsExporter()
        port = self.exporter.serve(spec.metrics_port)
        clock = SystemClock()
        def fault_context(fleet, agents):
            return ray_fault_context(run_id, spec.faults_env, spec.workload.faults.seed, fleet, agents)

        annotations = None
        if spec.grafana_url:
            from controller.dashboards.annotations import GrafanaAnnotations

            # This actor is an entry point: its environment holds the token (see `launch`).
            annotations = GrafanaAnnotations(spec.grafana_url, os.environ.get(GRAFANA_TOKEN_ENV))
        self.controller = Controller(spec, self.store, RayFleet(spec), clock, alive_nodes, self.exporter,
                                     fault_context=fault_context, annotations=annotations)
        self.store.add_event(run_id, "controller_started", clock.wall_ns(), pid=os.getpid(), metrics_port=port,
                             node=ray.get_runtime_context().get_node_id(), state=self.controller.state.value)
        self._thread = threading.Thread(target=self._loop, name="control-loop", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        state = self.controller.run(threading.Event())  # runs until the run is over
        if state.terminal:
            self.exporter.close()
            # Done for good: no restart of a finished controller.
            ray.kill(ray.get_runtime_context().current_actor, no_restart=True)

    def ping(self) -> str:
        """Answers once the run has been read back from the store (what `resume` waits for)."""
        return self.controller.run_id


def remote_controller_class():
    # A sliver of a CPU so that Ray honours the node affinity (see fleet/ray_fleet.py).
    return ray.remote(num_cpus=0.01, max_restarts=-1, max_task_retries=0)(ControllerActor)


GRAFANA_TOKEN_ENV = "SOAK_GRAFANA_TOKEN"


def launch(spec: RunSpec, node_id: str | None = None, grafana_token: str | None = None):
    """Start the run's controller (or return the live one: idempotent). The Grafana token
    travels in the actor's environment (Ray keeps it across restarts), not in the store."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    options = {"name": controller_name(spec.run_id), "namespace": NAMESPACE, "lifetime": "detached",
               "get_if_exists": True}
    if node_id is not None:
        # Its store and sample files may be local paths of this machine: keep it here.
        options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node_id, soft=True)
    if grafana_token:
        options["runtime_env"] = {"env_vars": {GRAFANA_TOKEN_ENV: grafana_token}}
    return remote_controller_class().options(**options).remote(spec.run_id, spec.database_url)


def find(run_id: str):
    try:
        return ray.get_actor(controller_name(run_id), namespace=NAMESPACE)
    except ValueError:
        return None
