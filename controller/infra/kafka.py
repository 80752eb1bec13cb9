"""The local single-node KRaft broker: jars from Maven, storage format, start, readiness, stop."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Callable

from confluent_kafka.admin import AdminClient

from controller.errors import InfraError
from controller.infra.kafka_config import BrokerLayout, jvm_argv, new_cluster_id, server_properties
from controller.infra.maven import ensure_kafka_jars
from controller.infra.ports import require_free
from controller.infra.processes import ManagedProcess, tail, wait_until
from controller.infra.service import ComponentStatus
from controller.infra.tools import require_program
from controller.settings import SoakSettings

def broker_ready(bootstrap: str, timeout_s: float = 3.0) -> bool:
    """A real AdminClient round trip: the cluster answers with a controller and a broker."""
    # Silenced by log_level, not by a Python logger: a logger callback runs Python on
    # librdkafka's own threads, and a garbage collection there that frees an earlier probe's
    # client aborts the process ("calling rd_kafka_destroy() from librdkafka owned thread is
    # prohibited", seen once in `soak start` while the broker was starting).
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0,
                         "socket.connection.setup.timeout.ms": max(1000, int(timeout_s * 1000))})
    try:
        desc = admin.describe_cluster(request_timeout=timeout_s).result(timeout=timeout_s + 1)
    except Exception:  # any failure here just means "not ready yet"
        return False
    return bool(desc.nodes) and desc.controller is not None


class LocalKafka:
    name = "kafka"

    def __init__(self, settings: SoakSettings, report: Callable[[str], None] = lambda _: None):
        self.settings = settings
        self.report = report
        self.home = settings.data_dir / "kafka"
        self.config_path = self.home / "server.properties"
        self.log_dir = self.home / "logs"
        self.process = ManagedProcess(self.name, settings.infra_dir)

    @property
    def layout(self) -> BrokerLayout:
        s = self.settings
        return BrokerLayout(host=s.kafka_host, port=s.kafka_port, controller_port=s.kafka_controller_port,
                            proxied_port=s.kafka_proxied_port, proxy_port=s.toxiproxy_kafka_port,
                            log_dirs=self.home / "data", retention_bytes=s.kafka_retention_bytes)

    @property
    def bootstrap(self) -> str:
        return self.settings.local_bootstrap

    @property
    def stdout_log(self) -> Path:
        return self.log_dir / "stdout.log"

    def _argv(self, java: str, jars: Path, main_class: str, args: list[str], heap: str) -> list[str]:
        return jvm_argv(java, jars, heap, self.log_dir, self.settings.kafka_log4j_config, main_class, args)

    def start(self) -> ComponentStatus:
        if self.process.process() is not None:
            if not self._wait_ready(self.settings.kafka_ready_timeout_s):
                raise self._not_ready_error()
            return self.status()
        s = self.settings
        java = require_program(s.java_bin, "the Kafka broker", "java")
        for setting, port in self.layout.ports().items():
            require_free(s.kafka_host, port, setting)
        jars = ensure_kafka_jars(s.kafka_pom, s.kafka_jar_dir, s.maven_bin, java, self.report)
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(server_properties(self.layout))
        self._format_storage(java, jars)
        self.report(f"starting Kafka broker on {self.bootstrap}")
        self.process.start(self._argv(java, jars, "kafka.Kafka", [str(self.config_path)], s.kafka_heap),
                           self.stdout_log, cwd=self.home)
        if not self._wait_ready(s.kafka_ready_timeout_s):
            err = self._not_ready_error()
            self.process.stop(timeout_s=10)
            raise err
        return self.status()

    def _format_storage(self, java: str, jars: Path) -> None:
        if (self.layout.log_dirs / "meta.properties").exists():
            return  # formatted before: the data of earlier runs stays
        self.report("formatting Kafka storage (KRaft, standalone)")
        argv = self._argv(java, jars, "kafka.tools.StorageTool",
                          ["format", "-t", new_cluster_id(), "-c", str(self.config_path), "--standalone"],
                          heap="256m")
        result = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
        if result.returncode != 0:
            out = (result.stdout + result.stderr).strip()
            raise InfraError("formatting Kafka storage failed",
                             fix=f"check {self.layout.log_dirs} (or remove it with `soak infra down --purge`)",
                             details="\n".join(out.splitlines()[-15:]))

    def _wait_ready(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s

        def ready() -> bool:
            # Each probe ends by the deadline, so the timeout given is the timeout kept.
            return broker_ready(self.bootstrap, timeout_s=max(0.1, min(2.0, deadline - time.monotonic())))

        return wait_until(ready, timeout_s, interval_s=0.5, abort=self.process.exited)

    def _not_ready_error(self) -> InfraError:
        exited = self.process.exited()
        what = ("the Kafka broker exited during start-up" if exited else
                f"the Kafka broker did not become ready within {self.settings.kafka_ready_timeout_s:g} s")
        server_log = self.log_dir / "server.log"
        last = tail(server_log) or tail(self.stdout_log)
        return InfraError(what, fix=f"read {server_log} and {self.stdout_log}",
                          details=f"last log lines:\n{last}" if last else None)

    def stop(self) -> bool:
        # The broker flushes and closes its logs on SIGTERM; give it time to do so.
        return self.process.stop(timeout_s=60)

    def status(self) -> ComponentStatus:
        proc = self.process.process()
        if proc is None:
            return ComponentStatus(self.name, "stopped", self.bootstrap)
        ready = broker_ready(self.bootstrap)
        return ComponentStatus(self.name, "ready" if ready else "starting", self.bootstrap, proc.pid,
                               detail=f"KRaft single node, data in {self.layout.log_dirs}")
