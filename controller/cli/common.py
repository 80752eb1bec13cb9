"""What every command shares: building the settings, printing progress and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from controller.errors import SoakError
from controller.settings import SoakSettings

console = Console()
err_console = Console(stderr=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where run data, logs and local services live "
                                    "(env SOAK_DATA_DIR; default ./soak-data)"),
]


def build_settings(**overrides: Any) -> SoakSettings:
    """The one SoakSettings of this invocation: environment, then the flags given."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return SoakSettings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        where = f"--{field.replace('_', '-')}" if field in given else f"SOAK_{field.upper()}"
        raise SoakError(f"invalid setting {field}: {first['msg']} (got {first.get('input')!r})",
                        fix=f"correct {where}") from exc


def progress(message: str) -> None:
    err_console.print(f"[dim]…[/dim] {message}", highlight=False)
