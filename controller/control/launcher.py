"""The command line's side of a run: connect to Ray, create the run, start or find its
controller. Everything the run needs afterwards lives in the store.

Ray is imported only once `connect_ray` has set up its environment (Ray reads its
authentication mode when it is first imported)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from agents.clock import Clock
from controller.errors import InfraError, SoakError
from controller.fleet.names import NAMESPACE
from controller.runs.spec import RunSpec
from controller.settings import SoakSettings
from controller.store.db import Database
from controller.store.runs import Run, RunIdTaken, RunStore, new_run_id
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


def prepare_infrastructure(settings: SoakSettings, workload: Workload, report: Callable[[str], None]) -> None:
    """What a run needs before it starts: the local broker and Ray head when no external ones
    are given (and Toxiproxy when network faults may come), a broker that answers, Ray."""
    from controller.faults.environment import wants_network
    from controller.infra.kafka import broker_ready
    from controller.infra.stack import LocalStack

    if not settings.uses_local_ray and settings.uses_local_broker:
        report(f"note: agents on the Ray cluster at {settings.ray_address} will use the local broker at "
               f"{settings.local_bootstrap}; give --bootstrap-servers when they run on other machines")
    if settings.uses_local_broker or settings.uses_local_ray:
        toxiproxy = settings.uses_local_broker and (settings.toxiproxy_enabled or wants_network(workload.faults))
        stack = LocalStack(settings, report=report)
        for s in stack.up(kafka=settings.uses_local_broker, ray=settings.uses_local_ray, toxiproxy=toxiproxy):
            report(f"{s.name}: {s.state} at {s.address}")
    if not settings.uses_local_broker and not broker_ready(settings.effective_bootstrap_servers, timeout_s=10):
        raise InfraError(f"no Kafka broker answers at {settings.effective_bootstrap_servers}",
                         fix="check --bootstrap-servers and that the cluster is reachable")
    connect_ray(settings.effective_ray_address, local_head=settings.uses_local_ray)


def open_store(database_url: str) -> RunStore:
    db = Database(database_url)
    db.create_schema()
    return RunStore(db)


def create_run(store: RunStore, workload: Workload, hours: float, settings: SoakSettings, clock: Clock,
               report_interval_s: float | None = None) -> RunSpec:
    now = clock.wall_ns()
    for attempt in range(5):
        # Ids are readable (the second, then a short random suffix): runs started in the
        # same second may draw the same one, and then simply draw again.
        spec = RunSpec.build(new_run_id(now), workload, hours, settings, report_interval_s, created_ns=now)
        try:
            store.create(workload.name, workload.model_dump(mode="json"), hours, spec.report_interval_s, now,
                         run_id=spec.run_id, spec=spec.model_dump(mode="json"))
            return spec
        except RunIdTaken:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def this_node() -> str | None:
    import ray

    return ray.get_runtime_context().get_node_id()


def start_controller(spec: RunSpec, grafana_token: str | None = None):
    from controller.control import actor

    # The default store and sample files are paths of this machine: the controller stays here.
    return actor.launch(spec, node_id=this_node(), grafana_token=grafana_token)


def grafana_token(settings: SoakSettings) -> str | None:
    return settings.grafana_token.get_secret_value() if settings.grafana_token else None


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


def resume(store: RunStore, run: Run, token: str | None = None) -> RunSpec:
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
        started = start_controller(spec, token)
        import ray

        ray.get(started.ping.remote(), timeout=120)  # it has read the run back from the store
    return spec

