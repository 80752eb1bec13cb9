"""Reading a workload file, with errors that name the field, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from controller.errors import SoakError
from workloads.model import Workload

BUILTIN_DIR = Path(__file__).resolve().parent


class WorkloadError(SoakError):
    """A workload file that cannot be used; nothing was started."""

    exit_code = 2


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


DEFAULT = "default"


def resolve(name_or_path: str | None) -> Path:
    """A path as given, or the name of a workload shipped in workloads/ (None: the default)."""
    if name_or_path is None:
        name_or_path = DEFAULT
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    shipped = BUILTIN_DIR / f"{name_or_path}.yaml"
    if shipped.is_file():
        return shipped
    raise WorkloadError(f"no workload named {name_or_path!r}",
                        fix=f"give a path to a YAML file or one of: {', '.join(builtin_names()) or '(none)'}")


def load_workload(name_or_path: str | None = None) -> Workload:
    path = resolve(name_or_path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise WorkloadError(f"workload file {path} does not exist", fix="check the path") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise WorkloadError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}",
                            fix="fix the YAML syntax") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise WorkloadError(f"{path}: a workload is a mapping of fields, not a {type(raw).__name__}",
                            fix="start the file with fields such as `name:` and `topic:`")
    try:
        return Workload.model_validate(raw)
    except ValidationError as exc:
        raise WorkloadError(describe(path, exc), fix=f"correct {path} (see workloads/README.md)") from exc


def describe(path: Path, exc: ValidationError) -> str:
    """The first problem as one line: file, field path, what is wrong, the value given."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field (a typo?)"
    value = first.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    more = f"; {len(exc.errors()) - 1} more problem(s)" if len(exc.errors()) > 1 else ""
    return f"{path}: {field}: {message}{shown}{more}"
