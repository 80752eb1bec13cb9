"""A local Alertmanager (Debian package) that receives the soak's alerts.

One receiver, "soak", with no integrations: the alerts are there to be seen in its UI and
API (and routed onward by an Alertmanager of your own on staging). Clustering is off: its
default gossip port 9094 is the broker's proxied listener.
"""

from __future__ import annotations

import shutil
from typing import Callable

import yaml

from controller.infra.http_service import await_ready, http_status
from controller.infra.ports import require_free
from controller.infra.processes import ManagedProcess
from controller.infra.service import ComponentStatus
from controller.infra.tools import require_program
from controller.settings import SoakSettings

RECEIVER = "soak"


def alertmanager_config() -> str:
    """A route to one receiver without integrations; alerts show up after a second."""
    config = {
        "route": {"receiver": RECEIVER, "group_wait": "1s"},
        "receivers": [{"name": RECEIVER}],
    }
    return yaml.safe_dump(config, sort_keys=False)


class LocalAlertmanager:
    name = "alertmanager"

    def __init__(self, settings: SoakSettings, report: Callable[[str], None] = lambda _: None):
        self.settings = settings
        self.report = report
        self.home = settings.data_dir / "alertmanager"
        self.process = ManagedProcess(self.name, settings.infra_dir)

    @property
    def url(self) -> str:
        return self.settings.local_alertmanager_url

    def installed(self) -> bool:
        return shutil.which(self.settings.alertmanager_bin) is not None

    def start(self) -> ComponentStatus:
        s = self.settings
        if self.process.process() is None:
            binary = require_program(s.alertmanager_bin, "the local Alertmanager", "prometheus-alertmanager")
            require_free(s.kafka_host, s.alertmanager_port, "alertmanager_port")
            self.home.mkdir(parents=True, exist_ok=True)
            config = self.home / "alertmanager.yml"
            config.write_text(alertmanager_config())
            self.report(f"starting Alertmanager on {self.url}")
            self.process.start([binary, f"--config.file={config}",
                                f"--storage.path={self.home / 'data'}",
                                f"--web.listen-address={s.kafka_host}:{s.alertmanager_port}",
                                "--cluster.listen-address="],
                               self.home / "alertmanager.log")
        await_ready(self.process, self.url, "Alertmanager", self.home / "alertmanager.log")
        return self.status()

    def stop(self) -> bool:
        return self.process.stop(timeout_s=20)

    def status(self) -> ComponentStatus:
        return http_status(self.name, self.process, self.url, self.installed(),
                           "receives the soak's alerts on /api/v2/alerts")
