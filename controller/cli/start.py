"""`soak start`: run a soak. Until the controller lands it brings the infrastructure up
and says plainly that no soak run is started."""

from __future__ import annotations

from typing import Annotated

import typer

from controller.cli.common import DataDirOption, build_settings, console, progress
from controller.errors import InfraError, NotImplementedYet
from controller.infra.kafka import broker_ready
from controller.infra.stack import LocalStack


def start(
    hours: Annotated[float, typer.Option("--hours", min=0.001, max=24 * 30,
                                         help="How long the soak runs (fractions allowed)")] = 24.0,
    data_dir: DataDirOption = None,
    bootstrap_servers: Annotated[str | None, typer.Option(
        "--bootstrap-servers", help="An existing Kafka cluster (default: the local broker, started if needed)")] = None,
) -> None:
    """Bring up what a soak needs (the local broker, or check --bootstrap-servers).

    Not built yet: the run controller. No soak is started; the command exits 3.
    """
    settings = build_settings(data_dir=data_dir, bootstrap_servers=bootstrap_servers)
    if settings.uses_local_broker:
        for s in LocalStack(settings, report=progress).up():
            console.print(f"{s.name}: {s.state} at {s.address}")
    elif not broker_ready(settings.effective_bootstrap_servers, timeout_s=10):
        raise InfraError(f"no Kafka broker answers at {settings.effective_bootstrap_servers}",
                         fix="check --bootstrap-servers and that the cluster is reachable")
    else:
        console.print(f"kafka: ready at {settings.effective_bootstrap_servers}")
    raise NotImplementedYet(
        f"infrastructure is ready, but no {hours:g} h soak was started: the run controller "
        "(agents, control loop, reports) is not implemented in this version",
        fix="`soak infra down` stops the local services again")
