"""The four dashboards: overview, memory and leaks, faults and recovery, queries."""

from __future__ import annotations

from controller.dashboards.model import RUN, Dashboard, Panel, Query


def _quantile(q: float, metric: str, by: str = "") -> str:
    return f"histogram_quantile({q}, sum by (le{', ' + by if by else ''}) (rate({metric}_bucket{{{RUN}}}[1m])))"


def _rate(metric: str) -> str:
    return f"sum(rate({metric}{{{RUN}}}[1m]))"


OVERVIEW = Dashboard(
    uid="soak-overview", title="Soak overview",
    description="A run's state, verdict per report window, throughput, latency, lag, integrity and alerts.",
    panels=(
        Panel("Run state", (Query(f"max by (state) (soak_run_state{{{RUN}}}) == 1", "{{state}}"),), kind="stat",
              width=6, height=4),
        Panel("Elapsed", (Query(f"max(soak_run_elapsed_seconds{{{RUN}}})", "elapsed"),), unit="s", kind="stat",
              width=6, height=4),
        Panel("Verdict of the last report window (0 PASS, 1 WARN, 2 FAIL)",
              (Query(f"max(soak_report_verdict_level{{{RUN}}})", "verdict"),), kind="stat", width=6, height=4),
        Panel("Active alerts", (Query(f"sum(soak_alerts_active{{{RUN}}})", "active"),), kind="stat", width=6,
              height=4),
        Panel("Throughput", (Query(_rate("soak_records_sent_total"), "sent"),
                             Query(_rate("soak_records_acked_total"), "acked"),
                             Query(_rate("soak_records_consumed_total"), "consumed"),
                             Query(_rate("soak_records_ingested_total"), "ingested")), unit="ops"),
        Panel("Consumer lag", (Query(f"sum(soak_consumer_lag_records{{{RUN}}})", "lag"),
                               Query(f"sum by (partition) (soak_consumer_lag_records{{{RUN}}})", "p{{partition}}")),
              unit="short"),
        Panel("Produce (ack) latency", (Query(_quantile(0.5, "soak_ack_latency_seconds"), "p50"),
                                        Query(_quantile(0.99, "soak_ack_latency_seconds"), "p99")), unit="s"),
        Panel("End-to-end and ingest latency", (Query(_quantile(0.5, "soak_e2e_latency_seconds"), "e2e p50"),
                                                Query(_quantile(0.99, "soak_e2e_latency_seconds"), "e2e p99"),
                                                Query(_quantile(0.99, "soak_ingest_latency_seconds"), "ingest p99")),
              unit="s"),
        Panel("Integrity", (Query(f"sum by (anomaly) (soak_anomalies_total{{{RUN}}})", "{{anomaly}}"),
                            Query(f"sum(soak_candidate_lost_records{{{RUN}}})", "candidate losses")),
              description="Duplicates, reorders, corrupt records and sequence gaps the verifiers found; any is a FAIL."),
        Panel("Alerts by kind", (Query(f"sum by (kind) (soak_alerts_active{{{RUN}}})", "{{kind}} active"),
                                 Query(f"sum by (kind) (soak_alerts_total{{{RUN}}})", "{{kind}} raised"))),
        Panel("Agents up", (Query(f"sum by (kind) (soak_agent_up{{{RUN}}})", "{{kind}}"),)),
        Panel("Controller", (Query(f"max(soak_controller_tick_seconds{{{RUN}}})", "tick seconds"),
                             Query(f"sum by (step) (soak_controller_step_errors_total{{{RUN}}})", "errors {{step}}"))),
    ))

