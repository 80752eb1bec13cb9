"""The end phase of a run: stop producers, drain until lag is zero, final checks, verdict.

Which stage comes next is `end_stages.py`'s rule; this module does each stage's work.
Each stage is recorded as an event when done, so a controller that resumes a draining
run continues from the stage it reached instead of repeating (or skipping) one.
"""

from __future__ import annotations

import logging

from agents.core.histogram import LatencyHistogram, interval
from controller.control.end_stages import EndStage, describe, next_step, stage_of
from controller.control.table_work import check_external, check_table
from controller.fleet.slots import PRODUCER, of_kind
from controller.runs.states import RunState
from controller.runs.verdict import Evidence, corrupt_examples, judge, last_query_errors

log = logging.getLogger(__name__)
STOPPED, DRAINED, DRAIN_TIMEOUT = EndStage.PRODUCERS_STOPPED, EndStage.DRAINED, EndStage.DRAIN_TIMEOUT
SETTLED, CHECKED = EndStage.SETTLED, EndStage.CHECKED
SETTLE_POLL_S = 5.0


def drain_outcome(stopped_ns: int, watched_from_ns: int, now_ns: int, lag_read_ns: int, lag_left: int,
                  timeout_s: float) -> str | None:
    """Pure: DRAINED once a lag read that began after the producers stopped is zero;
    DRAIN_TIMEOUT once this controller has watched the drain for `timeout_s`. A resumed
    controller gets the whole time again: while no controller ran, the verifiers may not
    have run either, and counting that time had a resumed drain time out at once and
    call records missing that were only not read yet."""
    if lag_read_ns > stopped_ns and lag_left == 0:
        return DRAINED
    if (now_ns - max(stopped_ns, watched_from_ns)) / 1e9 > timeout_s:
        return DRAIN_TIMEOUT
    return None


def settled(now_ns: int, started_ns: int, last_change_ns: int, missing: int | None, quiet_s: float,
            timeout_s: float) -> bool:
    """Pure: the team's table is as complete as it will get once it holds every
    acknowledged record, has not changed for `quiet_s`, or `timeout_s` has passed."""
    return missing == 0 or (now_ns - last_change_ns) / 1e9 >= quiet_s or (now_ns - started_ns) / 1e9 >= timeout_s


def fault_evidence(faults: list[dict]) -> dict:
    """What the verdict needs of the run's faults."""
    def line(f: dict) -> str:
        return f"fault {f['id']} {f['kind']} on {f['target']}"

    return {"fault_restarts": sum(1 for f in faults if f["kind"] == "agent_kill" and f["started_ns"]),
            "faults_not_recovered": tuple(line(f) for f in faults if f["recovery_state"] == "not_recovered"),
            "faults_not_healed": tuple(line(f) for f in faults if f["state"] == "active")}


