"""Runs: list, read, create, stop, and the agents of a run."""

from __future__ import annotations

from pydantic import ValidationError

from agents.clock import Clock
from controller.api.problems import ApiProblem, field_errors
from controller.api.schemas import AgentOut, RunCreate, RunOut, RunPage, RunSummary, when
from controller.api.services.launching import RunLauncher
from controller.runs.states import RunState
from controller.store.runs import Run, RunStore
from workloads.faults import with_overrides
from workloads.loader import load_workload
from workloads.model import Workload


def summary(run: Run) -> RunSummary:
    return RunSummary(id=run.id, state=run.state, workload=run.workload_name, hours=run.hours,
                      created_at=when(run.created_ns), started_at=when(run.started_ns), ended_at=when(run.ended_ns),
                      verdict=run.verdict)


def detail(run: Run) -> RunOut:
    return RunOut(**summary(run).model_dump(), report_interval_s=run.report_interval_s, reasons=run.reasons,
                  stop_requested=run.stop_requested_ns is not None, progress=run.progress)


def resolve_workload(body: RunCreate) -> Workload:
    """The workload to run (a shipped one by name, or the one given inline; both validated
    by the request model) with the overrides applied. A bad override is a 422 naming it."""
    workload = load_workload(body.workload) if isinstance(body.workload, str) else body.workload
    o = body.overrides
    try:
        faults = with_overrides(workload.faults, o.fault_every_s, o.fault_warm_up_s, o.no_faults)
    except ValidationError as exc:
        errors = [{**e, "field": f"body.overrides.{e['field']}"} for e in field_errors(exc.errors())]
        raise ApiProblem(422, f"{errors[0]['field']}: {errors[0]['message']}", errors) from exc
    return workload.model_copy(update={"faults": faults})


class RunService:
    def __init__(self, store: RunStore, clock: Clock, launcher: RunLauncher | None):
        self.store, self.clock, self.launcher = store, clock, launcher

    def page(self, state: RunState | None, limit: int, offset: int) -> RunPage:
        found, total = self.store.list(state=state, limit=limit, offset=offset)
        return RunPage(items=[summary(r) for r in found], total=total, limit=limit, offset=offset)

    def get(self, run_id: str) -> RunOut:
        return detail(self.store.get(run_id))

    def create(self, body: RunCreate) -> RunOut:
        workload = resolve_workload(body)
        if self.launcher is None:
            raise ApiProblem(503, "this API instance cannot start runs (it was built without a launcher)")
        run_id = self.launcher.launch(self.store, workload, body.hours, body.overrides.report_interval_s)
        return self.get(run_id)

    def stop(self, run_id: str) -> tuple[RunOut, bool]:
        """Ask the run to stop through its end phase (idempotent); False when it had ended."""
        run = self.store.get(run_id)
        if run.state.terminal:
            return detail(run), False
        return detail(self.store.request_stop(run_id, self.clock.wall_ns(), reason="stopped through the API")), True

    def agents(self, run_id: str) -> list[AgentOut]:
        run = self.store.get(run_id)
        newest: dict[str, dict] = {}
        counts: dict[str, int] = {}
        for inc in self.store.incarnations(run_id):  # oldest first
            newest[inc["agent_id"]] = inc
            counts[inc["agent_id"]] = counts.get(inc["agent_id"], 0) + 1
        status = run.progress.get("agent_status", {})
        rss = run.progress.get("memory", {}).get("agents_by_name", {})
        return [AgentOut(agent_id=aid, kind=inc["kind"], status=status.get(aid), incarnation=inc["incarnation"],
                         restarts=counts[aid] - 1, node=inc["node"], pid=inc["pid"], started_at=when(inc["started_ns"]),
                         ended_at=when(inc["ended_ns"]), end_reason=inc["end_reason"], rss_bytes=rss.get(aid))
                for aid, inc in sorted(newest.items())]
