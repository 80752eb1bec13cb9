"""The controller's Prometheus exporter (`/metrics`).

Names follow house rule 5: `soak_` prefix, base units, counters end in `_total`, labels
only from bounded sets (agent kind, agent index, process name, query name, partition,
fault kind, workload). The control loop hands over a `MetricsView` each tick; scrapes
read the latest one, so a scrape never waits on the loop.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from agents.core.histogram import LatencyHistogram, cumulative_buckets
from controller.analysis.alerts import KINDS as ALERT_KINDS
from workloads.faults import PARAMS as FAULT_KINDS

log = logging.getLogger(__name__)

# Latency buckets in seconds: 1 ms .. 60 s (the HDR histograms hold the exact values).
BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
HISTOGRAM_HELP = {
    "ack_latency": ("soak_ack_latency_seconds", "Producer ack latency from the intended send time"),
    "e2e_latency": ("soak_e2e_latency_seconds", "Intended send time to consumed by a verifier"),
    "ingest_latency": ("soak_ingest_latency_seconds", "Intended send time to committed in the Iceberg table"),
    "commit_latency": ("soak_iceberg_commit_seconds", "Duration of one Iceberg commit"),
}
# Run totals exported as counters: (total name, metric, help); the control loop sends these totals.
EXPORTED_TOTALS = (
    ("sent", "soak_records_sent_total", "Records handed to the producer client"),
    ("acked", "soak_records_acked_total", "Records acknowledged by the broker (acks=all)"),
    ("failed", "soak_produce_failures_total", "Records whose delivery failed"),
    ("bytes_sent", "soak_sent_bytes_total", "Payload bytes produced"),
    ("consumed", "soak_records_consumed_total", "Records read by the consumer-verifiers"),
    ("committed_records", "soak_records_ingested_total", "Records committed to the Iceberg table"),
    ("iceberg_commits", "soak_iceberg_commits_total", "Iceberg commits by the verifiers"),
    ("fenced", "soak_verifier_fenced_total", "Verifier batches dropped because another owner moved on"),
    ("consumer_restarts", "soak_consumer_restarts_total", "Kafka consumers recreated after a fatal error"),
    ("client_replacements", "soak_producer_client_replacements_total",
     "Kafka producers recreated after they forgot every broker"),
    ("cycles", "soak_query_cycles_total", "Query agent cycles"),
    ("errors_total", "soak_query_errors_total", "Failed queries"),
    ("runs", "soak_maintenance_runs_total", "Table maintenance runs"),
)
ANOMALIES = ("duplicate", "reordered", "corrupt", "gap_records")
# The control loop's guarded steps (controller/control/loop.py): exported at zero too, so a
# dashboard's rate() over them has a series before the first failure.
CONTROL_STEPS = ("store", "state", "prepare", "reconcile", "register", "faults", "sample", "lag", "analysis", "end",
                 "flush", "progress", "close")


VERDICT_LEVELS = {"PASS": 0, "WARN": 1, "FAIL": 2}


@dataclass
class MetricsView:
    workload: str = ""
    run_id: str = ""
    state: str = "pending"
    elapsed_s: float = 0.0
    duration_s: float = 0.0
    totals: dict[str, float] = field(default_factory=dict)
    anomalies: dict[str, float] = field(default_factory=dict)
    candidate_losses: float = 0.0
    histograms: dict[str, LatencyHistogram] = field(default_factory=dict)
    lag: dict[int, int] = field(default_factory=dict)
    freshness_s: float | None = None
    processes: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> rss/cpu/...
    agents: dict[str, dict] = field(default_factory=dict)  # agent id -> kind, index, up, restarts
    step_errors: dict[str, int] = field(default_factory=dict)
    tick_seconds: float = 0.0
    faults_injected: dict[str, int] = field(default_factory=dict)
    faults_active: int = 0
    fault_recovery_s: dict[str, float] = field(default_factory=dict)  # kind -> the latest recovery time
    alerts_total: dict[str, int] = field(default_factory=dict)  # alert kind -> alerts opened in the run
    alerts_active: dict[str, int] = field(default_factory=dict)  # alert kind -> open now
    last_window_verdict: str | None = None  # PASS / WARN / FAIL of the newest closed report window


def families(view: MetricsView) -> list:
    w = view.workload
    out = []

    def gauge(name, help_, value, labels=None, label_values=None):
        g = GaugeMetricFamily(name, help_, labels=["workload"] + (labels or []))
        g.add_metric([w] + (label_values or []), value)
        out.append(g)

    # One series per controller: the run id is what dashboards pick a run by.
    info = GaugeMetricFamily("soak_run_info", "The run this controller runs (value 1)", labels=["workload", "run_id"])
    info.add_metric([w, view.run_id], 1.0)
    out.append(info)
    if view.last_window_verdict in VERDICT_LEVELS:
        gauge("soak_report_verdict_level", "Verdict of the newest closed report window: 0 PASS, 1 WARN, 2 FAIL",
              VERDICT_LEVELS[view.last_window_verdict])
    states = GaugeMetricFamily("soak_run_state", "1 for the run's current state", labels=["workload", "state"])
    for state in ("pending", "running", "draining", "finished", "stopped", "failed"):
        states.add_metric([w, state], 1.0 if state == view.state else 0.0)
    out.append(states)
    gauge("soak_run_elapsed_seconds", "Time since the run started", view.elapsed_s)
    gauge("soak_run_duration_seconds", "Planned duration of the run", view.duration_s)
    for key, name, help_ in EXPORTED_TOTALS:
        c = CounterMetricFamily(name, help_, labels=["workload"])
        c.add_metric([w], view.totals.get(key, 0.0))
        out.append(c)
    anomalies = CounterMetricFamily("soak_anomalies_total", "Verifier findings by kind",
                                    labels=["workload", "anomaly"])
    for kind in ANOMALIES:
        anomalies.add_metric([w, kind], view.anomalies.get(kind, 0.0))
    out.append(anomalies)
    gauge("soak_candidate_lost_records", "Sequence gaps not (yet) filled: losses if still open after the drain",
          view.candidate_losses)
    for key, hist in sorted(view.histograms.items()):
        if key.startswith("query_latency."):
            name, help_, labels = ("soak_query_latency_seconds", "DuckDB query latency over the Iceberg table",
                                   ["workload", "query"])
            label_values = [w, key.split(".", 1)[1]]
        elif key in HISTOGRAM_HELP:
            (name, help_), labels, label_values = HISTOGRAM_HELP[key], ["workload"], [w]
        else:
            continue
        out.append(_histogram(name, help_, labels, label_values, hist))
    lag = GaugeMetricFamily("soak_consumer_lag_records", "Records not yet in the table, per partition",
                            labels=["workload", "partition"])
    for p, value in sorted(view.lag.items()):
        lag.add_metric([w, str(p)], value)
    out.append(lag)
    gauge("soak_consumer_lag_total_records", "Records not yet in the table, all partitions", sum(view.lag.values()))
    if view.freshness_s is not None:
        gauge("soak_table_freshness_seconds", "Now minus the newest event time in the table", view.freshness_s)
    rss = GaugeMetricFamily("soak_process_resident_memory_bytes", "RSS of agents and watched processes",
                            labels=["workload", "process", "kind"])
    uss = GaugeMetricFamily("soak_process_unique_memory_bytes", "USS of agents and watched processes "
                            "(measured less often than RSS)", labels=["workload", "process", "kind"])
    cpu = CounterMetricFamily("soak_process_cpu_seconds_total", "CPU time of agents and watched processes",
                              labels=["workload", "process", "kind"])
    for proc, sample in sorted(view.processes.items()):
        kind = view.agents.get(proc, {}).get("kind", "target")
        if "rss_bytes" in sample:
            rss.add_metric([w, proc, kind], sample["rss_bytes"])
        if "uss_bytes" in sample:
            uss.add_metric([w, proc, kind], sample["uss_bytes"])
        if "cpu_seconds" in sample:
            cpu.add_metric([w, proc, kind], sample["cpu_seconds"])
    out += [rss, uss, cpu]
    up = GaugeMetricFamily("soak_agent_up", "1 when the agent answers and its work runs",
                           labels=["workload", "kind", "agent_index"])
    restarts = CounterMetricFamily("soak_agent_restarts_total", "Agent restarts (new incarnations)",
                                   labels=["workload", "kind", "agent_index"])
    for agent in sorted(view.agents.values(), key=lambda a: (a["kind"], str(a["index"]))):
        up.add_metric([w, agent["kind"], str(agent["index"])], 1.0 if agent["up"] else 0.0)
        restarts.add_metric([w, agent["kind"], str(agent["index"])], agent["restarts"])
    out += [up, restarts]
    errors = CounterMetricFamily("soak_controller_step_errors_total", "Control-loop step failures",
                                 labels=["workload", "step"])
    for step in sorted(set(CONTROL_STEPS) | set(view.step_errors)):
        errors.add_metric([w, step], view.step_errors.get(step, 0))
    out.append(errors)
    gauge("soak_controller_tick_seconds", "Duration of the last control-loop tick", view.tick_seconds)
    faults = CounterMetricFamily("soak_faults_injected_total", "Faults injected", labels=["workload", "fault_kind"])
    # Every kind of the catalog, zero included: the first injection of a kind is then a change
    # of its series (a dashboard's changes() / increase() over it), not a series born at 1.
    for kind in sorted(set(FAULT_KINDS) | set(view.faults_injected)):
        faults.add_metric([w, kind], view.faults_injected.get(kind, 0))
    out.append(faults)
    gauge("soak_faults_active", "Faults in place now", view.faults_active)
    recovery = GaugeMetricFamily("soak_fault_recovery_seconds", "Heal to recovery, the latest fault of each kind",
                                 labels=["workload", "fault_kind"])
    for kind, seconds in sorted(view.fault_recovery_s.items()):
        recovery.add_metric([w, kind], seconds)
    out.append(recovery)
    alerts = CounterMetricFamily("soak_alerts_total", "Alerts raised (leaks, regressions, faults not recovered)",
                                 labels=["workload", "kind"])
    active = GaugeMetricFamily("soak_alerts_active", "Alerts open now", labels=["workload", "kind"])
    for kind in ALERT_KINDS:  # every kind, zero included: a rate() over it needs the series to exist
        alerts.add_metric([w, kind], view.alerts_total.get(kind, 0))
        active.add_metric([w, kind], view.alerts_active.get(kind, 0))
    out += [alerts, active]
    return out


def _histogram(name, help_, labels, label_values, hist: LatencyHistogram) -> HistogramMetricFamily:
    counts = cumulative_buckets(hist, [int(b * 1e6) for b in BUCKETS_S])
    buckets = [(f"{b:g}", float(c)) for b, c in zip(BUCKETS_S, counts)] + [("+Inf", float(hist.total))]
    family = HistogramMetricFamily(name, help_, labels=labels)
    family.add_metric(label_values, buckets, sum_value=hist.sum_us / 1e6)
    return family


class MetricsExporter:
    """Serves the latest view; binds the configured port, or a free one if it is taken
    (two runs on one host), and says which."""

    def __init__(self) -> None:
        self._view = MetricsView()
        self._lock = threading.Lock()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)
        self.port: int | None = None
        self._server = None

    def collect(self):
        with self._lock:
            view = self._view
        return families(view)

    def update(self, view: MetricsView) -> None:
        with self._lock:
            self._view = view

    def serve(self, port: int, host: str = "0.0.0.0") -> int:
        try:
            self._server, _ = start_http_server(port, addr=host, registry=self.registry)
            self.port = port
        except OSError:
            log.warning("metrics port %d is in use; serving /metrics on a free port instead", port)
            self._server, _ = start_http_server(0, addr=host, registry=self.registry)
            self.port = self._server.server_address[1]
        return self.port

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
