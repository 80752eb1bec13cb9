"""Faults of one run over time: inject on schedule or on demand, heal when due, follow
recovery, alert when a fault is not recovered from within the limit.

Every fault is stored before it is started and its handle right after, so whichever
controller runs next heals what is in flight (a resumed controller heals at once: it
cannot know how long the fault has been in place).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from agents.clock import Clock
from controller.analysis.alerts import FAULT_NOT_RECOVERED
from controller.faults.base import FaultContext, FaultUnavailable
from controller.faults.catalog import CATALOG
from controller.faults.recovery import (NOT_RECOVERED, PENDING, RECOVERED, Baseline, Observation,
                                        ObservationWindow, RecoveryWatch, baseline, criteria)
from controller.faults.schedule import due, planned
from controller.store.faults import ACTIVE, FAILED, HEALED, REQUESTED, SKIPPED, FaultStore
from workloads.faults import FaultScheduleSpec

log = logging.getLogger(__name__)
ENDED = "ended"  # the run ended before the recovery could be judged
MIN_BASELINE_OBSERVATIONS = 3


def fault_name(run_id: str, fault_id: int) -> str:
    return f"soak-{run_id}-fault-{fault_id}"


class FaultManager:
    def __init__(self, run_id: str, schedule: FaultScheduleSpec, faults: FaultStore, runs, ctx: FaultContext,
                 clock: Clock, notify: Callable[[dict, str], None] | None = None):
        self.run_id, self.schedule, self.faults, self.runs, self.ctx, self.clock = \
            run_id, schedule, faults, runs, ctx, clock
        self.notify = notify  # (fault row, "started" | "healed"): e.g. a Grafana annotation
        self.window = ObservationWindow(schedule.recovery.baseline_s)
        self.watches: dict[int, RecoveryWatch] = {}
        self.usable = tuple(k for k in schedule.kinds if CATALOG[k].unavailable(ctx) is None)
        self.errors = 0
        self.last_error: str | None = None
        self.last_baseline: Baseline | None = None
        self.load_since_s: float | None = None

    # -- resume -------------------------------------------------------------------------------
    def resume(self) -> None:
        """Heal what a previous controller left in flight; carry on following recoveries."""
        for row in self.faults.with_recovery(self.run_id, PENDING):
            if row["recovery"]:
                self.watches[row["id"]] = RecoveryWatch.from_json(row["recovery"])
        for row in self.faults.of_run(self.run_id, (ACTIVE,)):
            self._heal(row, note="healed by a resumed controller")
        for row in self.faults.of_run(self.run_id, (REQUESTED,)):
            if row["started_ns"] is not None:  # cut short while starting: heal what may be in place
                self._heal_blind(row)
                self.faults.update(row["id"], state=FAILED, error="the controller stopped while starting it")

    # -- each tick ------------------------------------------------------------------------------
    def observe(self, obs: Observation, anomalies: dict[str, int]) -> None:
        if obs.throughput > 0 and self.load_since_s is None:
            self.load_since_s = obs.t_s
        if self.load_since_s is not None:  # the seconds before load first flowed are no baseline
            self.window.add(obs)
        for fault_id, watch in list(self.watches.items()):
            before = watch.outcome
            outcome = watch.observe(obs)
            if outcome == before:
                continue
            row = self.faults.get(fault_id)
            integrity = {k: v - row["anomalies_before"].get(k, 0) for k, v in anomalies.items()}
            self.faults.update(fault_id, recovery=watch.to_json(), recovery_state=outcome,
                               recovery_s=watch.recovered_s, integrity=integrity)
            del self.watches[fault_id]
            if outcome == RECOVERED:
                self.runs.add_event(self.run_id, "fault_recovered", self.clock.wall_ns(), fault_id=fault_id,
                                    fault_kind=row["kind"], seconds=watch.recovered_s)
                self.window.clear()  # the next baseline is taken after this recovery
            elif outcome == NOT_RECOVERED:
                self.runs.add_event(self.run_id, "alert", self.clock.wall_ns(), alert=FAULT_NOT_RECOVERED,
                                    fault_id=fault_id, fault_kind=row["kind"], limit_s=watch.criteria.limit_s,
                                    message=f"{row['kind']} on {row['target']} not recovered within "
                                            f"{watch.criteria.limit_s:g} s of its heal")
                log.warning("fault %s (%s) not recovered within %s s", fault_id, row["kind"], watch.criteria.limit_s)

    def step(self, elapsed_s: float, may_start: bool, anomalies: dict[str, int]) -> None:
        now_ns = self.clock.wall_ns()
        for row in self.faults.of_run(self.run_id, (ACTIVE,)):
            if row["heal_due_ns"] is not None and now_ns >= row["heal_due_ns"]:
                if row["skip_heal"]:
                    self._leave_in_place(row)
                else:
                    self._heal(row, note="healed on schedule")
        if not may_start:
            return
        for row in self.faults.of_run(self.run_id, (REQUESTED,)):
            if row["started_ns"] is None and row["seq"] is None:  # asked for on demand: at once
                self._start(row, anomalies)
        if self.load_since_s is None or now_ns / 1e9 - self.load_since_s < self.schedule.recovery.baseline_s:
            return  # a scheduled fault waits for a full baseline window of load
        seq = self.faults.next_seq(self.run_id)
        nxt = planned(self.schedule, seq, self.usable)
        if due(nxt, elapsed_s, self.busy_count(), self.schedule.max_concurrent):
            row = self.faults.add(self.run_id, nxt.kind, nxt.params, now_ns, seq=seq, skip_heal=nxt.skip_heal)
            self._start(row, anomalies)

    def busy_count(self) -> int:
        """Faults in place or still being recovered from: the next one waits for them."""
        active = {r["id"] for r in self.faults.of_run(self.run_id, (ACTIVE,))}
        return len(active | set(self.watches))

    # -- actions --------------------------------------------------------------------------------
    def _start(self, row: dict, anomalies: dict[str, int]) -> None:
        fault = CATALOG[row["kind"]]
        now_ns = self.clock.wall_ns()
        params = self.schedule.params_for(row["kind"], row["params"])
        why = fault.unavailable(self.ctx)
        base = baseline(self.window.items())
        if base is None or base.observations < MIN_BASELINE_OBSERVATIONS:
            base = self.last_baseline or base  # right after a recovery: the previous fault's baseline
        self.last_baseline = base
        if why is None:
            self.faults.update(row["id"], started_ns=now_ns)  # from here a resumed controller heals it
            try:
                injected = fault.start(self.ctx, params, fault_name(self.run_id, row["id"]))
            except FaultUnavailable as exc:
                why = exc.what
            except Exception as exc:
                self._error(f"starting {row['kind']}: {type(exc).__name__}: {exc}")
                self._heal_blind(row)  # whatever part of it took effect is undone
                self.faults.update(row["id"], state=FAILED, error=f"{type(exc).__name__}: {exc}"[:1024])
                self.runs.add_event(self.run_id, "fault_failed", now_ns, fault_id=row["id"], fault_kind=row["kind"],
                                    error=str(exc)[:300])
                return
        if why is not None:
            self.faults.update(row["id"], state=SKIPPED, error=why[:1024], started_ns=None)
            self.runs.add_event(self.run_id, "fault_skipped", now_ns, fault_id=row["id"], fault_kind=row["kind"],
                                reason=why[:300])
            return
        heal_due = now_ns + int(params.duration_s * 1e9)
        started = self.faults.update(row["id"], state=ACTIVE, target=injected.target[:256],
                                     handle={"name": fault_name(self.run_id, row["id"]), **injected.handle},
                                     params=params.model_dump(), heal_due_ns=heal_due,
                                     baseline=base.to_json() if base else None, anomalies_before=anomalies)
        self._notify(started, "started")
        self.runs.add_event(self.run_id, "fault_started", now_ns, fault_id=row["id"], fault_kind=row["kind"],
                            target=injected.target, duration_s=params.duration_s)
        log.info("fault %s started: %s on %s for %s s", row["id"], row["kind"], injected.target, params.duration_s)
        if params.duration_s == 0:
            self._heal(self.faults.get(row["id"]), note="instant fault")

    def _heal(self, row: dict, note: str) -> bool:
        fault = CATALOG[row["kind"]]
        try:
            did = fault.heal(self.ctx, row["handle"])
        except Exception as exc:  # retried at the next tick: a fault is never left in place
            self._error(f"healing {row['kind']} (fault {row['id']}): {type(exc).__name__}: {exc}")
            self.faults.update(row["id"], error=f"heal: {type(exc).__name__}: {exc}"[:1024])
            return False
        now_ns = self.clock.wall_ns()
        healed = self.faults.update(row["id"], state=HEALED, healed_ns=now_ns, heal_note=f"{note}: {did}"[:512])
        self._notify(healed, "healed")
        self.runs.add_event(self.run_id, "fault_healed", now_ns, fault_id=row["id"], fault_kind=row["kind"], note=note)
        if row.get("recovery_state") is None and row["state"] == ACTIVE:
            self._watch(row, now_ns)
        return True

    def _notify(self, fault: dict, event: str) -> None:
        if self.notify is None or fault.get("started_ns") is None:
            return
        try:
            self.notify(fault, event)
        except Exception as exc:  # a notification never stops a fault from being tracked
            self._error(f"notifying {event} of fault {fault['id']}: {type(exc).__name__}: {exc}")

    def _heal_blind(self, row: dict) -> None:
        """Best effort for a fault whose start failed or was cut short: heal what the
        fault's name alone identifies (toxics, the proxy, the broker's process)."""
        try:
            CATALOG[row["kind"]].heal(self.ctx, {"name": fault_name(self.run_id, row["id"])})
        except Exception as exc:
            log.info("nothing to heal for fault %s (%s): %s", row["id"], row["kind"], exc)

    def _leave_in_place(self, row: dict) -> None:
        """Test only (`skip_heal`): recovery is judged from the planned heal; the fault is
        healed when the run ends."""
        if row["id"] in self.watches or row["recovery_state"] is not None:
            return
        self.runs.add_event(self.run_id, "fault_left_in_place", self.clock.wall_ns(), fault_id=row["id"],
                            fault_kind=row["kind"])
        self._watch(row, row["heal_due_ns"])

    def _watch(self, row: dict, from_ns: int) -> None:
        base = Baseline.from_json(row["baseline"]) if row["baseline"] else None
        watch = RecoveryWatch(from_ns / 1e9, criteria(base, self.schedule.recovery))
        self.watches[row["id"]] = watch
        self.faults.update(row["id"], recovery=watch.to_json(), recovery_state=PENDING)

    def heal_all(self, note: str) -> bool:
        """Heal every fault in place (the run is ending, or stopping). True when none is left."""
        return all([self._heal(row, note) for row in self.faults.of_run(self.run_id, (ACTIVE,))])

    def end_recoveries(self, note: str) -> None:
        """The run ends: recoveries not judged yet never will be."""
        for fault_id, watch in list(self.watches.items()):
            self.faults.update(fault_id, recovery=watch.to_json(), recovery_state=ENDED, error=note)
        self.watches.clear()

    def recovering(self) -> bool:
        return bool(self.watches)

    def _error(self, message: str) -> None:
        self.errors += 1
        if message != self.last_error:
            log.warning("fault step: %s", message)
        self.last_error = message

    # -- what people see --------------------------------------------------------------------------
    def summary(self) -> dict:
        rows = self.faults.of_run(self.run_id)
        by_state: dict[str, int] = {}
        for r in rows:
            by_state[r["state"]] = by_state.get(r["state"], 0) + 1
        recovered = [r for r in rows if r["recovery_state"] == RECOVERED]
        by_kind: dict[str, dict] = {}
        for r in rows:
            if r["started_ns"]:
                entry = by_kind.setdefault(r["kind"], {"injected": 0, "last_recovery_s": None})
                entry["injected"] += 1
                if r["recovery_state"] == RECOVERED:
                    entry["last_recovery_s"] = r["recovery_s"]
        return {"by_kind": by_kind,"active": by_state.get(ACTIVE, 0), "injected": sum(1 for r in rows if r["started_ns"]),
                "healed": by_state.get(HEALED, 0), "skipped": by_state.get(SKIPPED, 0),
                "failed": by_state.get(FAILED, 0), "recovering": len(self.watches),
                "recovered": len(recovered),
                "not_recovered": sum(1 for r in rows if r["recovery_state"] == NOT_RECOVERED),
                "last": [{"id": r["id"], "kind": r["kind"], "target": r["target"], "state": r["state"],
                          "recovery": r["recovery_state"], "recovery_s": r["recovery_s"]} for r in rows[-3:]]}
