"""The fault schedule of a workload: which faults, when, and how recovery is judged.

Pure schema. Each fault kind has a parameter model here (what a workload may say about
it); what the fault does lives in `controller/faults/`. An unknown kind or a bad
parameter is refused when the workload is loaded, naming the field (house rule 7).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from workloads.specs import Strict

AgentKind = Literal["producer", "consumer", "query", "maintenance"]


class FaultParams(Strict):
    duration_s: float = Field(default=10.0, ge=0, le=86_400, description="how long the fault stays in place")


class AgentTarget(FaultParams):
    """A named agent (`producer-1`), or a random running agent of a kind (any kind if neither)."""

    agent: str | None = Field(default=None, pattern=r"^[a-z]+-[0-9]+$")
    agent_kind: AgentKind | None = None

    @model_validator(mode="after")
    def _one_target(self):
        if self.agent and self.agent_kind and not self.agent.startswith(self.agent_kind + "-"):
            raise ValueError(f"agent {self.agent!r} is not of agent_kind {self.agent_kind!r}: give one of them")
        return self


class AgentKill(AgentTarget):
    duration_s: float = Field(default=0.0, ge=0, le=0, description="instant: Ray restarts the agent")


class AgentPause(AgentTarget):
    pass


class BrokerKill(FaultParams):
    """SIGKILL (no clean shutdown), started again after `duration_s`."""

    duration_s: float = Field(default=5.0, ge=0, le=86_400)


class BrokerRestart(FaultParams):
    """A clean stop, started again after `duration_s` (0: at once)."""

    duration_s: float = Field(default=0.0, ge=0, le=86_400)


class NetworkDegraded(FaultParams):
    """Between the clients and the broker, through Toxiproxy (both directions)."""

    latency_ms: int = Field(default=200, ge=0, le=600_000)
    jitter_ms: int = Field(default=50, ge=0, le=600_000)
    bandwidth_kb_s: int | None = Field(default=None, ge=1, description="None: no bandwidth limit")

    @model_validator(mode="after")
    def _does_something(self):
        if not self.latency_ms and not self.jitter_ms and self.bandwidth_kb_s is None:
            raise ValueError("network_degraded needs latency_ms, jitter_ms or bandwidth_kb_s above 0")
        return self


class NetworkPartition(FaultParams):
    """Clients cut off from the broker: connections closed and refused until healed."""


class NodeTarget(FaultParams):
    node: str | None = Field(default=None, description="a Ray node id (prefix); None: a random live node")


class CpuPressure(NodeTarget):
    workers: int = Field(default=1, ge=1, le=256, description="busy-looping processes")


class MemoryPressure(NodeTarget):
    megabytes: int = Field(default=512, ge=1, le=1_048_576, description="resident memory held")


class NodeLoss(NodeTarget):
    """A worker node's raylet stopped (never the head, never the controller's node)."""

    duration_s: float = Field(default=20.0, ge=0, le=86_400)


class ServiceTarget(FaultParams):
    """A team's service of `node.services` (None: a random one that has the command)."""

    service: str | None = Field(default=None, min_length=1)


class ServiceRestart(ServiceTarget):
    """The service's restart command (nothing to heal: the command, or its supervisor,
    brings it back)."""

    duration_s: float = Field(default=0.0, ge=0, le=86_400)


class ServiceStop(ServiceTarget):
    """The service's stop command, its start command on heal."""


PARAMS: dict[str, type[FaultParams]] = {
    "agent_kill": AgentKill, "agent_pause": AgentPause, "broker_kill": BrokerKill, "broker_restart": BrokerRestart,
    "network_degraded": NetworkDegraded, "network_partition": NetworkPartition, "cpu_pressure": CpuPressure,
    "memory_pressure": MemoryPressure, "node_loss": NodeLoss, "service_restart": ServiceRestart,
    "service_stop": ServiceStop,
}
SERVICE_KINDS = ("service_restart", "service_stop")
NETWORK_KINDS = ("network_degraded", "network_partition")
BROKER_KINDS = ("broker_kill", "broker_restart")


