"""The control loop of one run.

Each tick: reconcile the fleet, sample agents, nodes and Kafka lag, advance the end
phase when it is time, flush samples and the checkpoint to the store, publish metrics.
Every step catches, logs and counts its own errors: the loop never dies of one step
(house rule 3). Everything it needs to carry on is in the store, so a new controller
(restarted by Ray, or by `soak resume`) picks the run up where this one left it.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from pathlib import Path

import psutil

from agents.clock import Clock
from agents.core.histogram import LatencyHistogram, interval
from agents.kafka.clients import ensure_topic
from controller.control.analysis_step import AnalysisStep
from controller.control.end_phase import EndPhase
from controller.control.progress import Peaks, Window, advance, freshness
from controller.control.table_work import create_table, probe_external
from controller.faults.base import FaultContext
from controller.faults.manager import FaultManager
from controller.faults.recovery import Observation as FaultObservation
from controller.fleet.backoff import RestartBackoff
from controller.fleet.incarnations import Current, Ended, IncarnationTracker, Started
from controller.fleet.placement import place
from controller.fleet.reconcile import Create, Observation, Restart, Retire, Status, plan
from controller.fleet.slots import CONSUMER, NODE, PRODUCER, AgentSlot, kind_of, node_slots, of_kind, workload_slots
from controller.metrics.exporter import ANOMALIES, EXPORTED_TOTALS, MetricsExporter, MetricsView
from controller.runs.spec import RunSpec
from controller.runs.states import RunState
from controller.sampling.flatten import counters, gauges, process_series
from controller.sampling.lag import KafkaLag
from controller.sampling.lag_poller import LagPoller
from controller.sampling.totals import RunTotals
from controller.store.faults import FaultStore
from controller.store.runs import RunStore
from controller.store.samples import RUN, SampleBuffer, SampleFiles

log = logging.getLogger(__name__)
PREPARE_TIMEOUT_S = 300.0  # a run that cannot create its topic and table this long fails


class Controller:
    def __init__(self, spec: RunSpec, store: RunStore, fleet, clock: Clock, nodes,
                 exporter: MetricsExporter | None = None, fault_context=None, annotations=None):
        self.spec, self.store, self.fleet, self.clock, self.nodes = spec, store, fleet, clock, nodes
        self.run_id = spec.run_id
        self.exporter = exporter
        self.samples = SampleFiles(Path(spec.samples_dir), spec.run_id)
        self.buffer = SampleBuffer()
        self.lag_source = KafkaLag(spec.bootstrap, spec.group_id, spec.topic)
        self.lag_poller = LagPoller(self.lag_source.lag, spec.sample_interval_s, clock.wall_ns)
        self.backoff = RestartBackoff(spec.restart_backoff_s, spec.restart_backoff_max_s)
        self.step_errors: Counter[str] = Counter()
        self._last_error: dict[str, str] = {}
        self.state = RunState.PENDING
        self.observed: dict[str, Observation] = {}
        self.latest_stats: dict[str, dict] = {}
        self.processes: dict[str, dict] = {}
        self.lag: dict[int, int] = {}
        self.lag_wall_ns = 0
        self.window = Window()
        self.rates: dict[str, float] = {}
        self.latencies: dict[str, dict] = {}
        self.ledgers: dict[tuple[str, int], dict] = {}
        self._to_register: dict[str, tuple[str, int]] = {}
        self._own = psutil.Process()
        self.tick_seconds = 0.0
        self._next_flush = clock.monotonic() + spec.flush_interval_s
        self._resume()
        self.end = EndPhase(self)
        agents = lambda: dict(self.tracker.current)  # noqa: E731 - the running agents, read when a fault starts
        ctx = fault_context(fleet, agents) if fault_context else FaultContext(
            spec.run_id, spec.faults_env, random.Random(0), fleet, agents, nodes=lambda: [])
        notify = None
        if annotations is not None:  # fault start and heal on the Grafana dashboards
            from controller.dashboards.annotations import fault_annotation

            def notify(fault: dict, event: str) -> None:
                annotations.post(fault_annotation(fault, spec.run_id, spec.workload.name, event))
        self.faults = FaultManager(spec.run_id, spec.workload.faults, FaultStore(store.db), store, ctx, clock,
                                   notify=notify)
        self.analysis = AnalysisStep(self, self._analysis_checkpoint)
        self._faults_resumed = False
        self.faults_busy = True

    # -- resume: everything from the store -------------------------------------------------------
    def _resume(self) -> None:
        checkpoint = self.store.checkpoint(self.run_id)
        self.totals = RunTotals.from_json(checkpoint.get("totals", {}))
        self.peaks = Peaks.from_json(checkpoint.get("peaks", {}))
        self.restarts: Counter[str] = Counter(checkpoint.get("restarts", {}))
        history = self.store.incarnations(self.run_id)
        self.had_incarnation = {r["agent_id"] for r in history}
        self.ever_started = self.had_incarnation | set(checkpoint.get("ever_started", []))
        self.known_nodes: set[str] = set(checkpoint.get("nodes", []))
        known = {aid: Current(r["incarnation"], r["node"], r["pid"])
                 for aid, r in self.store.open_incarnations(self.run_id).items()}
        self.tracker = IncarnationTracker(known)
        self.baseline: dict | None = checkpoint.get("baseline")  # histograms at the end of the warm-up
        # Latencies of the intervals with no fault in place or being recovered from: what
        # the SLOs judge (a deliberate fault is no breach of them; its recovery is measured).
        self.calm = {name: LatencyHistogram.from_json(raw) for name, raw in checkpoint.get("calm", {}).items()}
        self._analysis_checkpoint = checkpoint.get("analysis", {})
        run = self.store.get(self.run_id)
        self.state, self.started_ns = run.state, run.started_ns

    # -- the loop ---------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> RunState:
        while not stop.is_set():
            started = self.clock.monotonic()
            state = self.tick()
            self.tick_seconds = self.clock.monotonic() - started
            if state.terminal:
                break
            stop.wait(max(0.0, self.spec.sample_interval_s - self.tick_seconds))
        self._guard("flush", self.flush)
        self._guard("close", self.lag_poller.stop)
        self._guard("close", self.lag_source.close)
        return self.state

    def tick(self) -> RunState:
        run = self._guard("store", lambda: self.store.get(self.run_id))
        if run is None:
            return self.state
        self.state, self.started_ns = run.state, run.started_ns
        if self.state.terminal:
            return self.state
        if self.state == RunState.PENDING:
            if run.stop_requested_ns is not None:
                self._guard("state", lambda: self._set_state(RunState.STOPPED, reason="asked to stop before start",
                                                              verdict="FAIL", reasons=["stopped before it started"]))
                return self.state
            self._guard("prepare", self._prepare)
            if self.state == RunState.PENDING and (self.clock.wall_ns() - run.created_ns) / 1e9 > PREPARE_TIMEOUT_S:
                why = self._last_error.get("prepare", "unknown error")
                self._guard("state", lambda: self._set_state(
                    RunState.FAILED, reason=why, verdict="FAIL",
                    reasons=[f"could not prepare the topic and table for {PREPARE_TIMEOUT_S:.0f} s: {why}"]))
                return self.state
        elif self.state == RunState.RUNNING and (self.elapsed_s(run) >= self.spec.duration_s
                                                 or run.stop_requested_ns is not None):
            why = "asked to stop" if run.stop_requested_ns is not None else "duration reached"
            self._guard("state", lambda: self._set_state(RunState.DRAINING, reason=why))
        if self.state in (RunState.RUNNING, RunState.DRAINING):
            self._guard("reconcile", self.reconcile)
            self._guard("register", self._register_with_node_agents)
            # A fault in place or being recovered from: its ticks are not what SLOs judge
            # (read once a tick; unknown counts as busy).
            self.faults_busy = self._guard("faults", self.faults.busy_count) != 0
            self._guard("sample", self.sample)
            self._guard("lag", self.sample_lag)
            self._guard("faults", lambda: self.fault_step(run))
            self._guard("analysis", self.analysis.tick)
        if self.state == RunState.DRAINING:
            self._guard("end", lambda: self.end.step(run))
        if self.clock.monotonic() >= self._next_flush or self.buffer.full:
            self._guard("flush", self.flush)
        self._guard("progress", lambda: self.publish(run))
        return self.state

    def _guard(self, step: str, fn):
        try:
            return fn()
        except Exception as exc:  # the loop never dies of one step: count, log, go on
            self.step_errors[step] += 1
            message = f"{type(exc).__name__}: {exc}"
            if self._last_error.get(step) != message:  # the same failure every tick is logged once
                log.warning("control step %s failed: %s", step, message, exc_info=True)
                self._last_error[step] = message
            return None

    def elapsed_s(self, run) -> float:
        return 0.0 if run.started_ns is None else (self.clock.wall_ns() - run.started_ns) / 1e9

    def _set_state(self, target: RunState, **kw) -> None:
        reason = kw.pop("reason", None)
        self.state = self.store.set_state(self.run_id, target, self.clock.wall_ns(), **kw).state
        if reason:
            self.store.add_event(self.run_id, "state_reason", self.clock.wall_ns(), state=target.value, reason=reason)

    def _prepare(self) -> None:
        w = self.spec.workload
        ensure_topic(self.spec.bootstrap, self.spec.topic, w.topic.partitions, w.topic.replication_factor)
        external = self.spec.external_table
        if external is not None:
            probe_external(external)  # their table loads and has the mapped columns
        else:
            create_table(self.spec.table_ref)  # in a child process: pyiceberg stays out of this one
        self._set_state(RunState.RUNNING)

    # -- fleet -------------------------------------------------------------------------------------
    def desired(self, nodes: list[str]) -> list[AgentSlot]:
        slots = workload_slots(self.spec.workload)
        if self.end.producers_stopped or not self._consumers_ready(slots):
            # Load starts once every verifier runs (as a pipeline's readers would be up
            # first), and never again once the end phase stopped it.
            slots = [s for s in slots if s.kind != PRODUCER]
        return slots + node_slots(nodes)

    def _consumers_ready(self, slots: list[AgentSlot]) -> bool:
        if any(s.kind == PRODUCER and s.agent_id in self.ever_started for s in slots):
            return True  # started once: a restarting verifier later does not hold producers back
        consumers = [s.agent_id for s in slots if s.kind == CONSUMER]
        return all(self.observed.get(aid, Observation(Status.DEAD)).status == Status.HEALTHY for aid in consumers)

    def reconcile(self) -> None:
        nodes = self.nodes()
        self._note_node_changes(nodes)
        desired = self.desired(nodes)
        ids = sorted({s.agent_id for s in desired} | set(self.tracker.current) | set(self.fleet.handles))
        self.observed = self.fleet.observe(ids)
        now_ns = self.clock.wall_ns()
        for aid, obs in self.observed.items():
            self._record(aid, self.tracker.observe(aid, obs), now_ns)
        actions = plan(desired, self.observed, self.backoff, self.clock.monotonic(), self.ever_started)
        new = [a.slot for a in actions if isinstance(a, Create)]
        running: dict[str, list[str]] = {}
        for aid, obs in self.observed.items():
            if obs.node_id and obs.status != Status.DEAD:
                running.setdefault(obs.node_id, []).append(kind_of(aid))
        placement = place(new, nodes, running)
        for action in actions:
            self._act(action, placement, now_ns)

    def _note_node_changes(self, nodes: list[str]) -> None:
        now = set(nodes)
        now_ns = self.clock.wall_ns()
        for lost in sorted(self.known_nodes - now):
            self.store.add_event(self.run_id, "node_lost", now_ns, node=lost)
        for joined in sorted(now - self.known_nodes):
            self.store.add_event(self.run_id, "node_joined", now_ns, node=joined)
        self.known_nodes = now

    def _act(self, action, placement: dict[str, str], now_ns: int) -> None:
        if isinstance(action, Create):
            aid = action.slot.agent_id
            node = action.slot.node_id or placement.get(aid)
            self.fleet.create(action.slot, node)
            if action.restart:
                self.backoff.restarted(aid, self.clock.monotonic())
            self.ever_started.add(aid)
            self.store.add_event(self.run_id, "agent_created", now_ns, agent_id=aid, node=node,
                                 restart=action.restart)
        elif isinstance(action, Restart):
            aid = action.slot.agent_id
            self.backoff.restarted(aid, self.clock.monotonic())
            self.fleet.restart(aid)
            self.store.add_event(self.run_id, "agent_restart", now_ns, agent_id=aid, reason=action.reason[:500])
        elif isinstance(action, Retire):
            self.fleet.retire(action.agent_id)
            reason = "run ended" if self.end.producers_stopped else "retired: no longer wanted"
            self._record(action.agent_id, self.tracker.retire(action.agent_id, reason), now_ns)
            self.store.add_event(self.run_id, "agent_retired", now_ns, agent_id=action.agent_id)

    def _record(self, agent_id: str, changes, now_ns: int) -> None:
        kind = kind_of(agent_id)
        for change in changes:
            if isinstance(change, Started):
                if agent_id in self.had_incarnation:
                    self.restarts[agent_id] += 1  # a new incarnation of an agent that ran before
                self.had_incarnation.add(agent_id)
                self.store.record_incarnation(self.run_id, agent_id, kind, change.incarnation, now_ns,
                                              node=change.node_id, pid=change.pid)
                if kind != NODE and change.node_id and change.pid:
                    self._to_register[agent_id] = (change.node_id, change.pid)
            elif isinstance(change, Ended):
                self.store.end_incarnation(self.run_id, agent_id, change.incarnation, now_ns, change.reason)

    def _register_with_node_agents(self) -> None:
        """Each agent's process is watched by the node agent of its node (retried until done)."""
        for aid, (node_id, pid) in list(self._to_register.items()):
            node_agent = self.fleet.handle(AgentSlot(NODE, 0, node_id).agent_id)
            if node_agent is None:
                continue
            result = self.fleet.call({aid: node_agent}, "register", aid, pid)[aid]
            if not isinstance(result, Exception):
                del self._to_register[aid]

    # -- sampling ----------------------------------------------------------------------------------
    def live_handles(self) -> dict[str, object]:
        return {aid: h for aid, h in self.fleet.handles.items()
                if self.observed.get(aid, Observation(Status.HEALTHY)).status in (Status.HEALTHY, Status.DONE,
                                                                                   Status.FAILED)}

    def sample(self) -> None:
        handles = self.live_handles()
        results = self.fleet.call(handles, "stats")
        now_ns = self.clock.wall_ns()
        add = self.buffer.add
        for aid, stats in results.items():
            if not isinstance(stats, dict):
                continue
            self.totals.update(aid, stats)
            self.latest_stats[aid] = stats
            for name, value in {**counters(stats), **gauges(stats)}.items():
                add(now_ns, name, aid, value)
        self._sample_nodes(of_kind(handles, NODE))
        producers = of_kind(handles, PRODUCER)
        if producers and not self.end.producers_stopped:
            self.keep_ledgers(self.fleet.call(producers, "ack_ledger"))
        previous = self.window
        self.rates, self.latencies, self.window = advance(self.totals, self.window, now_ns)
        calm = self._judged(now_ns) and not self.faults_busy
        if calm and previous.wall_ns is not None:
            for name, merged in self.window.histograms.items():
                if name in previous.histograms:
                    self.calm.setdefault(name, LatencyHistogram()).merge(interval(merged, previous.histograms[name]))
        for name, value in self.rates.items():
            add(now_ns, name, RUN, value)
        for name, summary in self.latencies.items():
            if summary["count"]:
                for q in ("p50_us", "p99_us", "max_us"):
                    add(now_ns, f"{name}.{q}", RUN, summary[q])
        fresh = freshness(self.latest_stats)
        if fresh is not None:
            add(now_ns, "freshness_s", RUN, fresh)
        if self._judged(now_ns):
            if calm:
                self.peaks.update(None, fresh)
            if self.baseline is None:  # SLOs judge what comes after the warm-up
                self.baseline = {name: self.totals.merged(name).to_json() for name in self.totals.histogram_names()}
        with self._own.oneshot():  # the controller's own footprint, as for any agent
            cpu = self._own.cpu_times()
            add(now_ns, "rss_bytes", "controller", self._own.memory_info().rss)
            add(now_ns, "cpu_seconds", "controller", cpu.user + cpu.system)

    def _sample_nodes(self, node_agents: dict[str, object]) -> None:
        seen: set[tuple[str, int]] = set()
        for aid, samples in self.fleet.call(node_agents, "collect").items():
            if not isinstance(samples, list):
                continue
            for sample in samples:
                key = (sample["name"], sample["pid"])
                if key in seen:
                    continue  # a target process seen by several node agents of one machine
                seen.add(key)
                series = process_series(sample)
                for name, value in series.items():
                    self.buffer.add(sample["wall_ns"], name, sample["name"], value)
                # USS comes less often than RSS: the last one measured stays until the next.
                self.processes[sample["name"]] = {**self.processes.get(sample["name"], {}), **series}

    def keep_ledgers(self, results: dict) -> None:
        for ledger in results.values():
            if isinstance(ledger, dict):
                self.ledgers[(ledger["producer_id"], int(ledger["incarnation"]))] = ledger

    def sample_lag(self) -> None:
        self.lag_poller.start()  # idempotent: reads from the first tick that samples on
        reading = self.lag_poller.take()
        if reading is None:
            return
        self.lag, self.lag_wall_ns = reading
        total = sum(self.lag.values())
        for p, value in self.lag.items():
            self.buffer.add(self.lag_wall_ns, "lag_records", f"partition-{p}", value)
        self.buffer.add(self.lag_wall_ns, "lag_records", RUN, total)
        if self._judged(self.lag_wall_ns) and not self.faults_busy:
            self.peaks.update(total, None)

    def _judged(self, now_ns: int) -> bool:
        """Past the warm-up and before the end phase: the span SLOs are judged on."""
        run_started = self.started_ns
        return (self.state == RunState.RUNNING and run_started is not None
                and (now_ns - run_started) / 1e9 >= self.spec.workload.slo.warm_up_s)

    # -- faults --------------------------------------------------------------------------------------
    def fault_step(self, run) -> None:
        if not self._faults_resumed:  # what a previous controller left in place is healed first
            self.faults.resume()
            self._faults_resumed = True
        anomalies = self.totals.anomalies()
        if not self.end.producers_stopped:
            ack = self.latencies.get("ack_latency", {})
            p99 = ack.get("p99_us") / 1000 if ack.get("count") else None
            self.faults.observe(FaultObservation(self.clock.wall_ns() / 1e9, self.rates.get("acked_per_s", 0.0),
                                                 sum(self.lag.values()), p99), anomalies)
        # Faults start once load flows: a fault before it would have no baseline to recover to.
        may_start = (self.state == RunState.RUNNING and run.stop_requested_ns is None
                     and self.rates.get("acked_per_s", 0.0) > 0)
        self.faults.step(self.elapsed_s(run), may_start, anomalies)

    # -- durability ----------------------------------------------------------------------------------
    def flush(self) -> None:
        now_ns = self.clock.wall_ns()
        if len(self.buffer):
            self.samples.write(self.buffer.drain(), now_ns)
        if self.ledgers:
            self.store.save_ack_ledgers(self.run_id, list(self.ledgers.values()), now_ns)
            current = {(aid, c.incarnation) for aid, c in self.tracker.current.items()}
            self.ledgers = {k: v for k, v in self.ledgers.items() if k in current}  # bounded
        self.store.save_progress(self.run_id, self.progress(), now_ns, checkpoint=self.checkpoint())
        self.samples.compact(before_ns=now_ns)
        self._next_flush = self.clock.monotonic() + self.spec.flush_interval_s

    def checkpoint(self) -> dict:
        return {"totals": self.totals.to_json(), "peaks": self.peaks.to_json(), "restarts": dict(self.restarts),
                "ever_started": sorted(self.ever_started), "baseline": self.baseline,
                "nodes": sorted(self.known_nodes),
                "calm": {name: h.to_json() for name, h in self.calm.items()}, "analysis": self.analysis.to_json()}

    # -- what people see -------------------------------------------------------------------------------
    def progress(self, run=None) -> dict:
        run = run or self.store.get(self.run_id)
        by_kind: Counter[str] = Counter()
        up: Counter[str] = Counter()
        for aid, obs in self.observed.items():
            kind = kind_of(aid)
            by_kind[kind] += 1
            up[kind] += obs.status in (Status.HEALTHY, Status.DONE)
        agent_rss = [p["rss_bytes"] for name, p in self.processes.items() if name in self.ever_started
                     and "rss_bytes" in p]
        t = self.totals
        faults = self.faults.summary()
        opened, active = self.analysis.counts()
        return {
            "state": self.state.value, "elapsed_s": self.elapsed_s(run), "duration_s": self.spec.duration_s,
            "rates": self.rates, "latency_us": {k: v for k, v in self.latencies.items() if v["count"]},
            "totals": {"sent": t.total("sent"), "acked": t.total("acked"), "failed": t.total("failed"),
                       "consumed": t.total("consumed"), "ingested": t.total("committed_records")},
            "anomalies": t.anomalies(),
            "lag": sum(self.lag.values()), "peaks": self.peaks.to_json(),
            "freshness_s": freshness(self.latest_stats),
            "memory": {"agents_rss_bytes": sum(agent_rss), "max_agent_rss_bytes": max(agent_rss, default=0),
                       "targets_rss_bytes": {n: p.get("rss_bytes") for n, p in self.processes.items()
                                             if n not in self.ever_started},
                       "controller_rss_bytes": self._own.memory_info().rss,
                       # per agent, for the API's agents view (bounded by the fleet's size)
                       "agents_by_name": {n: p["rss_bytes"] for n, p in self.processes.items()
                                          if n in self.ever_started and "rss_bytes" in p}},
            "agents": {"up": dict(up), "known": dict(by_kind), "restarts": sum(self.restarts.values())},
            "agent_status": {aid: obs.status.value for aid, obs in sorted(self.observed.items())},
            "faults": faults, "alerts": sum(opened.values()), "alerts_active": active, "alerts_opened": opened,
            "step_errors": dict(self.step_errors), "end_phase": self.end.describe(),
            "last_errors": {step: message[:300] for step, message in self._last_error.items()},
            "metrics_port": self.exporter.port if self.exporter else None,
        }

    def publish(self, run) -> None:
        progress = self.progress(run)
        faults = progress["faults"]
        self.store.save_progress(self.run_id, progress, self.clock.wall_ns())
        if self.exporter is None:
            return
        agents = {}
        for aid, obs in self.observed.items():
            agents[aid] = {"kind": kind_of(aid), "index": aid.rsplit("-", 1)[1], "up": obs.status == Status.HEALTHY,
                           "restarts": self.restarts.get(aid, 0)}
        t = self.totals
        self.exporter.update(MetricsView(
            workload=self.spec.workload.name, run_id=self.run_id, state=self.state.value, elapsed_s=progress["elapsed_s"],
            duration_s=self.spec.duration_s, totals={key: t.total(key) for key, _, _ in EXPORTED_TOTALS},
            anomalies=t.anomalies(ANOMALIES),
            candidate_losses=sum(s.get("candidate_losses", {}).get("records", 0) for s in self.latest_stats.values()
                                 if s.get("kind") == "consumer"),
            histograms={name: t.merged(name) for name in t.histogram_names()}, lag=dict(self.lag),
            freshness_s=progress["freshness_s"], processes=dict(self.processes), agents=agents,
            step_errors=dict(self.step_errors), tick_seconds=self.tick_seconds,
            faults_injected={k: v["injected"] for k, v in faults["by_kind"].items()}, faults_active=faults["active"],
            fault_recovery_s={k: v["last_recovery_s"] for k, v in faults["by_kind"].items()
                              if v["last_recovery_s"] is not None},
            alerts_total=progress["alerts_opened"], alerts_active=progress["alerts_active"],
            last_window_verdict=self.analysis.last_window_verdict))
