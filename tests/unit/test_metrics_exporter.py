"""The Prometheus exposition: names, units, labels from bounded sets, merged histograms."""

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client import generate_latest

from agents.core.histogram import LatencyHistogram
from controller.metrics.exporter import MetricsExporter, MetricsView


def scrape(view: MetricsView) -> dict:
    exporter = MetricsExporter()
    exporter.update(view)
    text = generate_latest(exporter.registry).decode()
    return {s.name + str(sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}, text


def test_names_units_and_labels():
    ack = LatencyHistogram()
    ack.record_many([800, 3_000, 40_000, 2_000_000])
    samples, text = scrape(MetricsView(
        workload="default", state="running", elapsed_s=60, duration_s=3600, totals={"acked": 4, "sent": 5},
        anomalies={"duplicate": 1}, histograms={"ack_latency": ack, "query_latency.full_count": ack},
        lag={0: 3, 1: 4}, processes={"producer-0": {"rss_bytes": 1e8, "cpu_seconds": 2.0},
                                     "kafka-broker": {"rss_bytes": 6e8}},
        agents={"producer-0": {"kind": "producer", "index": "0", "up": True, "restarts": 2}},
        step_errors={"lag": 1}))
    w = ("workload", "default")
    assert samples["soak_records_acked_total" + str([w])] == 4
    assert samples["soak_run_state" + str([("state", "running"), w])] == 1
    assert samples["soak_anomalies_total" + str([("anomaly", "duplicate"), w])] == 1
    # Histogram buckets in seconds come from the exact HDR counts.
    assert samples["soak_ack_latency_seconds_bucket" + str([("le", "0.001"), w])] == 1
    assert samples["soak_ack_latency_seconds_bucket" + str([("le", "0.05"), w])] == 3
    assert samples["soak_ack_latency_seconds_bucket" + str([("le", "+Inf"), w])] == 4
    assert abs(samples["soak_ack_latency_seconds_sum" + str([w])] - 2.0438) < 1e-6
    assert samples["soak_query_latency_seconds_count" + str([("query", "full_count"), w])] == 4
    assert samples["soak_consumer_lag_total_records" + str([w])] == 7
    assert samples["soak_process_resident_memory_bytes" + str([("kind", "producer"), ("process", "producer-0"), w])] == 1e8
    assert samples["soak_process_resident_memory_bytes" + str([("kind", "target"), ("process", "kafka-broker"), w])] == 6e8
    assert samples["soak_agent_restarts_total" + str([("agent_index", "0"), ("kind", "producer"), w])] == 2
    assert samples["soak_controller_step_errors_total" + str([("step", "lag"), w])] == 1
    for line in text.splitlines():
        if line.startswith("# TYPE") and line.endswith(" counter"):
            assert line.split()[2].startswith("soak_")
    assert all(name.startswith("soak_") for name in {line.split()[2] for line in text.splitlines()
                                                      if line.startswith("# TYPE")})


def test_the_run_its_last_window_verdict_and_uss():
    samples, _ = scrape(MetricsView(workload="default", run_id="run-1", last_window_verdict="WARN",
                                    processes={"producer-0": {"rss_bytes": 1e8, "uss_bytes": 8e7},
                                               "query-0": {"rss_bytes": 2e8}},
                                    agents={"producer-0": {"kind": "producer", "index": "0", "up": True,
                                                           "restarts": 0}}))
    w = ("workload", "default")
    assert samples["soak_run_info" + str([("run_id", "run-1"), w])] == 1
    assert samples["soak_report_verdict_level" + str([w])] == 1
    assert samples["soak_process_unique_memory_bytes" + str([("kind", "producer"), ("process", "producer-0"), w])] == 8e7
    assert not any(k.startswith("soak_process_unique_memory_bytes") and "query-0" in k for k in samples)
    before_any_window, _ = scrape(MetricsView(workload="default", run_id="run-1"))
    assert not any(k.startswith("soak_report_verdict_level") for k in before_any_window)