def fault_params(kind: str, overrides: dict | None = None) -> FaultParams:
    """The parameters of one fault of `kind`. ValueError naming the kind or field otherwise."""
    model = PARAMS.get(kind)
    if model is None:
        raise ValueError(f"unknown fault kind {kind!r}; known kinds: {', '.join(PARAMS)}")
    return model.model_validate(overrides or {})


class TimelineEntry(Strict):
    at_s: float = Field(ge=0, description="seconds after the run started")
    kind: str
    params: dict = Field(default_factory=dict)
    # Test only: leave the fault in place past its duration (until the run ends), to
    # prove that a fault the system does not recover from raises the recovery alert.
    skip_heal: bool = False

    @model_validator(mode="after")
    def _valid(self):
        fault_params(self.kind, self.params)
        return self


class RecoverySpec(Strict):
    """Recovered: throughput back within tolerance of its pre-fault baseline and lag under
    its threshold, holding for `hold_s`; not within `limit_s` of the heal: an alert."""

    limit_s: float = Field(default=180.0, gt=0)
    hold_s: float = Field(default=4.0, ge=0)
    baseline_s: float = Field(default=30.0, gt=0, description="the window before the fault that sets the baseline")
    throughput_tolerance: float = Field(default=0.2, gt=0, lt=1, description="fraction below baseline allowed")
    max_lag_records: int | None = Field(default=None, ge=0, description="None: the largest of lag_floor_records, "
                                        "lag_factor x baseline lag and lag_seconds of baseline throughput")
    lag_factor: float = Field(default=2.0, ge=1)
    lag_floor_records: int = Field(default=2_000, ge=0)
    lag_seconds: float = Field(default=10.0, ge=0, description="verifiers commit every few seconds: lag is a sawtooth")


class FaultScheduleSpec(Strict):
    """When faults happen: `every` N seconds in the order of `kinds`, a seeded `random`
    order over `kinds` (each kind once per round), or an explicit `timeline`."""

    mode: Literal["none", "every", "random", "timeline"] = "none"
    every_s: float = Field(default=600.0, gt=0)
    jitter_s: float = Field(default=0.0, ge=0)
    warm_up_s: float = Field(default=600.0, ge=0, description="no scheduled fault before this")
    seed: int = 0
    kinds: tuple[str, ...] = ()
    params: dict[str, dict] = Field(default_factory=dict, description="per kind: parameters other than the defaults")
    timeline: tuple[TimelineEntry, ...] = ()
    max_concurrent: int = Field(default=1, ge=1, le=10)
    recovery: RecoverySpec = RecoverySpec()

    @model_validator(mode="after")
    def _consistent(self):
        if self.mode in ("every", "random") and not self.kinds:
            raise ValueError(f"fault schedule mode {self.mode!r} needs at least one entry in kinds")
        if self.mode == "timeline" and not self.timeline:
            raise ValueError("fault schedule mode 'timeline' needs at least one entry in timeline")
        for kind in self.kinds:
            fault_params(kind, self.params.get(kind))
        for kind, overrides in self.params.items():
            fault_params(kind, overrides)
        if self.jitter_s >= self.every_s:
            raise ValueError(f"jitter_s ({self.jitter_s:g}) must be below every_s ({self.every_s:g})")
        return self

    def params_for(self, kind: str, overrides: dict | None = None) -> FaultParams:
        return fault_params(kind, {**self.params.get(kind, {}), **(overrides or {})})


def with_overrides(schedule: FaultScheduleSpec, every_s: float | None = None, warm_up_s: float | None = None,
                   off: bool = False) -> FaultScheduleSpec:
    """The schedule with `soak start`'s --fault-every / --fault-warm-up / --no-faults applied.

    --fault-every keeps a random or every schedule's kinds (all kinds when it had none)
    and its jitter, capped at a quarter of the new period."""
    raw = schedule.model_dump()
    if off:
        raw["mode"] = "none"
    elif every_s is not None:
        raw["mode"] = schedule.mode if schedule.mode in ("every", "random") else "every"
        raw["every_s"] = every_s
        raw["jitter_s"] = min(schedule.jitter_s, every_s / 4)
        raw["kinds"] = list(schedule.kinds) or list(PARAMS)
    if warm_up_s is not None:
        raw["warm_up_s"] = warm_up_s
    return FaultScheduleSpec.model_validate(raw)
