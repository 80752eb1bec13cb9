"""Finding the external programs the local stack needs, with errors that name the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

from controller.errors import InfraError

INSTALL_HINTS = {
    "java": "install a JDK 17 or newer (apt-get install openjdk-17-jre-headless) or set SOAK_JAVA_BIN",
    "mvn": "install Maven (apt-get install maven) or set SOAK_MAVEN_BIN",
    "go": "install Go (https://go.dev/doc/install) or set SOAK_GO_BIN",
    "prometheus": "install it (apt-get install prometheus) or set SOAK_PROMETHEUS_BIN",
    "prometheus-alertmanager": "install it (apt-get install prometheus-alertmanager) or set SOAK_ALERTMANAGER_BIN",
}


def require_program(name: str, purpose: str, hint_key: str | None = None) -> str:
    """The absolute path of `name` (a command on PATH or a path), or a clear InfraError."""
    found = shutil.which(name)
    if found:
        return found
    hint = INSTALL_HINTS.get(hint_key or Path(name).name, f"install {name} or put it on PATH")
    raise InfraError(f"{name} not found on PATH (needed for {purpose})", fix=hint)


def ensure_writable_dir(path: Path, what: str = "data directory") -> Path:
    """Create `path` if needed and prove we can write to it."""
    probe = path / ".soak-write-probe"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InfraError(f"{what} {path} is not writable ({reason})",
                         fix="choose another with --data-dir or SOAK_DATA_DIR") from exc
    return path
