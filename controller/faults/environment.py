"""What the faults of a run can reach, resolved at `soak start` and stored in the RunSpec.

A resumed controller (in another process, maybe on another node) rebuilds the same
drivers from it: the local broker by its data directory and ports, or command templates
for a broker or nodes it cannot touch directly, and Toxiproxy's API for network faults.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from workloads.faults import BROKER_KINDS, NETWORK_KINDS


class FaultEnvironment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    broker: Literal["local", "command", "none"] = "none"
    # The local broker's settings (SoakSettings fields), so a driver elsewhere finds its process.
    local_broker_settings: dict | None = None
    broker_kill_command: str | None = None
    broker_stop_command: str | None = None
    broker_start_command: str | None = None
    bootstrap: str = ""
    toxiproxy_url: str | None = None
    toxiproxy_proxy: str = "kafka"
    node_stop_command: str | None = None  # None: the node agent stops its own raylet
    node_start_command: str | None = None
    ray_address: str | None = None
    services: dict[str, dict] = {}  # a team's services: name -> {restart, stop, start} command templates

    def unavailable(self, kind: str) -> str | None:
        """Why faults of `kind` cannot be injected here (None: they can)."""
        if kind in BROKER_KINDS and self.broker == "none":
            return ("no broker driver: the local broker, or SOAK_BROKER_KILL_COMMAND / SOAK_BROKER_STOP_COMMAND "
                    "and SOAK_BROKER_START_COMMAND for another cluster")
        if kind == "broker_kill" and self.broker == "command" and not self.broker_kill_command:
            return "SOAK_BROKER_KILL_COMMAND is not set"
        if kind == "broker_restart" and self.broker == "command" and not self.broker_stop_command:
            return "SOAK_BROKER_STOP_COMMAND is not set"
        if kind in NETWORK_KINDS and not self.toxiproxy_url:
            return "no Toxiproxy between the clients and the broker (the local broker has one; see docs/faults.md)"
        if kind == "node_loss" and not self.node_start_command:
            return "SOAK_NODE_START_COMMAND is not set: a lost node could not be brought back"
        command = {"service_restart": "restart", "service_stop": "stop"}.get(kind)
        if command and not any(cmds.get(command) for cmds in self.services.values()):
            return f"no service in the workload's node.services has a {command} command"
        return None


def wants_network(schedule) -> bool:
    """Whether the schedule may inject network faults (then clients go through Toxiproxy)."""
    if schedule.mode == "none":
        return False
    kinds = set(schedule.kinds) | {e.kind for e in schedule.timeline}
    return bool(kinds & set(NETWORK_KINDS))


def resolve(settings, schedule, services: dict | None = None) -> tuple[FaultEnvironment, str | None]:
    """The run's fault environment and the bootstrap servers its clients use (None: the
    direct ones). Clients go through Toxiproxy when there is one and network faults may
    come (scheduled, or `toxiproxy_enabled` for faults on demand)."""
    through_proxy = settings.toxiproxy_enabled or wants_network(schedule)
    toxiproxy_url, client_bootstrap = None, None
    if settings.toxiproxy_url:
        toxiproxy_url, client_bootstrap = settings.toxiproxy_url, settings.toxiproxy_bootstrap_servers
    elif settings.uses_local_broker and through_proxy:
        toxiproxy_url = f"http://{settings.kafka_host}:{settings.toxiproxy_api_port}"
        client_bootstrap = f"{settings.kafka_host}:{settings.toxiproxy_kafka_port}"
    if settings.uses_local_broker:
        # The API's credentials have no business in a stored run spec.
        broker, local = "local", settings.model_dump(mode="json", exclude={"api_admin_tokens", "api_read_tokens",
                                                                             "api_token", "grafana_token"})
    elif settings.broker_start_command:
        broker, local = "command", None
    else:
        broker, local = "none", None
    env = FaultEnvironment(
        broker=broker, local_broker_settings=local, broker_kill_command=settings.broker_kill_command,
        broker_stop_command=settings.broker_stop_command, broker_start_command=settings.broker_start_command,
        bootstrap=settings.effective_bootstrap_servers, toxiproxy_url=toxiproxy_url,
        toxiproxy_proxy=settings.toxiproxy_proxy, node_stop_command=settings.node_stop_command,
        node_start_command=settings.node_start_command, ray_address=settings.effective_ray_address,
        services={name: cmds.model_dump(exclude_none=True) for name, cmds in (services or {}).items()})
    return env, client_bootstrap