MEMORY = Dashboard(
    uid="soak-memory", title="Soak memory and leaks",
    description="RSS and USS per agent and per watched process, their 5-minute floors (what the leak detector "
                "judges) and leak alerts.",
    panels=(
        Panel("RSS per agent", (Query(f'sum by (process) (soak_process_resident_memory_bytes{{{RUN}, kind!="target"}})',
                                      "{{process}}"),), unit="bytes"),
        Panel("RSS of watched processes (broker, your services)",
              (Query(f'sum by (process) (soak_process_resident_memory_bytes{{{RUN}, kind="target"}})', "{{process}}"),),
              unit="bytes"),
        Panel("USS per process", (Query(f"sum by (process) (soak_process_unique_memory_bytes{{{RUN}}})",
                                        "{{process}}"),), unit="bytes"),
        Panel("RSS floor per process (5-minute minimum)",
              (Query(f"min by (process) (min_over_time(soak_process_resident_memory_bytes{{{RUN}}}[5m]))",
                     "{{process}}"),), unit="bytes",
              description="Garbage collection and batching make RSS saw-tooth; a leak raises the floor."),
        Panel("CPU per process", (Query(f"sum by (process) (rate(soak_process_cpu_seconds_total{{{RUN}}}[1m]))",
                                        "{{process}}"),), unit="percentunit"),
        Panel("Leak alerts", (Query(f'sum(soak_alerts_active{{{RUN}, kind=~"memory_leak|lag_growth"}})', "active"),
                              Query(f'sum(soak_alerts_total{{{RUN}, kind=~"memory_leak|lag_growth"}})', "raised"))),
    ))

FAULTS = Dashboard(
    uid="soak-faults", title="Soak faults and recovery",
    description="Faults injected (annotated on every dashboard), faults in flight, recovery times, restarts.",
    panels=(
        Panel("Faults injected by kind", (Query(f"sum by (fault_kind) (soak_faults_injected_total{{{RUN}}})",
                                                "{{fault_kind}}"),)),
        Panel("Faults in flight", (Query(f"max(soak_faults_active{{{RUN}}})", "active"),)),
        Panel("Recovery time, latest fault of each kind",
              (Query(f"max by (fault_kind) (soak_fault_recovery_seconds{{{RUN}}})", "{{fault_kind}}"),), unit="s",
              description="From the heal until throughput and lag are back to the pre-fault baseline."),
        Panel("Agent restarts", (Query(f"sum by (kind) (soak_agent_restarts_total{{{RUN}}})", "{{kind}}"),)),
        Panel("Throughput through the faults", (Query(_rate("soak_records_acked_total"), "acked"),
                                                Query(_rate("soak_records_ingested_total"), "ingested")), unit="ops"),
        Panel("Lag through the faults", (Query(f"sum(soak_consumer_lag_records{{{RUN}}})", "lag"),)),
    ),
    prometheus_annotations=(("Faults (from the metrics)",
                             Query(f"sum by (fault_kind) (changes(soak_faults_injected_total{{{RUN}}}[1m])) > 0",
                                   "fault {{fault_kind}}")),))

QUERIES = Dashboard(
    uid="soak-queries", title="Soak queries",
    description="Latency of each named DuckDB query over the Iceberg table, and the table's freshness.",
    panels=(
        Panel("Query latency p50", (Query(_quantile(0.5, "soak_query_latency_seconds", "query"), "{{query}}"),),
              unit="s"),
        Panel("Query latency p99", (Query(_quantile(0.99, "soak_query_latency_seconds", "query"), "{{query}}"),),
              unit="s"),
        Panel("Table freshness", (Query(f"max(soak_table_freshness_seconds{{{RUN}}})", "freshness"),), unit="s",
              description="Now minus the newest event time the query agents see in the table."),
        Panel("Query cycles and errors", (Query(_rate("soak_query_cycles_total"), "cycles"),
                                          Query(_rate("soak_query_errors_total"), "errors")), unit="ops"),
        Panel("Iceberg commits", (Query(_rate("soak_iceberg_commits_total"), "commits"),
                                  Query(_quantile(0.99, "soak_iceberg_commit_seconds"), "commit p99 (s)")),
              unit="short"),
        Panel("Table maintenance runs", (Query(_rate("soak_maintenance_runs_total"), "runs"),), unit="ops"),
    ))

DASHBOARDS = (OVERVIEW, MEMORY, FAULTS, QUERIES)
