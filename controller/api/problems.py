"""Errors as problem documents (RFC 9457): one shape for every failure the API returns.

`{"type", "title", "status", "detail", "instance", "request_id"}` plus `errors` (the fields
at fault) for invalid input. Messages name what is wrong and how to fix it; a server error
says only that it happened and its request id, which the server log has with the traceback.
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from controller.control.launcher import RayUnavailable
from controller.errors import InfraError, SoakError
from controller.store.runs import RunNotFound
from workloads.loader import WorkloadError

log = logging.getLogger("soak.api")
PROBLEM_JSON = "application/problem+json"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          406: "Not acceptable", 409: "Conflict", 413: "Request body too large", 415: "Unsupported media type",
          422: "Invalid input", 500: "Internal server error", 503: "Service unavailable"}


class ApiProblem(Exception):
    """Raised by services and routes; rendered as a problem document."""

    def __init__(self, status: int, detail: str, errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def problem_body(status: int, detail: str, path: str, rid: str | None, errors: list[dict] | None = None) -> dict:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail,
            "instance": path, "request_id": rid}
    if errors:
        body["errors"] = errors
    return body


def problem_response(request: Request, status: int, detail: str, errors: list[dict] | None = None,
                     headers: dict | None = None) -> JSONResponse:
    body = problem_body(status, detail, request.url.path, request_id(request), errors)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


_UNION_MEMBER = re.compile(r"^[a-z-]+\[.*\]$")


def field_errors(errors) -> list[dict]:
    """Pydantic's errors as {"field": "body.hours", "message": ...}."""
    out = []
    for e in errors:
        # Pydantic names the member of a union it tried (`literal['default']`,
        # `function-after[_consistent(), Workload]`): not a field anyone wrote.
        loc = [p for p in e.get("loc", ()) if not _UNION_MEMBER.match(str(p))]
        if e.get("type") == "union_tag_invalid":  # the discriminator is the field at fault
            loc.append(str(e.get("ctx", {}).get("discriminator", "")).strip("'"))
        field = ".".join(str(p) for p in loc) or "request"
        message = "unknown field (a typo?)" if e.get("type") == "extra_forbidden" else e.get("msg", "invalid")
        out.append({"field": field, "message": message.removeprefix("Value error, ")})
    return out


def allowed_methods(request: Request) -> list[str]:
    """Every method of every route on this path (Starlette names only the matched route's)."""
    scope = {"type": "http", "path": request.url.path, "method": "GET"}
    methods: set[str] = set()
    for route in request.app.router.routes:
        if route.matches(scope)[0] != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods)


def _status_of(exc: SoakError) -> int:
    if isinstance(exc, RunNotFound):
        return 404
    if isinstance(exc, WorkloadError):
        return 422
    if isinstance(exc, (InfraError, RayUnavailable)):
        return 503
    return 409  # an expected refusal given the run's state (already ended, fault unavailable, ...)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem):
        return problem_response(request, exc.status, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = field_errors(exc.errors())
        first = errors[0] if errors else {"field": "request", "message": "invalid"}
        return problem_response(request, 422, f"{first['field']}: {first['message']}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "error")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such endpoint: {request.method} {request.url.path} (see /docs)"
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            detail = f"{request.method} is not a method of {request.url.path}; it has: {', '.join(allowed)}"
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        return problem_response(request, exc.status_code, detail, headers=headers)

    @app.exception_handler(SoakError)
    async def _soak_error(request: Request, exc: SoakError):
        return problem_response(request, _status_of(exc), exc.one_line())

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("request %s failed", request_id(request))
        return problem_response(request, 500, f"the server failed on this request; its log has request id "
                                              f"{request_id(request)}")
