"""A throw-away local stack for benchmarks: its own broker on free ports, stopped after."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psutil

from controller.infra.maven import ensure_kafka_jars
from controller.infra.ports import free_ports
from controller.infra.stack import LocalStack
from controller.settings import SoakSettings


@contextlib.contextmanager
def bench_stack():
    """Yields (settings, bootstrap) of a fresh broker; the data directory is removed after."""
    workdir = Path(tempfile.mkdtemp(prefix="soak-bench-"))
    ports = dict(zip(("kafka_port", "kafka_controller_port", "kafka_proxied_port"), free_ports(3)))
    settings = SoakSettings(data_dir=workdir, prometheus_enabled=False, kafka_heap="1g", **ports)
    stack = LocalStack(settings, report=lambda m: print(f"[infra] {m}", flush=True))
    stack.up(prometheus=False, toxiproxy=False)
    try:
        yield settings, stack.kafka.bootstrap, workdir
    finally:
        stack.down()
        shutil.rmtree(workdir, ignore_errors=True)


def kafka_tool(settings: SoakSettings, main_class: str, args: list[str], timeout_s: float = 600) -> str:
    """Run one of Kafka's own tools (kafka-tools jar) and return its output."""
    jars = ensure_kafka_jars(settings.kafka_pom, settings.kafka_jar_dir, settings.maven_bin, settings.java_bin)
    argv = [shutil.which(settings.java_bin), "-Xmx1g", f"-Dlog4j2.configurationFile={settings.kafka_log4j_config}",
            f"-Dkafka.logs.dir={settings.data_dir}", "-cp", f"{jars}/*", main_class, *args]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=True)
    return out.stdout


class CpuMeter:
    """CPU seconds used by this process (and its children) over a block."""

    def __enter__(self):
        self._proc = psutil.Process(os.getpid())
        self._t = time.monotonic()
        self._cpu = self._total()
        return self

    def _total(self) -> float:
        t = self._proc.cpu_times()
        return t.user + t.system + t.children_user + t.children_system

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self._t
        self.cpu_seconds = self._total() - self._cpu
