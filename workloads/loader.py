"""Reading a workload file, with errors that name the field, the value and what is allowed."""

from __future__ import annotations

import json
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
    _read_schema_file(path, raw)
    _absolute_sqlite_catalog(raw)
    try:
        return Workload.model_validate(raw)
    except ValidationError as exc:
        raise WorkloadError(describe(path, exc), fix=f"correct {path} (see workloads/README.md)") from exc


def _read_schema_file(path: Path, raw: dict) -> None:
    """Put the Avro schema a record payload names (relative to the workload file) into
    the workload itself: agents on other nodes cannot read the file."""
    try:
        record = raw["producers"]["spec"]["payload"]["record"]
        name = record["schema_file"]
    except (KeyError, TypeError):
        return
    if not isinstance(name, str) or "avro_schema" in record:
        return  # validation says what is wrong
    schema_path = (path.parent / name) if not Path(name).is_absolute() else Path(name)
    try:
        record["avro_schema"] = json.loads(schema_path.read_text())
    except FileNotFoundError as exc:
        raise WorkloadError(f"{path}: producers.spec.payload.record.schema_file: {schema_path} does not exist",
                            fix="give a path relative to the workload file") from exc
    except json.JSONDecodeError as exc:
        raise WorkloadError(f"{path}: producers.spec.payload.record.schema_file: {schema_path} is not JSON "
                            f"(line {exc.lineno}: {exc.msg})", fix="give an Avro schema (.avsc)") from exc


def _absolute_sqlite_catalog(raw: dict) -> None:
    """A relative SQLite path of an external table's catalog, taken from the directory the
    command runs in (where a team would start its job): the run's processes run elsewhere."""
    try:
        catalog = raw["ingestion"]["table"]["catalog"]
        uri = catalog["uri"]
    except (KeyError, TypeError):
        return
    if isinstance(uri, str) and uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        relative = uri.removeprefix("sqlite:///")
        if relative and not relative.startswith(":memory:"):
            catalog["uri"] = f"sqlite:///{(Path.cwd() / relative).resolve()}"


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
