"""`soak start`: run a soak."""

from __future__ import annotations

from typing import Annotated

import typer

from agents.clock import SystemClock
from controller.cli.common import DataDirOption, build_settings, console, progress
from controller.cli.durations import parse_duration
from controller.cli.watch import print_verdict, watch
from controller.control.launcher import (create_run, grafana_token, open_store, prepare_infrastructure,
                                        start_controller)
from workloads.faults import with_overrides
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
    fault_every: Annotated[str | None, typer.Option(
        "--fault-every", help="Inject a fault this often, e.g. 45s or 10m (the workload's kinds, or all)")] = None,
    fault_warm_up: Annotated[str | None, typer.Option(
        "--fault-warm-up", help="No scheduled fault before this, e.g. 15s (default: the workload's, 10m)")] = None,
    no_faults: Annotated[bool, typer.Option("--no-faults", help="Inject no scheduled fault")] = False,
    detach: Annotated[bool, typer.Option(
        "--detach", "-d", help="Start the run and return; watch it with `soak status`")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Run a soak on Ray: agents, a controller that samples, injects and heals faults, and a verdict.

    Without infrastructure flags a local broker and Ray head are started
    (and Toxiproxy when network faults are scheduled); `soak infra down` stops them.
    Faults follow the workload's schedule (docs/faults.md).
    Exit code: 0 PASS, 4 WARN, 5 FAIL, 2 for a bad workload file, 1 for other errors.
    Ctrl-C stops the run through its end phase; a second Ctrl-C leaves it running.
    """
    settings = build_settings(data_dir=data_dir, bootstrap_servers=bootstrap_servers, ray_address=ray_address,
                              database_url=database_url)
    loaded = load_workload(workload)  # a bad file is refused before anything starts
    interval_s = parse_duration(report_interval, "--report-interval") if report_interval else None
    loaded = loaded.model_copy(update={"faults": with_overrides(
        loaded.faults, parse_duration(fault_every, "--fault-every") if fault_every else None,
        parse_duration(fault_warm_up, "--fault-warm-up") if fault_warm_up else None, no_faults)})
    prepare_infrastructure(settings, loaded, progress)
    store = open_store(settings.effective_database_url)
    clock = SystemClock()
    spec = create_run(store, loaded, hours, settings, clock, interval_s)
    start_controller(spec, grafana_token(settings))
    table = (f"the team's table {spec.external_table.identifier} (external ingestion)" if spec.external_table
             else f"table {spec.table_ref.identifier}")
    console.print(f"run {spec.run_id}: workload {loaded.name}, {hours:g} h, topic {spec.topic}, {table}",
                  soft_wrap=True)  # one line in a log file too
    if detach:
        console.print(f"started in the background: `soak status {spec.run_id}` to watch, "
                      f"`soak stop {spec.run_id}` to stop")
        return
    run = watch(store, spec.run_id, clock.wall_ns)
    raise typer.Exit(print_verdict(run))
