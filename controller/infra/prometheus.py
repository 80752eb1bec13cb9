"""A local Prometheus (Debian package) scraping the controller's /metrics."""

from __future__ import annotations

import shutil
import urllib.request
from typing import Callable

import yaml

from controller.errors import InfraError
from controller.infra.ports import require_free
from controller.infra.processes import ManagedProcess, tail, wait_until
from controller.infra.service import ComponentStatus
from controller.infra.tools import require_program
from controller.settings import SoakSettings


def prom_duration(seconds: float) -> str:
    """Prometheus durations are whole numbers of a unit: 5s, 500ms."""
    ms = round(seconds * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def prometheus_config(host: str, prometheus_port: int, metrics_port: int, interval_s: float) -> str:
    """The scrape configuration: the controller's exporter, and Prometheus itself."""
    interval = prom_duration(interval_s)
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "scrape_configs": [
            {"job_name": "soak-controller", "static_configs": [{"targets": [f"{host}:{metrics_port}"]}]},
            {"job_name": "prometheus", "static_configs": [{"targets": [f"{host}:{prometheus_port}"]}]},
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)


def http_ok(url: str, timeout_s: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return resp.status == 200
    except OSError:
        return False


class LocalPrometheus:
    name = "prometheus"

    def __init__(self, settings: SoakSettings, report: Callable[[str], None] = lambda _: None):
        self.settings = settings
        self.report = report
        self.home = settings.data_dir / "prometheus"
        self.process = ManagedProcess(self.name, settings.infra_dir)

    @property
    def url(self) -> str:
        return f"http://{self.settings.kafka_host}:{self.settings.prometheus_port}"

    def installed(self) -> bool:
        return shutil.which(self.settings.prometheus_bin) is not None

    def start(self) -> ComponentStatus:
        s = self.settings
        if self.process.process() is None:
            binary = require_program(s.prometheus_bin, "metrics scraping", "prometheus")
            require_free(s.kafka_host, s.prometheus_port, "prometheus_port")
            self.home.mkdir(parents=True, exist_ok=True)
            config = self.home / "prometheus.yml"
            config.write_text(prometheus_config(s.kafka_host, s.prometheus_port, s.metrics_port,
                                                s.scrape_interval_s))
            self.report(f"starting Prometheus on {self.url}")
            self.process.start([binary, f"--config.file={config}",
                                f"--storage.tsdb.path={self.home / 'tsdb'}",
                                f"--web.listen-address={s.kafka_host}:{s.prometheus_port}",
                                "--storage.tsdb.retention.time=15d", "--web.enable-lifecycle"],
                               self.home / "prometheus.log")
        if not wait_until(lambda: http_ok(f"{self.url}/-/ready"), 30, interval_s=0.5,
                          abort=self.process.exited):
            self.process.stop(timeout_s=5)
            raise InfraError("Prometheus did not become ready", fix=f"read {self.home / 'prometheus.log'}",
                             details=tail(self.home / "prometheus.log"))
        return self.status()

    def stop(self) -> bool:
        return self.process.stop(timeout_s=20)

    def status(self) -> ComponentStatus:
        proc = self.process.process()
        if proc is None:
            state = "stopped" if self.installed() else "not installed"
            return ComponentStatus(self.name, state, self.url)
        ready = http_ok(f"{self.url}/-/ready")
        return ComponentStatus(self.name, "ready" if ready else "starting", self.url, proc.pid,
                               detail=f"scrapes the controller at {self.settings.kafka_host}:"
                                      f"{self.settings.metrics_port}")
