"""`soak infra up | down | status`: the local broker, Ray head, Toxiproxy, Prometheus and Alertmanager."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from controller.cli.common import DataDirOption, build_settings, console, progress
from controller.infra.service import ComponentStatus
from controller.infra.stack import LocalStack

app = typer.Typer(help="Start, stop and inspect the local infrastructure (Kafka, Ray, Toxiproxy, Prometheus, "
                       "Alertmanager).",
                  no_args_is_help=True)


def _print(statuses: list[ComponentStatus], as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps([s.as_dict() for s in statuses]))
        return
    table = Table("component", "state", "address", "pid", "detail", box=None, pad_edge=False)
    colour = {"ready": "green", "starting": "yellow"}
    for s in statuses:
        table.add_row(s.name, f"[{colour.get(s.state, 'dim')}]{s.state}[/]", s.address or "",
                      str(s.pid or ""), s.detail)
    console.print(table)


@app.command()
def up(
    data_dir: DataDirOption = None,
    prometheus: Annotated[bool | None, typer.Option(
        "--prometheus/--no-prometheus", help="Start Prometheus (default: when it is installed)")] = None,
    toxiproxy: Annotated[bool | None, typer.Option(
        "--toxiproxy/--no-toxiproxy", help="Start Toxiproxy in front of the broker (default: off)")] = None,
    alertmanager: Annotated[bool | None, typer.Option(
        "--alertmanager/--no-alertmanager", help="Start Alertmanager (default: SOAK_ALERTMANAGER_ENABLED)")] = None,
    ray: Annotated[bool, typer.Option("--ray/--no-ray", help="Start the local Ray head that runs use")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON")] = False,
) -> None:
    """Start the local services (idempotent: what already runs is left running)."""
    stack = LocalStack(build_settings(data_dir=data_dir), report=progress)
    _print(stack.up(prometheus=prometheus, toxiproxy=toxiproxy, alertmanager=alertmanager, ray=ray), as_json)


@app.command()
def down(
    data_dir: DataDirOption = None,
    purge: Annotated[bool, typer.Option(
        "--purge", help="Also delete the services' data (broker topics, Prometheus TSDB)")] = False,
) -> None:
    """Stop exactly the processes `up` started (tracked by pid file). Runs still going
    on the local Ray end with it; stop them first with `soak stop`."""
    stack = LocalStack(build_settings(data_dir=data_dir), report=progress)
    stopped = stack.down(purge=purge)
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing of ours was running")
    if purge:
        console.print("purged the local services' data")


@app.command()
def status(
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON")] = False,
) -> None:
    """Show each local service: ready, starting or stopped, with its address and pid."""
    _print(LocalStack(build_settings(data_dir=data_dir)).status(), as_json)
