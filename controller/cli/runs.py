"""`soak status | stop | runs | resume`: runs as the store knows them.

Status, stop and runs need only the store, or a control API (`--api URL`): they work from
any terminal, and while a controller is being restarted. Resume needs Ray, to start a new controller.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated

import typer
from rich.table import Table

from agents.clock import SystemClock
from controller.cli.common import DataDirOption, build_settings, console
from controller.cli.progress_line import duration, progress_line
from controller.cli.sources import ApiSource, StoreSource, open_source
from controller.cli.watch import print_verdict, watch
from controller.control.launcher import connect_ray, grafana_token, open_store, resume as resume_run
from controller.errors import SoakError
from controller.infra.stack import LocalStack
from controller.runs.states import RunState
from controller.store.runs import Run, RunStore

RunArg = Annotated[str | None, typer.Argument(help="A run id (default: the newest run)")]
DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", help="Run store URL (default: SQLite in the data directory)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
ApiOption = Annotated[str | None, typer.Option(
    "--api", help="Ask a control API instead of the run store, e.g. http://soak-api:8080 (env SOAK_API_URL)")]
TokenOption = Annotated[str | None, typer.Option(
    "--token", help="The API's bearer token (better: env SOAK_API_TOKEN, which the process list does not show)")]


def _store(data_dir, database_url) -> tuple[RunStore, object]:
    settings = build_settings(data_dir=data_dir, database_url=database_url)
    return open_store(settings.effective_database_url), settings


def _source(data_dir, database_url, api: str | None, token: str | None) -> StoreSource | ApiSource:
    return open_source(build_settings(data_dir=data_dir, database_url=database_url, api_url=api, api_token=token))


def _run(store: RunStore | StoreSource | ApiSource, run_id: str | None) -> Run:
    if run_id is not None:
        return store.get(run_id)
    run = store.latest()
    if run is None:
        raise SoakError("there are no runs in the store yet", fix="start one with `soak start`")
    return run


def _when(ns: int | None) -> str:
    return "-" if ns is None else datetime.fromtimestamp(ns / 1e9, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def status(run_id: RunArg = None, data_dir: DataDirOption = None, database_url: DatabaseOption = None,
           as_json: JsonOption = False, api: ApiOption = None, token: TokenOption = None) -> None:
    """Show a run: state, progress, verdict and reasons."""
    run = _run(_source(data_dir, database_url, api, token), run_id)
    if as_json:
        console.print_json(json.dumps({"id": run.id, "state": run.state.value, "workload": run.workload_name,
                                       "hours": run.hours, "started": _when(run.started_ns),
                                       "ended": _when(run.ended_ns), "verdict": run.verdict,
                                       "reasons": run.reasons, "stop_requested": run.stop_requested_ns is not None,
                                       "progress": run.progress}))
        return
    console.print(f"run {run.id}: {run.state.value}, workload {run.workload_name}, {run.hours:g} h, "
                  f"started {_when(run.started_ns)}", highlight=False)
    if run.progress:
        console.print(progress_line(run.state.value, run.progress), highlight=False)
    if run.stop_requested_ns is not None and not run.state.terminal:
        console.print("a stop was requested: the run is going through its end phase")
    if run.state.terminal:
        print_verdict(run)


def stop(run_id: Annotated[str, typer.Argument(help="The run to stop")], data_dir: DataDirOption = None,
         database_url: DatabaseOption = None, api: ApiOption = None, token: TokenOption = None) -> None:
    """Stop a run through its end phase: producers stop, lag drains, final checks, verdict."""
    source = _source(data_dir, database_url, api, token)
    run = source.get(run_id)
    if run.state.terminal:
        console.print(f"run {run.id} already ended ({run.state.value}, verdict {run.verdict or '-'})")
        return
    source.request_stop(run.id, SystemClock().wall_ns(), reason="soak stop")
    console.print(f"stop requested for {run.id}: its controller drains and checks it at its next tick; "
                  f"`soak status {run.id}` shows the verdict when it is done")


def runs(data_dir: DataDirOption = None, database_url: DatabaseOption = None,
         state: Annotated[RunState | None, typer.Option("--state", help="Only runs in this state")] = None,
         limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20, as_json: JsonOption = False,
         api: ApiOption = None, token: TokenOption = None) -> None:
    """List runs, newest first."""
    found, total = _source(data_dir, database_url, api, token).list(state, limit)
    if as_json:
        console.print_json(json.dumps([{"id": r.id, "state": r.state.value, "workload": r.workload_name,
                                        "hours": r.hours, "started": _when(r.started_ns),
                                        "verdict": r.verdict} for r in found]))
        return
    if not found:
        console.print("no runs yet: `soak start --hours 24` starts one")
        return
    table = Table(box=None, pad_edge=False)
    table.add_column("run", no_wrap=True, min_width=max(len(r.id) for r in found))  # ids are copied from here
    for name in ("workload", "state", "hours", "started", "elapsed", "verdict"):
        table.add_column(name)
    for r in found:
        table.add_row(r.id, r.workload_name, r.state.value, f"{r.hours:g}", _when(r.started_ns),
                      duration(r.progress.get("elapsed_s", 0)), r.verdict or "-")
    console.print(table)
    if total > len(found):
        console.print(f"({total - len(found)} older runs not shown; --limit shows more)")


def resume(run_id: Annotated[str, typer.Argument(help="The run to pick up")], data_dir: DataDirOption = None,
           database_url: DatabaseOption = None,
           ray_address: Annotated[str | None, typer.Option("--ray-address", help="The run's Ray cluster")] = None,
           detach: Annotated[bool, typer.Option("--detach", "-d", help="Return at once")] = False) -> None:
    """Start a new controller for a run whose controller died.

    Agents that kept running are found again by name, and the run carries on from the
    store (samples, incarnations, acknowledgements, end-phase stage)."""
    settings = build_settings(data_dir=data_dir, database_url=database_url, ray_address=ray_address)
    store = open_store(settings.effective_database_url)
    run = store.get(run_id)
    if settings.uses_local_ray and not run.state.terminal:
        LocalStack(settings).up(kafka=False, prometheus=False, toxiproxy=False, ray=True)
    connect_ray(settings.effective_ray_address, local_head=settings.uses_local_ray)
    resume_run(store, run, grafana_token(settings))
    console.print(f"run {run.id} resumed ({run.state.value})")
    if not detach:
        raise typer.Exit(print_verdict(watch(store, run.id, SystemClock().wall_ns)))
