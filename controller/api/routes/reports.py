"""/v1/runs/{id}/reports and /alerts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from controller.api import deps
from controller.api.auth import reader
from controller.api.routes.common import RunId, problems
from controller.api.schemas import AlertOut, ReportRef
from controller.api.services.reports import RENDERERS, ReportService

router = APIRouter(prefix="/v1/runs/{run_id}", tags=["reports"], dependencies=[Depends(reader)])
Reports = Annotated[ReportService, Depends(deps.reports)]
MEDIA = {"json": "application/json", "html": "text/html", "md": "text/markdown"}


def _format(request: Request, given: str | None) -> str:
    if given:
        return given
    accept = request.headers.get("accept", "")
    for fmt in ("html", "md"):
        if MEDIA[fmt] in accept:
            return fmt
    return "json"


@router.get("/reports", response_model=list[ReportRef], responses=problems(404))
def list_reports(run_id: RunId, reports: Reports) -> list[ReportRef]:
    """The run's reports: one per closed report window, and the whole-run report once it ended."""
    return reports.list(run_id)


@router.get("/reports/{name}", response_class=Response, responses={
    200: {"description": "The report", "content": {"application/json": {"schema": {"type": "object"}},
                                                    "text/html": {"schema": {"type": "string"}},
                                                    "text/markdown": {"schema": {"type": "string"}}}},
    **problems(404)})
def get_report(run_id: RunId, reports: Reports, request: Request,
               name: Annotated[str, Path(pattern=r"^(run|[1-9][0-9]{0,5})$",
                                         description="a window number (1 = the first) or `run`")],
               format: Annotated[Literal["json", "html", "md"] | None, Query(
                   description="json, html or md (default: by the Accept header, else json)")] = None) -> Response:
    """One report: throughput, latency, lag, freshness, memory, restarts, faults, integrity,
    alerts and the verdict with its reasons. HTML is one self-contained page with plots."""
    report = reports.get(run_id, name)
    fmt = _format(request, format)
    if fmt == "html":
        return HTMLResponse(RENDERERS["html"](report))
    if fmt == "md":
        return PlainTextResponse(RENDERERS["md"](report), media_type=MEDIA["md"])
    return JSONResponse(report)


@router.get("/alerts", response_model=list[AlertOut], responses=problems(404))
def list_alerts(run_id: RunId, reports: Reports,
                active: Annotated[bool, Query(description="only alerts not resolved")] = False) -> list[AlertOut]:
    """The run's alerts (leak, regression, fault not recovered, ...), active and resolved."""
    return reports.alerts(run_id, active)
