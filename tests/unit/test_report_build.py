"""The stability report of a window (pure): numbers, verdict and its reasons."""

from __future__ import annotations

from agents.core.histogram import LatencyHistogram
from controller.analysis.alerts import LEAK, Alert
from controller.analysis.report import WindowFacts, build_report, fault_windows
from workloads.loader import load_workload
from workloads.model import SLOSpec

S = 10**9
MB = 2**20


def summary(*values_ms: float) -> dict:
    h = LatencyHistogram()
    for v in values_ms:
        h.record(int(v * 1000))
    return h.summary()


def facts(**kw) -> WindowFacts:
    base = dict(run_id="r1", workload="default", index=2, start_ns=3600 * S, end_ns=7200 * S, run_start_ns=0,
                counters={"sent": 3_600_000, "acked": 3_600_000, "consumed": 3_600_000, "committed_records": 3_599_000},
                latency={"ack_latency": summary(*[5] * 99, 400)}, calm_latency={"ack_latency": summary(*[5] * 100)},
                memory={"producer-0": [(3600.0 + 60 * i, (100 + i * 0.01) * MB) for i in range(60)]},
                lag=[(3600.0 + i, 100.0) for i in range(0, 3600, 60)], freshness=[(3600.0, 5.0), (7100.0, 7.0)])
    base.update(kw)
    return WindowFacts(**base)


def test_a_quiet_window_passes_with_its_numbers():
    r = build_report(facts(), SLOSpec())
    assert r["verdict"] == {"level": "PASS", "reasons": ["every SLO met"]}
    assert r["throughput"]["acked"] == 3_600_000 and r["throughput"]["acked_per_s"] == 1000.0
    assert r["latency_ms"]["ack"]["count"] == 100 and r["latency_ms"]["ack"]["max"] >= 399
    assert r["lag"] == {"max": 100, "at_end": 100} and r["freshness_s"] == {"max": 7.0, "at_end": 7.0}
    (memory,) = r["memory"]
    assert memory["process"] == "producer-0" and 0.3 < memory["floor_slope_mb_per_h"] < 0.9
    assert r["window"] == {"index": 2, "start_ns": 3600 * S, "end_ns": 7200 * S, "final": False}
    assert r["series"]["memory_mb"]["producer-0"][0] == [3600.0, 100.0]


def test_slo_breaches_outside_faults_warn_and_anomalies_fail():
    slow = facts(calm_latency={"ack_latency": summary(*[900] * 100)}, anomalies={"duplicate": 3})
    level, reasons = build_report(slow, SLOSpec())["verdict"].values()
    assert level == "FAIL"
    assert reasons == ["verifiers saw 3 duplicate records", "p99 ack latency 900 ms is above the SLO of 500 ms"]


def test_lag_during_a_fault_and_its_recovery_is_not_a_breach():
    fault = {"kind": "broker_kill", "target": "broker", "started_ns": 4000 * S, "healed_ns": 4030 * S,
             "recovery_s": 20.0, "recovery_state": "recovered"}
    lag = [(3600.0, 100.0), (4010.0, 900_000.0), (4049.0, 500_000.0), (4100.0, 100.0)]
    r = build_report(facts(lag=lag, faults=[fault]), SLOSpec())
    assert r["verdict"]["level"] == "PASS" and r["lag"]["max"] == 900_000
    assert r["fault_windows"] == [[4000.0, 4050.0, "broker_kill"]]
    assert r["faults"][0]["recovery_s"] == 20.0
    late = dict(fault, recovery_s=None, recovery_state="not_recovered")
    level, reasons = build_report(facts(lag=lag, faults=[late]), SLOSpec())["verdict"].values()
    assert level == "WARN" and "no recovery from broker_kill on broker" in reasons
    assert "consumer lag reached 500000 records (SLO 100000)" in reasons  # after the heal: judged


def test_alerts_and_unexpected_restarts_warn():
    alert = Alert(LEAK, "producer-0", "floors rise 2 MB/h", {}, 4000 * S, 4000 * S)
    r = build_report(facts(alerts=[alert], restarts={"consumer-1": 2}, fault_restarts=1), SLOSpec())
    assert r["verdict"]["level"] == "WARN"
    assert r["verdict"]["reasons"] == ["1 agent restarts not caused by injected faults",
                                       "memory_leak (producer-0): floors rise 2 MB/h"]
    assert r["alerts"][0]["subject"] == "producer-0"


def test_the_whole_run_report_carries_the_run_verdict():
    r = build_report(facts(index=None, run_verdict=("PASS", ["123 acknowledged records, each exactly once"]),
                           lost=0), SLOSpec())
    assert r["window"]["final"] and r["verdict"]["reasons"] == ["123 acknowledged records, each exactly once"]
    failed = build_report(facts(index=None, run_verdict=("FAIL", ["4 acknowledged records are missing"]), lost=4),
                          SLOSpec())
    assert failed["verdict"]["level"] == "FAIL" and failed["integrity"]["lost"] == 4


def test_a_latency_breach_the_run_verdict_names_is_listed_once():
    slow = {"ack_latency": summary(*[900] * 100), "e2e_latency": summary(*[3000] * 100)}
    run_says = ["p99 ack latency 900 ms is above the SLO of 500 ms",
                "p99 end-to-end latency 3000 ms is above the SLO of 2000 ms"]
    r = build_report(facts(index=None, calm_latency=slow, run_verdict=("WARN", run_says), lost=0), SLOSpec())
    assert r["verdict"] == {"level": "WARN", "reasons": run_says}


def test_a_fault_still_in_place_is_shaded_to_the_window_end():
    assert fault_windows([{"kind": "agent_pause", "started_ns": 10 * S}], 0, 100 * S) == [(10.0, 100.0, "agent_pause")]


def test_the_compressed_test_workload_is_the_default_but_for_its_analysis_time_constants():
    compressed = load_workload("tests/integration/workloads/compressed.yaml")
    default = load_workload(None)
    assert compressed.model_dump(exclude={"analysis"}) == default.model_dump(exclude={"analysis"})
    assert compressed.analysis.memory.floor_s < default.analysis.memory.floor_s


def test_failed_queries_warn_with_what_failed():
    from controller.analysis.render_markdown import render_markdown

    error = 'Binder Error: Referenced column "symbol" not found in FROM clause!'
    r = build_report(facts(counters={"acked": 10, "errors_total": 19}, query_errors={"window_aggregate": error}),
                     SLOSpec())
    assert r["verdict"] == {"level": "WARN", "reasons": [f"19 query runs failed (window_aggregate: {error})"]}
    assert r["errors"]["query_errors"] == 19 and r["errors"]["query_error_messages"] == {"window_aggregate": error}
    assert "| query window_aggregate: Binder Error: Referenced column" in render_markdown(r)
