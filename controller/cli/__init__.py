"""The `soak` command."""

from __future__ import annotations

import logging
import sys

import typer

from controller import __version__
from controller.cli import dashboards, detect, faults, infra, report, runs
from controller.cli.common import err_console
from controller.cli.serve import serve
from controller.cli.start import start
from controller.errors import SoakError

app = typer.Typer(
    name="soak",
    help="soak fleet: prove a Kafka -> Iceberg -> DuckDB pipeline stays correct and stable for 24 h and more.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(infra.app, name="infra")
app.add_typer(faults.app, name="faults")
app.add_typer(detect.app, name="detect")
app.add_typer(dashboards.app, name="dashboards")
app.command()(start)
app.command()(runs.status)
app.command()(runs.stop)
app.command()(runs.runs)
app.command()(runs.resume)
app.command()(report.report)
app.command()(serve)


def _version(value: bool) -> None:
    if value:
        print(f"soak fleet {__version__}")
        raise typer.Exit()


@app.callback()
def root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit")) -> None:
    """soak fleet's command line."""


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(args=argv, prog_name="soak")
    except SoakError as exc:
        # Expected failures: one line that names the fix, no traceback.
        err_console.print(f"[bold red]error:[/] {exc.one_line()}", highlight=False, soft_wrap=True)
        if exc.details:
            err_console.print(exc.details, highlight=False, markup=False, style="dim")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
