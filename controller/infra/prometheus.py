"""A local Prometheus (Debian package) scraping the controller's /metrics."""

from __future__ import annotations

import shutil
from typing import Callable

import yaml

from controller.infra.http_service import await_ready, http_status
from controller.infra.ports import require_free
from controller.infra.processes import ManagedProcess
from controller.infra.service import ComponentStatus
from controller.infra.tools import require_program
from controller.settings import REPO_ROOT, SoakSettings


# The alert rules the docker-compose stack and staging use too.
RULES_DIR = REPO_ROOT / "deploy" / "prometheus" / "rules"


def prom_duration(seconds: float) -> str:
    """Prometheus durations are whole numbers of a unit: 5s, 500ms."""
    ms = round(seconds * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def prometheus_config(host: str, prometheus_port: int, metrics_port: int, interval_s: float) -> str:
    """The scrape configuration: the controller's exporter, and Prometheus itself; the
    alert rules of deploy/prometheus/rules."""
    interval = prom_duration(interval_s)
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(RULES_DIR / "*.yml")],
        "scrape_configs": [
            {"job_name": "soak-controller", "static_configs": [{"targets": [f"{host}:{metrics_port}"]}]},
            {"job_name": "prometheus", "static_configs": [{"targets": [f"{host}:{prometheus_port}"]}]},
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)


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
        await_ready(self.process, self.url, "Prometheus", self.home / "prometheus.log")
        return self.status()

    def stop(self) -> bool:
        return self.process.stop(timeout_s=20)

    def status(self) -> ComponentStatus:
        return http_status(self.name, self.process, self.url, self.installed(),
                           f"scrapes the controller at {self.settings.kafka_host}:{self.settings.metrics_port}")
