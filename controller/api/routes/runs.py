"""/v1/runs: list, create, read, stop; a run's agents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from controller.api import deps
from controller.api.auth import admin, reader
from controller.api.routes.common import RunId, problems
from controller.api.schemas import AgentOut, RunCreate, RunOut, RunPage
from controller.api.services.runs import RunService
from controller.runs.states import RunState

router = APIRouter(prefix="/v1/runs", tags=["runs"])
Runs = Annotated[RunService, Depends(deps.runs)]


@router.get("", response_model=RunPage, dependencies=[Depends(reader)], responses=problems())
def list_runs(runs: Runs, state: RunState | None = None,
              limit: Annotated[int, Query(ge=1, le=200)] = 50,
              offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> RunPage:
    """Runs, newest first, optionally of one state."""
    return runs.page(state, limit, offset)


@router.post("", status_code=201, response_model=RunOut, dependencies=[Depends(admin)],
             responses=problems(400, 403, 413, 503))
def create_run(body: RunCreate, runs: Runs, response: Response) -> RunOut:
    """Start a run: a shipped workload by name or one inline, its length, and the overrides
    `soak start` has as flags. The run's controller starts on Ray; the run is returned at once."""
    run = runs.create(body)
    response.headers["Location"] = f"/v1/runs/{run.id}"
    return run


@router.get("/{run_id}", response_model=RunOut, dependencies=[Depends(reader)], responses=problems(404))
def get_run(run_id: RunId, runs: Runs) -> RunOut:
    """A run: state, progress (rates, latency, lag, memory, faults, alerts), verdict and reasons."""
    return runs.get(run_id)


@router.post("/{run_id}/stop", response_model=RunOut, status_code=202, dependencies=[Depends(admin)],
             responses={200: {"description": "The run had already ended", "model": RunOut}, **problems(403, 404)})
def stop_run(run_id: RunId, runs: Runs, response: Response) -> RunOut:
    """Stop a run through its end phase (idempotent): producers stop, lag drains, final checks, verdict."""
    run, requested = runs.stop(run_id)
    if not requested:
        response.status_code = 200
    return run


@router.get("/{run_id}/agents", response_model=list[AgentOut], dependencies=[Depends(reader)],
            responses=problems(404))
def run_agents(run_id: RunId, runs: Runs) -> list[AgentOut]:
    """Each agent of the run: its newest incarnation, node, restarts, status and memory."""
    return runs.agents(run_id)
