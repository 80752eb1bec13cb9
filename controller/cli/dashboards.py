"""`soak dashboards push`: provision a Grafana with the dashboards (and their datasource)."""

from __future__ import annotations

from typing import Annotated

import typer

from controller.cli.common import build_settings, console

app = typer.Typer(help="Grafana dashboards: push them to a Grafana.", no_args_is_help=True)


@app.command()
def push(grafana_url: Annotated[str | None, typer.Option("--grafana-url", help="e.g. http://grafana:3000 "
                                                                                "(env SOAK_GRAFANA_URL)")] = None,
         token: Annotated[str | None, typer.Option(
             "--token", help="A Grafana service account token with editor rights (better: env SOAK_GRAFANA_TOKEN)")] = None,
         prometheus_url: Annotated[str | None, typer.Option(
             "--prometheus-url", help="Create the Prometheus datasource `soak-prometheus` with this URL when "
                                      "missing (as Grafana reaches it)")] = None) -> None:
    """Create the `Soak fleet` folder (and the datasource) when missing, and create or update
    the four dashboards in place (their uids stay: links keep working). Safe to repeat."""
    from controller.dashboards.build import DASHBOARDS_DIR
    from controller.dashboards.push import grafana_api
    from controller.dashboards.push import push as push_dashboards
    from controller.errors import SoakError

    settings = build_settings(grafana_url=grafana_url, grafana_token=token)
    if not settings.grafana_url:
        raise SoakError("no Grafana to push to", fix="give --grafana-url or set SOAK_GRAFANA_URL")
    secret = settings.grafana_token.get_secret_value() if settings.grafana_token else None
    files = sorted(DASHBOARDS_DIR.glob("*.json"))
    result = push_dashboards(grafana_api(settings.grafana_url, secret), files, prometheus_url)
    for what in result.created:
        console.print(f"created {what}", highlight=False)
    for what in result.updated:
        console.print(f"updated {what}", highlight=False)
