"""The whole local stack: what `soak infra up | down | status` and the test fixtures drive."""

from __future__ import annotations

import shutil
from typing import Callable

from controller.errors import InfraError
from controller.infra.alertmanager import LocalAlertmanager
from controller.infra.kafka import LocalKafka
from controller.infra.prometheus import LocalPrometheus
from controller.infra.ray_head import LocalRay
from controller.infra.service import ComponentStatus
from controller.infra.tools import ensure_writable_dir
from controller.infra.toxiproxy import LocalToxiproxy
from controller.settings import SoakSettings


class LocalStack:
    def __init__(self, settings: SoakSettings, report: Callable[[str], None] = lambda _: None):
        self.settings = settings
        self.report = report
        self.kafka = LocalKafka(settings, report)
        self.toxiproxy = LocalToxiproxy(settings, report)
        self.prometheus = LocalPrometheus(settings, report)
        self.alertmanager = LocalAlertmanager(settings, report)
        self.ray = LocalRay(settings, report)

    @property
    def services(self):
        # Start order; `down` goes in reverse: Ray (whose agents are the broker's clients) first.
        return [self.kafka, self.toxiproxy, self.prometheus, self.alertmanager, self.ray]

    def wanted(self, prometheus: bool | None = None, toxiproxy: bool | None = None, kafka: bool = True,
               ray: bool = False, alertmanager: bool | None = None) -> list:
        """Which services `up` starts: the broker unless told not to, the others by flag or setting."""
        s = self.settings
        want_toxi = s.toxiproxy_enabled if toxiproxy is None else toxiproxy
        want_prom = s.prometheus_enabled if prometheus is None else prometheus
        if want_prom is None:
            want_prom = self.prometheus.installed()
        want_alerts = s.alertmanager_enabled if alertmanager is None else alertmanager
        return ([self.kafka] if kafka else []) + ([self.toxiproxy] if want_toxi else []) + \
            ([self.prometheus] if want_prom else []) + ([self.alertmanager] if want_alerts else []) + \
            ([self.ray] if ray else [])

    def up(self, prometheus: bool | None = None, toxiproxy: bool | None = None, kafka: bool = True,
           ray: bool = False, alertmanager: bool | None = None) -> list[ComponentStatus]:
        ensure_writable_dir(self.settings.data_dir)
        ensure_writable_dir(self.settings.infra_dir, "infra directory")
        return [service.start() for service in self.wanted(prometheus, toxiproxy, kafka, ray, alertmanager)]

    def down(self, purge: bool = False) -> list[str]:
        stopped = [svc.name for svc in reversed(self.services) if svc.stop()]
        if purge:
            for path in (self.kafka.home, self.toxiproxy.log_path.parent, self.prometheus.home,
                         self.alertmanager.home, self.ray.log_path.parent, self.settings.infra_dir):
                shutil.rmtree(path, ignore_errors=True)
        return stopped

    def status(self) -> list[ComponentStatus]:
        return [svc.status() for svc in self.services]

    def require_kafka_ready(self) -> ComponentStatus:
        status = self.kafka.status()
        if status.state != "ready":
            raise InfraError(f"the local Kafka broker is {status.state}", fix="run `soak infra up`")
        return status
