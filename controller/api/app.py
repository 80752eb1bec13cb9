"""The app factory: `create_app(settings, tokens, launcher)` -> the FastAPI app.

State lives in the run store and the controllers, never in the app: an API restarted
(or several behind a load balancer) answers the same.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from agents.clock import Clock, SystemClock
from controller import __version__
from controller.api import problems
from controller.api.auth import ApiTokens
from controller.api.metrics import ApiMetrics
from controller.api.middleware import BodyLimit, RequestContext
from controller.api.routes import faults, health, reports, runs, samples
from controller.api.routes.common import known_query
from controller.api.services.launching import RunLauncher
from controller.settings import SoakSettings
from controller.store.db import Database


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None
    errors: list[dict[str, str]] | None = None


def create_app(settings: SoakSettings, tokens: ApiTokens, launcher: RunLauncher | None = None,
               database: Database | None = None, clock: Clock | None = None) -> FastAPI:
    """`launcher` None: the app cannot start runs (POST /v1/runs answers 503)."""
    db = database or Database(settings.effective_database_url)
    db.create_schema()
    app = FastAPI(title="soak fleet control API", version=__version__, docs_url="/docs", redoc_url=None,
                  dependencies=[Depends(known_query)],
                  description="Runs, reports, alerts, faults and samples of soak fleet. Every endpoint but the "
                              "probes and /metrics needs `Authorization: Bearer <token>`; changes need an admin token.")
    app.state.db, app.state.tokens, app.state.launcher = db, tokens, launcher
    app.state.clock = clock or SystemClock()
    app.state.metrics = ApiMetrics()
    problems.install(app)
    for module in (health, runs, reports, faults, samples):
        app.include_router(module.router)
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(RequestContext, metrics=app.state.metrics)  # outermost: ids and timing for everything

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema["components"].setdefault("schemas", {})["Problem"] = Problem.model_json_schema(
                ref_template="#/components/schemas/{model}")
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
    return app
