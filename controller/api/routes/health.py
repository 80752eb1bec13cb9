"""Probes and the API's own metrics: no token needed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from controller.api.problems import problem_response
from controller.api.routes.common import problems
from controller.api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
def healthz() -> HealthOut:
    """The API process answers."""
    return HealthOut(status="ok")


@router.get("/readyz", response_model=HealthOut, responses={503: problems(503)[503]})
def readyz(request: Request):
    """The API can serve: its run store answers."""
    try:
        with request.app.state.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure of the store means not ready
        return problem_response(request, 503, f"the run store does not answer: {type(exc).__name__}")
    return JSONResponse(HealthOut(status="ready").model_dump())


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"}})
def metrics(request: Request) -> Response:
    """The API's own metrics (requests by route and status, latency), Prometheus text format."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
