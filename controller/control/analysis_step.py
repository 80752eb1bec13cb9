"""The control loop's analysis step: report windows, detectors and alerts.

Each tick: when a report window has closed, its report is built and stored; when a
detector is due, it is evaluated on the samples in the store (memory leaks per process,
consumer-lag growth, p99 latency and throughput regressions, and faults not recovered
from) and the alerts that change are stored, exported and pushed to Alertmanager. At the
end: the last (partial) window, the whole-run report, the run's steady-state summary for
later runs, and the across-runs comparison. Detector states and window snapshots are in
the controller's checkpoint, so a resumed controller carries on.
"""

from __future__ import annotations

import logging
from collections import Counter
from statistics import median

import psutil

from controller.analysis import leak, regression
from controller.analysis.alerts import (CROSS_RUN_REGRESSION, FAULT_NOT_RECOVERED, LAG_GROWTH, LATENCY_REGRESSION,
                                        LEAK, THROUGHPUT_REGRESSION, Alert, Finding, apply)
from controller.analysis.changepoint import change_points
from controller.analysis.report import build_report, fault_windows
from controller.analysis.series import medians, outside
from controller.analysis.sustain import Sustained
from controller.control.window_facts import gather, snapshot
from controller.store.samples import RUN
from controller.faults.recovery import NOT_RECOVERED
from controller.runs.states import RunState
from controller.store.analysis import WHOLE_RUN, AnalysisStore

log = logging.getLogger(__name__)
MB = 2**20
BROKER = "kafka-broker"
# Steady-state numbers compared across runs of a workload: (summary key, worse when).
CROSS_RUN = (("acked_per_s", "down"), ("p99_ack_ms", "up"), ("p99_e2e_ms", "up"))


