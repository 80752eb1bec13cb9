"""`soak serve`: the control API (FastAPI on uvicorn)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from controller.cli.common import DataDirOption, build_settings, console, err_console

DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", help="Run store URL (default: SQLite in the data directory)")]


def serve(host: Annotated[str | None, typer.Option("--host", help="Listen address (default 127.0.0.1; "
                                                                     "0.0.0.0 for every interface)")] = None,
          port: Annotated[int | None, typer.Option("--port", help="Listen port (default 8080)")] = None,
          data_dir: DataDirOption = None, database_url: DatabaseOption = None,
          ray_address: Annotated[str | None, typer.Option(
              "--ray-address", help="Where runs started through the API run (default: the local Ray head)")] = None,
          bootstrap_servers: Annotated[str | None, typer.Option(
              "--bootstrap-servers", help="The Kafka cluster of runs started through the API "
                                          "(default: the local broker)")] = None) -> None:
    """Serve the control API: runs, reports, alerts, faults, samples (OpenAPI at /docs).

    Every endpoint but /healthz, /readyz and /metrics needs a bearer token; starting,
    stopping and injecting need an admin token. Tokens: SOAK_API_ADMIN_TOKENS and
    SOAK_API_READ_TOKENS, or generated on the first start into the data directory and
    printed once. Runs started through the API are started as `soak start --detach` would.
    """
    import uvicorn

    from controller.api.app import create_app
    from controller.api.auth import load_tokens
    from controller.api.services.launching import RayLauncher

    settings = build_settings(data_dir=data_dir, database_url=database_url, api_host=host, api_port=port,
                              ray_address=ray_address, bootstrap_servers=bootstrap_servers)
    tokens, created = load_tokens(settings)
    if created:
        console.print(f"generated API tokens, kept in {settings.effective_api_tokens_file} (mode 0600); "
                      "shown only this once:", highlight=False)
        console.print(f"  admin: {created['admin']}\n  read:  {created['read']}", highlight=False)
    elif settings.api_admin_tokens or settings.api_read_tokens:
        console.print("API tokens: from SOAK_API_ADMIN_TOKENS / SOAK_API_READ_TOKENS")
    else:
        console.print(f"API tokens: in {settings.effective_api_tokens_file}", highlight=False)
    app = create_app(settings, tokens, RayLauncher(settings))
    logging.getLogger("soak").setLevel(logging.INFO)
    err_console.print(f"control API on http://{settings.api_host}:{settings.api_port} (docs at /docs)",
                      highlight=False)
    # uvicorn's own access log is off: ours (soak.api.access) has the request id and no query string.
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, access_log=False, log_level="info",
                log_config=None)
