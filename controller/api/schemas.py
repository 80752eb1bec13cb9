"""Request and response bodies of the API, with their limits."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from controller.runs.states import RunState
from workloads.faults import PARAMS
from workloads.loader import builtin_names
from workloads.model import Workload

RUN_ID = r"^[A-Za-z0-9_-]{1,64}$"
# Only the workloads shipped with soak fleet by name: a name is never a path on the server.
WorkloadName = Literal[tuple(builtin_names())]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def when(ns: int | None) -> datetime | None:
    return None if ns is None else datetime.fromtimestamp(ns / 1e9, tz=timezone.utc)


# -- runs -------------------------------------------------------------------------------------------
class RunOverrides(Strict):
    """What `soak start`'s flags change on the workload."""

    report_interval_s: float | None = Field(default=None, ge=1, le=7 * 86_400,
                                            description="report window (default: the workload's, 1 h)")
    fault_every_s: float | None = Field(default=None, ge=1, le=86_400,
                                        description="inject a fault this often (the workload's kinds, or all)")
    fault_warm_up_s: float | None = Field(default=None, ge=0, le=86_400, description="no scheduled fault before this")
    no_faults: bool = Field(default=False, description="inject no scheduled fault")


class RunCreate(Strict):
    workload: WorkloadName | Workload = Field(  # type: ignore[valid-type]
        default="default", description="the name of a shipped workload, or a whole workload inline (as in YAML)")
    hours: float = Field(default=24.0, ge=0.001, le=24 * 30, description="how long the soak runs")
    overrides: RunOverrides = RunOverrides()


class RunSummary(BaseModel):
    id: str
    state: RunState
    workload: str
    hours: float
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    verdict: str | None


class RunOut(RunSummary):
    report_interval_s: float
    reasons: list[str]
    stop_requested: bool
    progress: dict[str, Any]


class RunPage(BaseModel):
    items: list[RunSummary]
    total: int
    limit: int
    offset: int


class AgentOut(BaseModel):
    agent_id: str
    kind: str
    status: str | None = Field(description="healthy, restarting, ... as the controller last saw it")
    incarnation: int
    restarts: int
    node: str | None
    pid: int | None
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    rss_bytes: float | None


# -- reports and alerts -----------------------------------------------------------------------------
class ReportRef(BaseModel):
    window: int | None = Field(description="1 = the first report window; null for the whole-run report")
    name: str = Field(description="the path segment to fetch it: the window number, or `run`")
    start: datetime
    end: datetime
    verdict: str


class AlertOut(BaseModel):
    id: int
    kind: str
    subject: str
    summary: str
    evidence: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    active: bool


# -- faults -----------------------------------------------------------------------------------------
def _fault_request(kind: str, params: type[BaseModel]) -> type[BaseModel]:
    return create_model(f"Inject_{kind}", __base__=Strict, kind=(Literal[kind], ...),
                        params=(params, Field(default_factory=params, description="docs/faults.md")))


# One body per fault kind, told apart by `kind`: the schema shows each kind's parameters.
FaultCreate = Annotated[Union[tuple(_fault_request(k, m) for k, m in PARAMS.items())],  # type: ignore[misc]
                        Field(discriminator="kind")]


class FaultOut(BaseModel):
    id: int
    seq: int | None = Field(description="its index in the schedule; null for one injected on demand")
    kind: str
    state: str
    target: str | None
    params: dict[str, Any]
    requested_at: datetime
    started_at: datetime | None
    healed_at: datetime | None
    heal_note: str | None
    error: str | None
    recovery_state: str | None
    recovery_s: float | None
    integrity: dict[str, Any] | None


# -- samples ----------------------------------------------------------------------------------------
class SamplePoint(BaseModel):
    ts: datetime = Field(description="the start of the step")
    agent_id: str
    min: float
    max: float
    avg: float
    last: float


class SampleSeries(BaseModel):
    series: str
    step_s: float
    points: list[SamplePoint]


class HealthOut(BaseModel):
    status: str
    detail: str | None = None
