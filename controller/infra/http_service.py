"""What the local HTTP services (Prometheus, Alertmanager) share: waiting for `/-/ready`
after a start, and reporting their status from their process and that endpoint."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from controller.errors import InfraError
from controller.infra.processes import ManagedProcess, tail, wait_until
from controller.infra.service import ComponentStatus


def http_ok(url: str, timeout_s: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return resp.status == 200
    except OSError:
        return False


def await_ready(process: ManagedProcess, url: str, title: str, log: Path, timeout_s: float = 30) -> None:
    """Wait for `{url}/-/ready`; a service that never answers is stopped and its log quoted."""
    if not wait_until(lambda: http_ok(f"{url}/-/ready"), timeout_s, interval_s=0.5, abort=process.exited):
        process.stop(timeout_s=5)
        raise InfraError(f"{title} did not become ready", fix=f"read {log}", details=tail(log))


def http_status(name: str, process: ManagedProcess, url: str, installed: bool, detail: str) -> ComponentStatus:
    proc = process.process()
    if proc is None:
        return ComponentStatus(name, "stopped" if installed else "not installed", url)
    ready = http_ok(f"{url}/-/ready")
    return ComponentStatus(name, "ready" if ready else "starting", url, proc.pid, detail=detail)
