"""`soak faults list | inject`: a run's faults, and a fault injected on demand.

Both need only the store: an injection is a request the run's controller picks up at
its next tick (the control API exposes the same request).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError
from rich.table import Table

from agents.clock import SystemClock
from controller.cli.common import DataDirOption, console
from controller.cli.runs import DatabaseOption, JsonOption, RunArg, _run, _store, _when
from controller.errors import SoakError
from controller.runs.spec import RunSpec
from controller.store.faults import FaultStore
from workloads.faults import PARAMS, fault_params

app = typer.Typer(help="A run's faults: list them, or inject one now.", no_args_is_help=True)


def _clock(ns: int | None) -> str:
    return "-" if ns is None else _when(ns)[11:19]  # the time of day: a run's faults share its date


def _seconds(value) -> str:
    return "-" if value is None else f"{value:.1f} s"


@app.command("list")
def list_faults(run_id: RunArg = None, data_dir: DataDirOption = None, database_url: DatabaseOption = None,
                as_json: JsonOption = False) -> None:
    """Every fault of a run: kind, target, start, heal, recovery time and anomalies during it (--json: all fields)."""
    store, _ = _store(data_dir, database_url)
    run = _run(store, run_id)
    faults = FaultStore(store.db).of_run(run.id)
    if as_json:
        console.print_json(json.dumps(faults))
        return
    table = Table(title=f"faults of run {run.id}")
    for column in ("id", "kind", "target", "started", "healed", "recovery", "anomalies"):
        table.add_column(column, overflow="fold", no_wrap=column != "target")
    for f in faults:
        recovery = {"recovered": _seconds(f["recovery_s"]), None: "-"}.get(f["recovery_state"], f["recovery_state"])
        integrity = f["integrity"]
        anomalies = "-" if integrity is None else str(sum(int(v) for v in integrity.values()))
        state = "" if f["state"] == "healed" else f" ({f['state']})"
        table.add_row(str(f["id"]), f["kind"] + state, f["target"] or "-", _clock(f["started_ns"]),
                      _clock(f["healed_ns"]), recovery, anomalies)
    console.print(table)


def _parse_params(values: list[str]) -> dict:
    params = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise SoakError(f"--param {item!r} is not KEY=VALUE", fix="for example --param duration_s=20")
        params[key] = yaml.safe_load(raw)
    return params


@app.command()
def inject(kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(PARAMS)}")],
           run_id: RunArg = None,
           param: Annotated[list[str] | None, typer.Option(
               "--param", "-p", help="KEY=VALUE, e.g. duration_s=20 or agent_kind=consumer (repeatable)")] = None,
           data_dir: DataDirOption = None, database_url: DatabaseOption = None) -> None:
    """Inject a fault into a running run now (its controller starts it at the next tick)."""
    params = _parse_params(param or [])
    try:
        fault_params(kind, params)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or kind
        message = "unknown parameter" if first["type"] == "extra_forbidden" else first["msg"]
        raise SoakError(f"fault {kind}: {field}: {message} (got {first.get('input')!r})",
                        fix="see docs/faults.md for every kind and its parameters") from exc
    except ValueError as exc:
        raise SoakError(f"fault {kind}: {str(exc).splitlines()[0]}",
                        fix="see docs/faults.md for every kind and its parameters") from exc
    store, _ = _store(data_dir, database_url)
    run = _run(store, run_id)
    if run.state.terminal:
        raise SoakError(f"run {run.id} already ended", fix="inject faults into a running run")
    why = RunSpec.model_validate(run.spec).faults_env.unavailable(kind)
    if why:
        raise SoakError(f"run {run.id} cannot take a {kind} fault: {why}")
    row = FaultStore(store.db).add(run.id, kind, params, SystemClock().wall_ns())
    console.print(f"fault {row['id']} ({kind}) requested for run {run.id}; `soak faults list {run.id}` follows it")
