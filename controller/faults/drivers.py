"""The edges faults act through: the broker's process, Toxiproxy, and Ray nodes."""

from __future__ import annotations

import signal

import psutil

from controller.errors import SoakError
from controller.faults.commands import run_command
from controller.faults.environment import FaultEnvironment
from controller.infra.processes import wait_gone
from controller.infra.toxiproxy_client import ToxiproxyClient


class LocalBrokerDriver:
    """The broker `soak infra up` started on this machine, found by its pid file."""

    def __init__(self, settings_values: dict):
        from controller.infra.kafka import LocalKafka
        from controller.settings import SoakSettings

        self.kafka = LocalKafka(SoakSettings(**settings_values))
        # Started from a Ray worker (the controller): the broker must outlive that worker.
        self.kafka.process.detached = True

    def _process(self) -> psutil.Process:
        proc = self.kafka.process.process()
        if proc is None:
            raise SoakError("the local Kafka broker is not running", fix="start it with `soak infra up`")
        return proc

    def kill(self) -> str:
        proc = self._process()
        proc.send_signal(signal.SIGKILL)
        wait_gone(proc, 30)
        return f"pid {proc.pid} killed"

    def stop(self) -> str:
        pid = self._process().pid
        self.kafka.stop()
        return f"pid {pid} stopped"

    def start(self) -> str:
        if self.kafka.process.process() is not None:
            return "already running"
        status = self.kafka.start()  # waits until the broker answers
        return f"started, pid {status.pid}"


class CommandBrokerDriver:
    def __init__(self, env: FaultEnvironment):
        self.env = env
        host, _, port = env.bootstrap.split(",")[0].rpartition(":")
        self.values = {"bootstrap": env.bootstrap, "host": host, "port": port}

    def kill(self) -> str:
        return run_command(self.env.broker_kill_command, self.values) or "kill command ran"

    def stop(self) -> str:
        return run_command(self.env.broker_stop_command, self.values) or "stop command ran"

    def start(self) -> str:
        return run_command(self.env.broker_start_command, self.values) or "start command ran"


class ToxiproxyNetwork:
    """Toxics on the proxy every client of the run connects through."""

    def __init__(self, url: str, proxy: str):
        self.client = ToxiproxyClient(url)
        self.proxy = proxy

    def add(self, name: str, toxic: str, attributes: dict) -> list[str]:
        names = []
        for stream in ("upstream", "downstream"):
            toxic_name = f"{name}-{stream}"
            self.client.add_toxic(self.proxy, toxic_name, toxic, attributes, stream=stream)
            names.append(toxic_name)
        return names

    def remove(self, names: list[str]) -> None:
        present = {t["name"] for t in self.client.toxics(self.proxy)}
        for name in names:
            if name in present:  # removing twice is no error: heal is idempotent
                self.client.remove_toxic(self.proxy, name)

    def remove_prefixed(self, prefix: str) -> int:
        names = [t["name"] for t in self.client.toxics(self.proxy) if t["name"].startswith(prefix)]
        for name in names:
            self.client.remove_toxic(self.proxy, name)
        return len(names)

    def set_enabled(self, enabled: bool) -> None:
        self.client.set_enabled(self.proxy, enabled)


class CommandNodeDriver:
    """Stops a node with a command template, or through the node agent on it (which stops
    its own raylet); brings a node back with a command template."""

    def __init__(self, env: FaultEnvironment):
        self.env = env

    def stop(self, node: dict, node_agent_call) -> str:
        if self.env.node_stop_command:
            return run_command(self.env.node_stop_command, self._values(node)) or "stop command ran"
        pid = node_agent_call("stop_raylet")
        return f"raylet pid {pid} killed"

    def start(self, node: dict) -> str:
        return run_command(self.env.node_start_command, self._values(node)) or "start command ran"

    def _values(self, node: dict) -> dict[str, str]:
        return {"node_id": node["node_id"], "node_ip": node.get("node_ip", ""),
                "ray_address": self.env.ray_address or ""}


def broker_driver(env: FaultEnvironment):
    if env.broker == "local" and env.local_broker_settings:
        return LocalBrokerDriver(env.local_broker_settings)
    if env.broker == "command":
        return CommandBrokerDriver(env)
    return None
