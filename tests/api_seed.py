"""Runs as a controller leaves them in the store, for the API tests: states, progress,
incarnations, faults, reports (built by the real report builder), alerts and samples."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agents.clock import FakeClock
from controller.analysis.alerts import FAULT_NOT_RECOVERED, LEAK, Alert
from controller.analysis.report import WindowFacts, build_report
from controller.api.app import create_app
from controller.api.auth import ApiTokens
from controller.control.launcher import create_run
from controller.runs.states import RunState
from controller.settings import SoakSettings
from controller.store.analysis import WHOLE_RUN, AnalysisStore
from controller.store.db import Database
from controller.store.faults import HEALED, FaultStore
from controller.store.runs import RunStore
from controller.store.samples import SampleFiles, SampleBuffer
from workloads.loader import load_workload
from workloads.model import SLOSpec

ADMIN = "admin-token-" + "a" * 32
READER = "read-token-" + "r" * 32
TOKENS = ApiTokens((ADMIN,), (READER,))
S = 10**9
T0 = 1_794_999_600 * S  # a fixed wall clock on the hour (sample steps align to it): 2026-11-18


@dataclass
class Seeded:
    running: str
    finished: str
    others: list[str]


def settings_for(data_dir: Path, database_url: str) -> SoakSettings:
    return SoakSettings(data_dir=data_dir, database_url=database_url)


def app_for(settings: SoakSettings, db: Database, launcher=None):
    return create_app(settings, TOKENS, launcher=launcher, database=db, clock=FakeClock(T0 + 7200 * S))


def _report(run_id: str, index: int | None, start_s: float, end_s: float) -> dict:
    facts = WindowFacts(run_id=run_id, workload="default", index=index, start_ns=T0 + int(start_s * S),
                        end_ns=T0 + int(end_s * S), run_start_ns=T0, counters={"sent": 3600, "acked": 3600},
                        memory={"producer-0": [(start_s + 60 * i, 100e6 + i) for i in range(10)]},
                        lag=[(start_s + 60 * i, 5.0) for i in range(10)])
    return build_report(facts, SLOSpec())


def seed(db: Database, settings: SoakSettings) -> Seeded:
    """Two runs with everything (one running, one finished), and four bare ones."""
    db.create_schema()
    runs, faults, analysis = RunStore(db), FaultStore(db), AnalysisStore(db)
    workload = load_workload("default")
    ids = []
    for i in range(6):
        clock = FakeClock(T0 + i * S)
        ids.append(create_run(runs, workload, 1.0, settings, clock, 3600.0).run_id)
    running, finished, others = ids[0], ids[1], ids[2:]
    for run_id in (running, finished):
        runs.set_state(run_id, RunState.RUNNING, T0 + 10 * S)
        for agent, kind in (("producer-0", "producer"), ("consumer-0", "consumer")):
            runs.record_incarnation(run_id, agent, kind, 0, T0 + 10 * S, node="node-a", pid=100)
        runs.end_incarnation(run_id, "producer-0", 0, T0 + 600 * S, "killed by fault 1")
        runs.record_incarnation(run_id, "producer-0", "producer", 1, T0 + 605 * S, node="node-b", pid=200)
        runs.save_progress(run_id, {"elapsed_s": 3600.0, "agent_status": {"producer-0": "healthy",
                                                                           "consumer-0": "healthy"},
                                    "memory": {"agents_by_name": {"producer-0": 150e6, "consumer-0": 250e6}}},
                           T0 + 3600 * S)
        fault = faults.add(run_id, "agent_kill", {"agent_kind": "producer"}, T0 + 590 * S, seq=0)
        faults.update(fault["id"], state=HEALED, target="producer-0", started_ns=T0 + 600 * S,
                      healed_ns=T0 + 600 * S, recovery_state="recovered", recovery_s=12.5)
        analysis.save_report(run_id, 0, _report(run_id, 0, 0, 3600), T0 + 3600 * S)
        analysis.save_alert(run_id, Alert(LEAK, "producer-0", "producer-0 grows 3 MB/h", {"slope_mb_per_hour": 3.0},
                                          T0 + 3000 * S, T0 + 3600 * S))
        analysis.save_alert(run_id, Alert(FAULT_NOT_RECOVERED, "fault-1", "fault 1 not recovered", {},
                                          T0 + 700 * S, T0 + 800 * S, resolved_ns=T0 + 900 * S))
        write_samples(Path(settings.samples_dir), run_id, hours=1)
    runs.set_state(finished, RunState.DRAINING, T0 + 7000 * S)
    runs.set_state(finished, RunState.FINISHED, T0 + 7100 * S, verdict="PASS", reasons=["every SLO met"])
    analysis.save_report(finished, WHOLE_RUN, _report(finished, None, 0, 7100), T0 + 7100 * S)
    runs.set_state(others[0], RunState.FAILED, T0 + 20 * S, verdict="FAIL", reasons=["could not start"])
    return Seeded(running, finished, others)


def write_samples(root: Path, run_id: str, hours: float, every_s: float = 5.0,
                  agents: tuple[str, ...] = ("producer-0", "consumer-0")) -> int:
    """rss_bytes every `every_s` per agent: value = 1e8 + the sample's index (so sums are known)."""
    files = SampleFiles(root, run_id)
    buffer = SampleBuffer(max_rows=10**9)
    n = int(hours * 3600 / every_s)
    for i in range(n):
        for agent in agents:
            buffer.add(T0 + int(i * every_s * S), "rss_bytes", agent, 1e8 + i)
        buffer.add(T0 + int(i * every_s * S), "acked_per_s", "run", 1000.0)
    files.write(buffer.drain(), now_ns=T0)
    files.compact(before_ns=T0 + int((hours + 1) * 3600 * S))
    return n
