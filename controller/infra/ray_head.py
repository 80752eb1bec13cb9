"""The local Ray head: `ray start --head --block` as a background process of ours.

A head of its own (rather than the throwaway one `ray.init()` starts inside a command)
lets a run outlive the `soak start` that launched it: `--detach`, `soak status` from
another terminal, and a controller that Ray restarts. Only the GCS port is fixed (the
address clients use); the head's internal ports are picked free at start, so it
coexists with any other Ray on the machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable

import psutil

from controller.errors import InfraError
from controller.infra.ports import free_ports, port_is_free, require_free
from controller.infra.processes import ManagedProcess, tail, wait_until
from controller.infra.service import ComponentStatus
from controller.settings import SoakSettings

STARTED_MARK = "Ray runtime started"
BUSY_MARK = "timed out during startup"
START_ATTEMPTS = 3
INTERNAL_PORTS = ("node-manager-port", "object-manager-port", "ray-client-server-port",
                  "dashboard-agent-listen-port", "dashboard-agent-grpc-port", "runtime-env-agent-port",
                  "metrics-export-port")


class LocalRay:
    name = "ray"

    def __init__(self, settings: SoakSettings, report: Callable[[str], None] = lambda _: None):
        self.settings = settings
        self.report = report
        self.log_path = settings.infra_dir / "ray" / "head.log"
        self.process = ManagedProcess(self.name, settings.infra_dir)

    @property
    def address(self) -> str:
        return self.settings.local_ray_address

    def argv(self) -> list[str]:
        s = self.settings
        internal = [f"--{name}={port}" for name, port in zip(INTERNAL_PORTS, free_ports(len(INTERNAL_PORTS)))]
        cpus = s.ray_num_cpus or os.cpu_count() or 1
        return [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block",
                f"--node-ip-address={s.kafka_host}", f"--port={s.ray_port}", *internal,
                # Workers take ports the kernel hands out, not the range every Ray shares.
                "--min-worker-port=0", "--max-worker-port=0",
                f"--num-cpus={cpus}", f"--object-store-memory={s.ray_object_store_mb * 1024 * 1024}",
                "--include-dashboard=false", "--disable-usage-stats"]

    def start(self) -> ComponentStatus:
        if self.process.process() is not None:
            return self.status()
        require_free(self.settings.kafka_host, self.settings.ray_port, "ray_port")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_ADDRESS")}
        env.update(token_auth_env())
        env["RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S"] = "0"  # `down` should not wait on running actors
        for attempt in range(1, START_ATTEMPTS + 1):
            self.report(f"starting Ray head on {self.address}" + (f" (attempt {attempt})" if attempt > 1 else ""))
            self.log_path.write_text("")  # the start mark must be this start's
            self.process.start(self.argv(), self.log_path, env=env)
            started = wait_until(lambda: STARTED_MARK in self.log_path.read_text(errors="replace"),
                                 self.settings.ray_ready_timeout_s, interval_s=0.3, abort=self.process.exited)
            if started:
                return self.status()
            exited = self.process.exited()
            log_tail = tail(self.log_path)
            self.stop()
            # Ray gives its raylet 30 s to register, fixed; a busy machine can miss that.
            if not (exited and BUSY_MARK in log_tail) or attempt == START_ATTEMPTS:
                what = ("the Ray head exited during start-up" if exited else
                        f"the Ray head did not start within {self.settings.ray_ready_timeout_s:g} s")
                raise InfraError(what, fix=f"read {self.log_path}", details=log_tail)
        raise AssertionError("unreachable")

    def stop(self) -> bool:
        proc = self.process.process()
        if proc is None:
            return False
        session = proc.pid  # started in a session of its own: everything of the head is in it
        self.process.stop(timeout_s=30)
        leftovers = [p for p in psutil.process_iter() if _session(p) == session]
        for p in leftovers:
            try:
                p.send_signal(signal.SIGKILL)
            except psutil.Error:
                pass
        psutil.wait_procs(leftovers, timeout=10)
        return True

    def status(self) -> ComponentStatus:
        proc = self.process.process()
        if proc is None:
            return ComponentStatus(self.name, "stopped", self.address)
        listening = not port_is_free(self.settings.kafka_host, self.settings.ray_port)
        return ComponentStatus(self.name, "ready" if listening else "starting", self.address, proc.pid,
                               detail=f"log {self.log_path}")


def token_auth_env() -> dict[str, str]:
    """The local head and its clients use Ray's token authentication (the head listens on
    the network): the token is Ray's default file, generated once if missing."""
    if not (Path.home() / ".ray" / "auth_token").exists():
        subprocess.run([sys.executable, "-m", "ray.scripts.scripts", "get-auth-token", "--generate"],
                       check=True, capture_output=True, timeout=60)
    return {"RAY_AUTH_MODE": "token"}


def _session(proc: psutil.Process) -> int | None:
    try:
        return os.getsid(proc.pid)
    except (OSError, psutil.Error):
        return None
