"""/v1/runs/{id}/samples: downsampled time series."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from controller.api import deps
from controller.api.auth import reader
from controller.api.routes.common import RunId, problems
from controller.api.schemas import SampleSeries
from controller.api.services.samples import SampleService

router = APIRouter(prefix="/v1/runs/{run_id}", tags=["samples"], dependencies=[Depends(reader)])
Samples = Annotated[SampleService, Depends(deps.samples)]
SERIES = r"^[A-Za-z0-9_.:-]{1,128}$"


@router.get("/series", response_model=list[str], responses=problems(404))
def list_series(run_id: RunId, samples: Samples) -> list[str]:
    """The names of the series the run has samples of (rss_bytes, acked_per_s, lag_records, ...)."""
    return samples.series(run_id)


@router.get("/samples", response_model=SampleSeries, responses=problems(404))
def get_samples(run_id: RunId, samples: Samples,
                series: Annotated[str, Query(pattern=SERIES, description="a series name (see /series)")],
                from_: Annotated[datetime | None, Query(alias="from", description="ISO 8601 or epoch seconds "
                                                                                  "(default: the run's start)")] = None,
                to: Annotated[datetime | None, Query(description="default: the run's end, or now")] = None,
                step: Annotated[float, Query(ge=1, le=86_400, description="seconds per point")] = 60.0,
                agent: Annotated[str | None, Query(pattern=SERIES, description="one agent or process")] = None,
                ) -> JSONResponse:
    """One series, per step and agent: min, max, mean and last value."""
    return JSONResponse(samples.query(run_id, series, from_, to, step, agent))