class AnalysisStep:
    def __init__(self, controller, checkpoint: dict):
        self.c = controller
        self.store = AnalysisStore(controller.store.db)
        self.next_window = int(checkpoint.get("next_window", 0))
        self.window_start = checkpoint.get("window_start")  # snapshot at the open window's start
        self.states: dict[str, list] = dict(checkpoint.get("states", {}))  # "kind|subject" -> [consecutive, at]
        self.last_eval: dict[str, float] = dict(checkpoint.get("last_eval", {}))
        self.alerts = {a.key: a for a in self.store.alerts(controller.run_id, active_only=True)}
        self.opened: Counter[str] = Counter(a.kind for a in self.store.alerts(controller.run_id))
        # The verdict of the newest closed window (for /metrics); a resumed controller reads it back.
        windows = [w for w in self.store.report_windows(controller.run_id) if w["window"] != WHOLE_RUN]
        self.last_window_verdict: str | None = windows[-1]["verdict"] if windows else None
        self.push = None
        if controller.spec.alertmanager_url:
            from controller.alerting import AlertmanagerPush
            self.push = AlertmanagerPush(controller.spec.alertmanager_url)
        self._pushed_at = 0.0
        self._own_start_ns = int(psutil.Process().create_time() * 1e9)

    def to_json(self) -> dict:
        return {"next_window": self.next_window, "window_start": self.window_start, "states": self.states,
                "last_eval": self.last_eval}

    # -- each tick -----------------------------------------------------------------------------------
    def tick(self) -> None:
        c = self.c
        if c.started_ns is None:
            return
        if self.window_start is None:
            self.window_start = snapshot(c)
        interval_ns = int(c.spec.report_interval_s * 1e9)
        now_ns = c.clock.wall_ns()
        if c.state == RunState.RUNNING and now_ns >= c.started_ns + (self.next_window + 1) * interval_ns:
            start = c.started_ns + self.next_window * interval_ns
            self._report(self.next_window, start, start + interval_ns)
        if c.state == RunState.RUNNING:
            self.evaluate(now_ns)
        # Faults not recovered from are alerts at once, through the end phase too; a fault's
        # outcome is final, so its alert is opened once and stays open until the run ends.
        stuck = [f for f in c.faults.faults.with_recovery(c.run_id, NOT_RECOVERED)
                 if (FAULT_NOT_RECOVERED, self._fault_subject(f)) not in self.alerts]
        self.record([Finding(FAULT_NOT_RECOVERED, self._fault_subject(f), True,
                             f"no recovery from {f['kind']} on {f.get('target') or '-'} within the limit",
                             {"fault_id": f["id"], "healed_ns": f.get("healed_ns")}) for f in stuck], now_ns)
        self._resend(now_ns)

    @staticmethod
    def _fault_subject(fault: dict) -> str:
        return f"{fault['kind']} #{fault['id']}"

    def _report(self, index: int, start_ns: int, end_ns: int, run_verdict=None, lost=None) -> dict:
        c = self.c
        c.flush()  # the window's last samples into the files the report reads
        faults = c.faults.faults.of_run(c.run_id)
        alerts = self.store.alerts(c.run_id)
        before = {} if index == WHOLE_RUN else (self.window_start or {})
        facts = gather(c, None if index == WHOLE_RUN else index, start_ns, end_ns, before, faults, alerts,
                       run_verdict, lost)
        report = build_report(facts, c.spec.workload.slo)
        self.store.save_report(c.run_id, index, report, c.clock.wall_ns())
        if index != WHOLE_RUN:
            self.next_window = index + 1
            self.window_start = snapshot(c)
            self.last_window_verdict = report["verdict"]["level"]
            c.store.add_event(c.run_id, "report", c.clock.wall_ns(), window=index, verdict=report["verdict"]["level"])
        return report

    # -- detectors -----------------------------------------------------------------------------------
    def _due(self, name: str, every_s: float, now_s: float) -> bool:
        last = self.last_eval.get(name)
        if last is not None and now_s - last < every_s:
            return False
        self.last_eval[name] = now_s
        return True

    def _sustained(self, kind: str, subject: str, firing: bool, now_s: float, sustain: int) -> bool:
        key = f"{kind}|{subject}"
        state = Sustained.from_json(self.states.get(key)).step(firing, now_s, sustain)
        self.states[key] = state.to_json()
        return state.since_s is not None

    def evaluate(self, now_ns: int) -> None:
        """The detectors that are due, on the samples in the store (fault windows known:
        the run's faults are read once, and only when a detector is due)."""
        c = self.c
        a = c.spec.workload.analysis
        now_s = (now_ns - c.started_ns) / 1e9
        shifts = ((a.latency, LATENCY_REGRESSION, "ack_latency.p99_us", "ack p99", "up"),
                  (a.latency, LATENCY_REGRESSION, "e2e_latency.p99_us", "e2e p99", "up"),
                  (a.throughput, THROUGHPUT_REGRESSION, "acked_per_s", "acked throughput", "down"))
        memory = a.memory.enabled and self._due("memory", a.memory.eval_every_s, now_s)
        lag = a.lag.enabled and self._due("lag", a.lag.eval_every_s, now_s)
        due = [x for x in shifts if x[0].enabled and self._due(f"{x[1]}|{x[3]}", x[0].eval_every_s, now_s)]
        if not (memory or lag or due):
            return
        faults = c.faults.faults.of_run(c.run_id)
        findings: list[Finding] = []
        if memory:
            findings += self._memory(a.memory, now_ns, faults)
        if lag:
            findings += self._lag(a.lag.settings(), now_ns, faults)
        for spec, kind, series, subject, direction in due:
            findings.append(self._shift(spec.settings(direction), kind, series, subject, now_ns, faults))
        self.record(findings, now_ns)

    def _memory(self, spec, now_ns: int, faults: list[dict]) -> list[Finding]:
        c = self.c
        s = spec.settings()
        run_start = c.started_ns
        since = {aid: r["started_ns"] for aid, r in c.store.open_incarnations(c.run_id).items()}
        broker_heals = [f["healed_ns"] for f in faults if f["kind"].startswith("broker_") and f.get("healed_ns")]
        since[BROKER] = max(broker_heals, default=run_start)  # the broker restarted: a new process
        since["controller"] = max(self._own_start_ns, run_start)
        step_ns = int(s.floor_s * 1e9)
        groups: dict[str, list[tuple[float, float]]] = {}
        for p in c.samples.query("rss_bytes", run_start, now_ns, s.floor_s):
            end_ns = p.ts_ns + step_ns
            if end_ns <= now_ns and p.ts_ns >= since.get(p.agent_id, run_start) and spec.judges(p.agent_id):
                groups.setdefault(p.agent_id, []).append(((end_ns - run_start) / 1e9, p.min / MB))
        out = []
        for subject, floor_points in groups.items():
            start_s = (since.get(subject, run_start) - run_start) / 1e9
            check = leak.evaluate(floor_points, s, start_s)
            now_s = (now_ns - run_start) / 1e9
            firing = self._sustained(LEAK, subject, check.firing, now_s, s.sustain)
            summary = (f"{subject} memory floors rise {check.slope_per_h or 0:.2f} MB/h "
                       f"(lower bound {check.slope_low_per_h or 0:.2f}, p={check.p or 1:.1g})")
            if check.hours_to_limit is not None:
                summary += f", at the limit in {check.hours_to_limit:.1f} h"
            out.append(Finding(LEAK, subject, firing, summary, check.evidence()))
        return out

    def _lag(self, s: leak.LeakSettings, now_ns: int, faults: list[dict]) -> list[Finding]:
        c = self.c
        run_start = c.started_ns
        spans = [(a, b) for a, b, _ in fault_windows(faults, run_start, now_ns)]
        points = []
        for p in c.samples.query("lag_records", run_start, now_ns, s.floor_s, agent_id=RUN):
            begin, end = (p.ts_ns - run_start) / 1e9, (p.ts_ns - run_start) / 1e9 + s.floor_s
            if p.ts_ns + s.floor_s * 1e9 <= now_ns and not any(a < end and begin < b for a, b in spans):
                points.append((end, p.min))
        check = leak.evaluate(points, s, 0.0)
        firing = self._sustained(LAG_GROWTH, "consumer lag", check.firing, (now_ns - run_start) / 1e9, s.sustain)
        return [Finding(LAG_GROWTH, "consumer lag", firing,
                        f"consumer lag floors rise {check.slope_per_h or 0:.0f} records/h (p={check.p or 1:.1g})",
                        check.evidence())]

    def _shift(self, s: regression.RegressionSettings, kind: str, series: str, subject: str, now_ns: int,
               faults: list[dict]) -> Finding:
        c = self.c
        run_start = c.started_ns
        spans = [(a, b) for a, b, _ in fault_windows(faults, run_start, now_ns)]
        raw = [((p.ts_ns - run_start) / 1e9, p.avg)
               for p in c.samples.query(series, run_start, now_ns, c.spec.sample_interval_s, agent_id=RUN)]
        now_s = (now_ns - run_start) / 1e9
        bucket_medians = medians(outside(raw, spans), s.bucket_s, 0.0, complete_until_s=now_s)
        check = regression.evaluate(bucket_medians, s, 0.0)
        firing = self._sustained(kind, subject, check.firing, now_s, s.sustain)
        summary = (f"{subject} moved {check.effect or 0:+.0%} from its baseline median "
                   f"{check.baseline_median or 0:.4g} to {check.trailing_median or 0:.4g} (p={check.p or 1:.1g})")
        return Finding(kind, subject, firing, summary, check.evidence())

    # -- alerts --------------------------------------------------------------------------------------
    def record(self, findings: list[Finding], now_ns: int) -> None:
        changed = apply(self.alerts, findings, now_ns)
        for alert in changed:
            new = alert.id is None
            stored = self.store.save_alert(self.c.run_id, alert)
            if new:
                self.opened[stored.kind] += 1
            if new and stored.kind != FAULT_NOT_RECOVERED:  # the fault manager records that one itself
                self.c.store.add_event(self.c.run_id, "alert", now_ns, alert=stored.kind, subject=stored.subject,
                                       summary=stored.summary)
                log.warning("alert %s on %s: %s", stored.kind, stored.subject, stored.summary)
            if stored.active:
                self.alerts[stored.key] = stored
            else:
                self.alerts.pop(stored.key, None)
        if changed:
            self._push(changed)

    def _push(self, alerts: list[Alert]) -> None:
        if self.push is not None:
            self._pushed_at = self.c.clock.monotonic()
            self.push.push([a.to_json() for a in alerts], self.c.run_id, self.c.spec.workload.name)

    def _resend(self, now_ns: int) -> None:
        """Alertmanager forgets an alert that is not sent again: the active ones, every minute."""
        if self.push is not None and self.alerts and \
                self.c.clock.monotonic() - self._pushed_at >= self.push.resend_every_s:
            self._push(list(self.alerts.values()))

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Alerts opened during the run, and active now, by kind (for the metrics)."""
        return dict(self.opened), dict(Counter(a.kind for a in self.alerts.values()))

    def verdict_lines(self) -> tuple[str, ...]:
        """What the detectors found during the run, for its verdict (faults are judged apart)."""
        return tuple(f"{a.kind} on {a.subject}: {a.summary}" for a in self.store.alerts(self.c.run_id)
                     if a.kind != FAULT_NOT_RECOVERED)

    # -- the end ---------------------------------------------------------------------------------------
    def finish(self, verdict, check: dict | None) -> None:
        """After the verdict: the last window, the whole-run report, the cross-run comparison,
        and every alert still open resolved (the run is over)."""
        c = self.c
        now_ns = c.clock.wall_ns()
        if c.started_ns is None:
            return
        interval_ns = int(c.spec.report_interval_s * 1e9)
        start = c.started_ns + self.next_window * interval_ns
        if now_ns > start:
            self._report(self.next_window, start, min(now_ns, start + interval_ns))
        self._cross_run(now_ns, verdict.level)
        self.record([Finding(a.kind, a.subject, False) for a in self.alerts.values()], now_ns)
        lost = int(check.get("missing", 0)) if check else None
        self._report(WHOLE_RUN, c.started_ns, now_ns, (verdict.level, list(verdict.reasons)), lost)

    def steady_summary(self) -> dict:
        c = self.c
        rates = [p.avg for p in c.samples.query("acked_per_s", c.started_ns, None, c.spec.sample_interval_s,
                                                agent_id=RUN)]
        warm = int(c.spec.workload.slo.warm_up_s / c.spec.sample_interval_s)
        out = {"acked_per_s": median(rates[warm:] or rates) if rates else None}
        for name, key in (("ack_latency", "p99_ack_ms"), ("e2e_latency", "p99_e2e_ms")):
            calm = c.calm.get(name)
            out[key] = calm.percentile(99) / 1000 if calm is not None and calm.total else None
        return out

    def _cross_run(self, now_ns: int, level: str) -> None:
        c = self.c
        a = c.spec.workload.analysis
        summary = self.steady_summary()
        self.store.save_baseline(c.run_id, c.spec.workload.name, now_ns, {**summary, "verdict": level})
        history = self.store.baselines(c.spec.workload.name, a.cross_run_window)
        findings = []
        for key, worse in CROSS_RUN:
            values = [s.get(key) for _, s in history]
            if any(v is None for v in values) or len(values) < 6:
                continue
            points = change_points(values, max_p=a.cross_run_max_p, window=a.cross_run_window)
            last = points[-1] if points else None
            # A change among the newest runs (the method needs 3 runs after it to see it).
            recent = last is not None and last.index >= len(values) - 5
            bad = recent and ((last.change > 0) if worse == "up" else (last.change < 0))
            findings.append(Finding(
                CROSS_RUN_REGRESSION, key, bad,
                f"{key} moved {last.change:+.0%} since run {history[last.index][0]} "
                f"({last.mean_before:.4g} -> {last.mean_after:.4g}, p={last.p:.1g})" if bad else "",
                {"since_run": history[last.index][0], "p": last.p, "mean_before": last.mean_before,
                 "mean_after": last.mean_after} if bad else {}))
        self.record(findings, now_ns)
