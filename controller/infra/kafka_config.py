"""Pure rendering of the local broker's configuration (unit-tested on literal data).

Listener layout, so that traffic sent through Toxiproxy stays through Toxiproxy:

    PLAINTEXT  host:kafka_port           advertised as itself   direct clients
    PROXIED    host:kafka_proxied_port   advertised as the proxy's listen address
    CONTROLLER host:kafka_controller_port                       KRaft quorum only

A client bootstrapping on the proxy reaches the PROXIED listener, whose metadata names
the proxy again, so every later connection (to the partition leader) also crosses the
proxy. Direct clients never see the proxy. A network fault therefore hits exactly the
clients that were pointed at the proxy.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BrokerLayout:
    host: str
    port: int
    controller_port: int
    proxied_port: int
    proxy_port: int  # where Toxiproxy listens in front of the PROXIED listener
    log_dirs: Path
    retention_bytes: int = 2 * 1024**3
    node_id: int = 1

    def ports(self) -> dict[str, int]:
        """The ports the broker binds, by the setting that chooses each."""
        return {"kafka_port": self.port, "kafka_controller_port": self.controller_port,
                "kafka_proxied_port": self.proxied_port}


def server_properties(layout: BrokerLayout) -> str:
    h = layout.host
    props = {
        "process.roles": "broker,controller",
        "node.id": layout.node_id,
        # --standalone formatting: bootstrap servers, never controller.quorum.voters.
        "controller.quorum.bootstrap.servers": f"{h}:{layout.controller_port}",
        "listeners": f"PLAINTEXT://{h}:{layout.port},CONTROLLER://{h}:{layout.controller_port},"
                     f"PROXIED://{h}:{layout.proxied_port}",
        "advertised.listeners": f"PLAINTEXT://{h}:{layout.port},PROXIED://{h}:{layout.proxy_port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "log.dirs": str(layout.log_dirs),
        "num.partitions": 3,
        # Topics are created on purpose by the tool; a typo must not make a new one.
        "auto.create.topics.enable": "false",
        # One node: every internal topic has a replication factor and min ISR of 1.
        "offsets.topic.replication.factor": 1,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "share.coordinator.state.topic.replication.factor": 1,
        "share.coordinator.state.topic.min.isr": 1,
        "min.insync.replicas": 1,
        "group.initial.rebalance.delay.ms": 0,
        # Disk stays bounded over a 24 h soak: size-based retention per partition.
        "log.retention.bytes": layout.retention_bytes,
        "log.retention.hours": 168,
        "log.segment.bytes": min(256 * 1024**2, layout.retention_bytes),
        "log.retention.check.interval.ms": 60_000,
    }
    return "".join(f"{k}={v}\n" for k, v in props.items())


def new_cluster_id(random_bytes: bytes | None = None) -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (22 chars).

    Like Kafka's Uuid.randomUuid, never one that starts with '-' (it would read as a
    command-line flag). Computed here to spare a JVM start per format.
    """
    while True:
        raw = random_bytes if random_bytes is not None else os.urandom(16)
        text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        if not text.startswith("-") and raw != bytes(16):
            return text
        if random_bytes is not None:
            raise ValueError("these bytes do not make a valid cluster id")


def jvm_argv(java: str, jar_dir: Path, heap: str, log_dir: Path, log4j_config: Path,
             main_class: str, args: list[str]) -> list[str]:
    return [
        java,
        f"-Xms{heap}", f"-Xmx{heap}",
        "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        f"-Dkafka.logs.dir={log_dir}",
        f"-Dlog4j2.configurationFile={log4j_config}",
        "-cp", f"{jar_dir}/*",
        main_class, *args,
    ]
