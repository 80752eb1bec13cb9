"""The command line's side of a run: connect to Ray, create the run, start or find its
controller. Everything the run needs afterwards lives in the store.

Ray is imported only once `connect_ray` has set up its environment (Ray reads its
authentication mode when it is first imported)."""

from __future__ import annotations

import logging

from agents.clock import Clock
from controller.errors import SoakError
from controller.fleet.names import NAMESPACE
from controller.runs.spec import RunSpec
from controller.settings import SoakSettings
from controller.store.db import Database
from controller.store.runs import Run, RunStore, new_run_id
from workloads.model import Workload


class RayUnavailable(SoakError):
    pass


def connect_ray(address: str, local_head: bool = False) -> None:
    import os

    if local_head:
        from controller.infra.ray_head import token_auth_env

        # Ray reads its auth mode from the environment when first imported: set it before.
        os.environ.update(token_auth_env())
    import ray

    if ray.is_initialized():
        return
    try:
        ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, logging_level=logging.WARNING,
                 include_dashboard=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RayUnavailable(f"could not connect to Ray at {address}: {str(exc).splitlines()[0]}",
                             fix="check --ray-address (or run `soak infra up` for the local Ray)") from exc


def open_store(database_url: str) -> RunStore:
    db = Database(database_url)
    db.create_schema()
    return RunStore(db)


def create_run(store: RunStore, workload: Workload, hours: float, settings: SoakSettings, clock: Clock,
               report_interval_s: float | None = None) -> RunSpec:
    now = clock.wall_ns()
    run_id = new_run_id(now)
    spec = RunSpec.build(run_id, workload, hours, settings, report_interval_s)
    store.create(workload.name, workload.model_dump(mode="json"), hours, spec.report_interval_s, now,
                 run_id=run_id, spec=spec.model_dump(mode="json"))
    return spec


def this_node() -> str | None:
    import ray

    return ray.get_runtime_context().get_node_id()


def start_controller(spec: RunSpec):
    from controller.control import actor

    # The default store and sample files are paths of this machine: the controller stays here.
    return actor.launch(spec, node_id=this_node())


def controller_alive(run_id: str, timeout_s: float = 15.0) -> bool:
    import ray

    from controller.control import actor

    handle = actor.find(run_id)
    if handle is None:
        return False
    try:
        ray.get(handle.ping.remote(), timeout=timeout_s)
        return True
    except Exception:
        return False


def resume(store: RunStore, run: Run) -> RunSpec:
    """Start a new controller for a run whose controller is gone (idempotent)."""
    if run.state.terminal:
        raise SoakError(f"run {run.id} already ended ({run.state.value}, verdict {run.verdict or '-'})",
                        fix="start a new run with `soak start`")
    from controller.control import actor

    spec = RunSpec.model_validate(run.spec)
    if not controller_alive(run.id):
        handle = actor.find(run.id)
        if handle is not None:  # there but not answering: replace it
            import ray

            ray.kill(handle, no_restart=True)
        started = start_controller(spec)
        import ray

        ray.get(started.ping.remote(), timeout=120)  # it has read the run back from the store
    return spec

