"""`soak start`: run a soak."""

from __future__ import annotations

from typing import Annotated

import typer

from agents.clock import SystemClock
from controller.cli.common import DataDirOption, build_settings, console, progress
from controller.cli.durations import parse_duration
from controller.cli.watch import print_verdict, watch
from controller.control.launcher import connect_ray, create_run, open_store, start_controller
from controller.errors import InfraError
from controller.infra.kafka import broker_ready
from controller.infra.stack import LocalStack
from workloads.loader import load_workload

WorkloadOption = Annotated[str | None, typer.Option(
    "--workload", "-w", help="A workload YAML file, or the name of a shipped one (default: the embedded default)")]


def start(
    hours: Annotated[float, typer.Option("--hours", min=0.001, max=24 * 30,
                                         help="How long the soak runs (fractions allowed: 0.1 = 6 minutes)")] = 24.0,
    workload: WorkloadOption = None,
    report_interval: Annotated[str | None, typer.Option(
        "--report-interval", help="Report window, e.g. 60s, 15m, 1h (default: the workload's, 1h)")] = None,
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="A Ray cluster (default: a local Ray head, started if needed)")] = None,
    bootstrap_servers: Annotated[str | None, typer.Option(
        "--bootstrap-servers", help="An existing Kafka cluster (default: the local broker, started if needed)")] = None,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="Run store, e.g. postgresql+psycopg2://... (default: SQLite in the data directory)")] = None,
    detach: Annotated[bool, typer.Option(
        "--detach", "-d", help="Start the run and return; watch it with `soak status`")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Run a soak: producers, verifiers and query agents on Ray, a controller that samples and checks, a verdict at the end.

    With no infrastructure flags the local broker and a local Ray head are started (and
    left running for the next run; `soak infra down` stops them). Exit code: 0 PASS,
    4 WARN, 5 FAIL, 2 for a bad workload file, 1 for other errors. Ctrl-C stops the run
    through its end phase (a second Ctrl-C leaves it running in the background).
    """
    settings = build_settings(data_dir=data_dir, bootstrap_servers=bootstrap_servers, ray_address=ray_address,
                              database_url=database_url)
    loaded = load_workload(workload)  # a bad file is refused before anything starts
    interval_s = parse_duration(report_interval, "--report-interval") if report_interval else None
    if not settings.uses_local_ray and settings.uses_local_broker:
        progress(f"note: agents on the Ray cluster at {settings.ray_address} will use the local broker at "
                 f"{settings.local_bootstrap}; give --bootstrap-servers when they run on other machines")
    stack = LocalStack(settings, report=progress)
    if settings.uses_local_broker or settings.uses_local_ray:
        for s in stack.up(kafka=settings.uses_local_broker, ray=settings.uses_local_ray):
            progress(f"{s.name}: {s.state} at {s.address}")
    if not settings.uses_local_broker and not broker_ready(settings.effective_bootstrap_servers, timeout_s=10):
        raise InfraError(f"no Kafka broker answers at {settings.effective_bootstrap_servers}",
                         fix="check --bootstrap-servers and that the cluster is reachable")
    connect_ray(settings.effective_ray_address, local_head=settings.uses_local_ray)
    store = open_store(settings.effective_database_url)
    clock = SystemClock()
    spec = create_run(store, loaded, hours, settings, clock, interval_s)
    start_controller(spec)
    console.print(f"run {spec.run_id}: workload {loaded.name}, {hours:g} h, topic {spec.topic}, "
                  f"table {spec.table_ref.identifier}")
    if detach:
        console.print(f"started in the background: `soak status {spec.run_id}` to watch, "
                      f"`soak stop {spec.run_id}` to stop")
        return
    run = watch(store, spec.run_id, clock.wall_ns)
    raise typer.Exit(print_verdict(run))
