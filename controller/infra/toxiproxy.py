"""Toxiproxy in front of the broker's PROXIED listener, for network faults.

Built once with `go install` (the Go module proxy) into the tool cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from controller.errors import InfraError
from controller.infra.ports import require_free
from controller.infra.processes import ManagedProcess, tail, wait_until
from controller.infra.service import ComponentStatus
from controller.infra.toxiproxy_client import ToxiproxyClient
from controller.infra.tools import require_program
from controller.settings import SoakSettings

MODULE = "github.com/Shopify/toxiproxy/v2/cmd/server"
KAFKA_PROXY = "kafka"


def ensure_toxiproxy_binary(settings: SoakSettings, report: Callable[[str], None]) -> Path:
    target = settings.tools_bin_dir / f"toxiproxy-server-{settings.toxiproxy_version}"
    if target.is_file():
        return target
    go = require_program(settings.go_bin, "building Toxiproxy", "go")
    report(f"building Toxiproxy {settings.toxiproxy_version} with go install (first run only)")
    settings.tools_bin_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.tools_bin_dir) as gobin:
        env = {**os.environ, "GOBIN": gobin}
        result = subprocess.run([go, "install", f"{MODULE}@{settings.toxiproxy_version}"],
                                capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                                timeout=900)
        built = Path(gobin) / "server"
        if result.returncode != 0 or not built.is_file():
            out = (result.stdout + result.stderr).strip()
            raise InfraError("go install of Toxiproxy failed (offline, or the Go module proxy unreachable?)",
                             fix="check access to the Go module proxy, then run `soak infra up --toxiproxy` again",
                             details="\n".join(out.splitlines()[-15:]))
        shutil.move(str(built), target)
    return target


class LocalToxiproxy:
    name = "toxiproxy"

    def __init__(self, settings: SoakSettings, report: Callable[[str], None] = lambda _: None):
        self.settings = settings
        self.report = report
        self.process = ManagedProcess(self.name, settings.infra_dir)
        self.log_path = settings.data_dir / "toxiproxy" / "toxiproxy.log"

    @property
    def api_url(self) -> str:
        return f"http://{self.settings.kafka_host}:{self.settings.toxiproxy_api_port}"

    @property
    def kafka_proxy_address(self) -> str:
        """Bootstrap servers for clients whose traffic must cross the proxy."""
        return f"{self.settings.kafka_host}:{self.settings.toxiproxy_kafka_port}"

    def client(self) -> ToxiproxyClient:
        return ToxiproxyClient(self.api_url)

    def start(self) -> ComponentStatus:
        s = self.settings
        if self.process.process() is None:
            binary = ensure_toxiproxy_binary(s, self.report)
            require_free(s.kafka_host, s.toxiproxy_api_port, "toxiproxy_api_port")
            require_free(s.kafka_host, s.toxiproxy_kafka_port, "toxiproxy_kafka_port")
            self.report(f"starting Toxiproxy on {self.api_url}")
            self.process.start([str(binary), "-host", s.kafka_host, "-port", str(s.toxiproxy_api_port)],
                               self.log_path)
        client = self.client()
        if not wait_until(lambda: client.version() is not None, 20, interval_s=0.3,
                          abort=self.process.exited):
            self.process.stop(timeout_s=5)
            raise InfraError("Toxiproxy did not answer on its API", fix=f"read {self.log_path}",
                             details=tail(self.log_path))
        client.ensure_proxy(KAFKA_PROXY, self.kafka_proxy_address,
                            f"{s.kafka_host}:{s.kafka_proxied_port}")
        return self.status()

    def stop(self) -> bool:
        return self.process.stop(timeout_s=10)

    def status(self) -> ComponentStatus:
        proc = self.process.process()
        if proc is None:
            return ComponentStatus(self.name, "stopped", self.api_url)
        version = self.client().version()
        return ComponentStatus(self.name, "ready" if version else "starting", self.api_url, proc.pid,
                               detail=f"proxy {KAFKA_PROXY}: {self.kafka_proxy_address} -> "
                                      f"{self.settings.kafka_host}:{self.settings.kafka_proxied_port}")
