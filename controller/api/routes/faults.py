"""/v1/runs/{id}/faults: list, and inject one now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from controller.api import deps
from controller.api.auth import admin, reader
from controller.api.routes.common import RunId, problems
from controller.api.schemas import FaultCreate, FaultOut
from controller.api.services.faults import FaultService

router = APIRouter(prefix="/v1/runs/{run_id}/faults", tags=["faults"])
Faults = Annotated[FaultService, Depends(deps.faults)]


@router.get("", response_model=list[FaultOut], dependencies=[Depends(reader)], responses=problems(404))
def list_faults(run_id: RunId, faults: Faults) -> list[FaultOut]:
    """Every fault of the run: kind, target, start, heal, recovery and the anomalies around it."""
    return faults.list(run_id)


@router.post("", status_code=202, response_model=FaultOut, dependencies=[Depends(admin)],
             responses=problems(400, 403, 404, 409, 413))
def inject_fault(run_id: RunId, body: FaultCreate, faults: Faults) -> FaultOut:
    """Inject a fault from the catalog now, with its parameters (docs/faults.md); the run's
    controller starts it at its next tick. 409 when the run ended or cannot take that kind."""
    return faults.inject(run_id, body)