class EndPhase:
    def __init__(self, controller):
        self.c = controller
        events = controller.store.events(controller.run_id)
        self.done: dict[EndStage, dict] = {stage: e for e in events if (stage := stage_of(e["kind"]))}
        self._settling_since: int | None = None
        self._table_watch: dict | None = None  # external mode: since when, the last check, its last change
        self._watched_from = controller.clock.wall_ns()  # this controller's start (later than the stop if resumed)

    @property
    def producers_stopped(self) -> bool:
        return STOPPED in self.done

    def describe(self) -> str | None:
        return describe(frozenset(self.done), self.c.state == RunState.DRAINING)

    def _mark(self, stage: EndStage, **detail) -> None:
        now = self.c.clock.wall_ns()
        self.c.store.add_event(self.c.run_id, stage.value, now, **detail)
        self.done[stage] = {"kind": stage.value, "ts_ns": now, **detail}

    def step(self, run) -> None:
        """One turn of work toward the next stage."""
        step = next_step(frozenset(self.done), self.c.spec.external_table is not None)
        if step is None:  # judged by a controller that died before it set the final state
            self._finish(run)
            return
        if step[0] == STOPPED:
            if self._faults_settled(run):
                self._stop_producers()
        elif step[0] == DRAINED:  # or its timeout
            self._drain()
        elif step[0] == SETTLED:
            self._settle()
        else:
            self._check_and_judge(run)

    def _faults_settled(self, run) -> bool:
        """Every fault healed, and the last one's recovery judged while load still runs
        (unless asked to stop). Both bounded by the recovery limit."""
        c = self.c
        now = c.clock.wall_ns()
        if self._settling_since is None:
            self._settling_since = now
        waited_s = (now - self._settling_since) / 1e9
        limit_s = c.spec.workload.faults.recovery.limit_s
        if not c.faults.heal_all("healed as the run ends") and waited_s < limit_s:
            return False
        if c.faults.recovering() and run.stop_requested_ns is None and waited_s < limit_s:
            return False
        c.faults.end_recoveries("the run ended before its recovery was judged")
        return True

    def _stop_producers(self) -> None:
        c = self.c
        producers = of_kind(c.fleet.handles, PRODUCER)
        flush_s = c.spec.workload.producers.spec.flush_timeout_s
        final = c.fleet.call(producers, "stop", timeout_s=flush_s + 30)
        unflushed = 0
        for aid, stats in final.items():
            if isinstance(stats, dict):
                c.totals.update(aid, stats)
                unflushed += int(stats.get("unflushed_at_stop", 0))
        c.keep_ledgers(c.fleet.call(producers, "ack_ledger", timeout_s=60))
        c.store.save_ack_ledgers(c.run_id, list(c.ledgers.values()), c.clock.wall_ns())
        self._mark(STOPPED, producers=len(producers), unflushed=unflushed)

    def _drain(self) -> None:
        c = self.c
        since, now, lag_left = self.done[STOPPED]["ts_ns"], c.clock.wall_ns(), sum(c.lag.values())
        outcome = drain_outcome(since, self._watched_from, now, c.lag_wall_ns, lag_left, c.spec.drain_timeout_s)
        if outcome == DRAINED:
            self._mark(DRAINED, seconds=(now - since) / 1e9)
        elif outcome == DRAIN_TIMEOUT:
            self._mark(DRAIN_TIMEOUT, lag_left=lag_left)

    def _settle(self) -> None:
        """External mode: check the team's table again every few seconds until their job has
        landed every acknowledged record, or gone quiet, or the settle time is up."""
        c = self.c
        now = c.clock.wall_ns()
        watch = self._table_watch
        if watch is None:
            # The ledgers are final once the producers stopped: read once, checked every poll.
            watch = self._table_watch = {"since": now, "polled": 0, "rows": None, "changed": now, "check": None,
                                         "error": None, "ledgers": c.store.ack_ledgers(c.run_id)}
        elif (now - watch["polled"]) / 1e9 < SETTLE_POLL_S:
            return
        watch["polled"] = now
        try:
            check, error = check_external(c.spec.external_table, c.run_id, watch["ledgers"]), None
        except Exception as exc:
            check, error = None, f"{type(exc).__name__}: {exc}"
            log.warning("check of the external table failed: %s", error)
        watch["check"], watch["error"] = check, error
        rows = check["table_rows"] if check else None
        if rows != watch["rows"]:
            watch["rows"], watch["changed"] = rows, now
        ingestion = c.spec.workload.ingestion
        if settled(now, watch["since"], watch["changed"], check["missing"] if check else None,
                   ingestion.quiet_s, ingestion.settle_timeout_s):
            self._mark(SETTLED, seconds=(now - watch["since"]) / 1e9, rows=rows)

    def _final_check(self) -> tuple[dict | None, str | None]:
        c = self.c
        watch = self._table_watch
        if c.spec.external_table is not None and watch is not None:
            return watch["check"], watch["error"]  # the settle stage's last check is the final one
        try:
            if c.spec.external_table is not None:  # settled by an earlier controller: check again
                return check_external(c.spec.external_table, c.run_id, c.store.ack_ledgers(c.run_id)), None
            return check_table(c.spec.table_ref, c.spec.topic, c.run_id, c.store.ack_ledgers(c.run_id)), None
        except Exception as exc:  # the verdict says the check could not run
            log.warning("final check failed: %s", exc, exc_info=True)
            return None, f"{type(exc).__name__}: {exc}"

    def _check_and_judge(self, run) -> None:
        c = self.c
        check, error = self._final_check()
        self._stop_fleet()
        c.flush()
        t = c.totals
        evidence = Evidence(
            check=check, check_error=error, drained=DRAINED in self.done,
            lag_left=int(self.done.get(DRAIN_TIMEOUT, {}).get("lag_left", 0)),
            anomalies=t.anomalies(), corrupt_examples=corrupt_examples(c.latest_stats),
            query_errors=int(t.total("errors_total", "query")), query_error_messages=last_query_errors(c.latest_stats),
            acked=t.total("acked"), intended=t.total("intended") or None,
            p99_ack_ms=self._judged_p99("ack_latency"), p99_e2e_ms=self._judged_p99("e2e_latency"),
            max_lag=c.peaks.max_lag, max_freshness_s=c.peaks.max_freshness_s,
            restarts=sum(c.restarts.values()), **fault_evidence(c.faults.faults.of_run(c.run_id)),
            alerts=c.analysis.verdict_lines(), stopped_early=run.stop_requested_ns is not None,
            elapsed_s=(self.done[STOPPED]["ts_ns"] - (run.started_ns or 0)) / 1e9, planned_s=c.spec.duration_s)
        verdict = judge(evidence, c.spec.workload.slo)
        self._mark(CHECKED, check=check, error=error, verdict=verdict.level, reasons=list(verdict.reasons))
        try:  # the reports must not cost the run its verdict
            c.analysis.finish(verdict, check)
        except Exception:
            log.warning("the final reports failed", exc_info=True)
        self._finish(run)

    def _finish(self, run) -> None:
        """The final state, with the verdict the checked stage recorded."""
        c = self.c
        checked = self.done[CHECKED]
        final = RunState.STOPPED if run.stop_requested_ns is not None else RunState.FINISHED
        c.store.set_state(c.run_id, final, c.clock.wall_ns(), verdict=checked.get("verdict", "FAIL"),
                          reasons=list(checked.get("reasons") or ["judged by a controller that stopped; verdict lost"]))
        c.state = final

    def _judged_p99(self, name: str) -> float:
        """p99 in ms of what was recorded after the warm-up (all of it if the run was shorter),
        outside faults and their recoveries when the run had faults."""
        calm = self.c.calm.get(name)
        if self.c.faults.summary()["injected"] and calm is not None and calm.total:
            return calm.percentile(99) / 1000
        merged = self.c.totals.merged(name)
        raw = (self.c.baseline or {}).get(name)
        return interval(merged, LatencyHistogram.from_json(raw) if raw else None).percentile(99) / 1000

    def _stop_fleet(self) -> None:
        """Stop every agent (verifiers commit what they hold), then remove the actors."""
        c = self.c
        handles = dict(c.fleet.handles)
        for aid, stats in c.fleet.call(handles, "stop", timeout_s=90).items():
            if isinstance(stats, dict):
                c.totals.update(aid, stats)
        now = c.clock.wall_ns()
        for aid in handles:
            c.fleet.retire(aid)
            for ended in c.tracker.retire(aid, "run ended"):
                c.store.end_incarnation(c.run_id, aid, ended.incarnation, now, ended.reason)
