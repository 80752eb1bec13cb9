"""Parameters and response declarations the routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request

from controller.api.problems import ApiProblem
from controller.api.schemas import RUN_ID

RunId = Annotated[str, Path(pattern=RUN_ID, max_length=64, description="a run id, e.g. run-20261122-061500-3f9a")]

_PROBLEM = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def problems(*codes: int) -> dict:
    """OpenAPI declarations of the problem responses a route may give (auth ones always)."""
    descriptions = {400: "The body is not JSON", 401: "No or an invalid bearer token", 403: "The token may only read", 404: "No such run",
                    409: "Refused in the run's state", 413: "Body too large", 422: "Invalid input",
                    503: "A service the request needs is unavailable"}
    return {code: {"description": descriptions[code], **_PROBLEM} for code in sorted({401, 422, *codes})}


def known_query(request: Request) -> None:
    """Refuse query parameters the endpoint does not have: `?limt=5` is a typo to report,
    not a wish to ignore."""
    route = request.scope.get("route")
    if route is None or not request.query_params:
        return
    known = getattr(route, "_soak_query_names", None)
    if known is None:
        known = _query_names(route.dependant)
        route._soak_query_names = known
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ApiProblem(422, f"query.{unknown[0]}: unknown parameter; this endpoint takes: "
                              f"{', '.join(sorted(known)) or 'none'}",
                         [{"field": f"query.{name}", "message": "unknown parameter"} for name in unknown])


def _query_names(dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names
