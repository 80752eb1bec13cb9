"""The run verdict: correctness fails a run, stability warns, and every reason is said."""

from controller.runs.verdict import FAIL, PASS, WARN, Evidence, judge
from workloads.model import SLOSpec

CLEAN = {"ok": True, "missing": 0, "duplicates": 0, "state_losses": 0, "acked": 1000}


def test_a_clean_run_passes_and_says_why():
    v = judge(Evidence(check=CLEAN, acked=1000, intended=1000, p99_ack_ms=10, p99_e2e_ms=100), SLOSpec())
    assert v.level == PASS and "1000 acknowledged records" in v.reasons[0]


def test_correctness_problems_fail_the_run():
    v = judge(Evidence(check={**CLEAN, "missing": 3, "duplicates": 2}, acked=1000,
                       anomalies={"corrupt": 1}), SLOSpec())
    assert v.level == FAIL
    assert v.reasons[:3] == ("table check: 3 acknowledged records are missing from the table",
                             "table check: 2 duplicate rows in the table", "verifiers saw 1 corrupt records")
    named = judge(Evidence(check={**CLEAN, "missing": 3, "duplicates": 2, "table": "team.trades",
                                  "examples": {"missing": [["producer-0|1|2", 10, 12], ["producer-1|1|0", 5, 6]],
                                               "duplicated_keys": [["producer-0|1|1", 40, 2]]}}, acked=1000), SLOSpec())
    assert named.reasons[:2] == (
        "table check: 3 acknowledged records are missing from the table team.trades (e.g. producer-0|1|2 seqs 10..11)",
        "table check: 2 duplicate rows in the table team.trades (e.g. producer-0|1|1 seq 40, 2 rows)")
    assert judge(Evidence(check=None, check_error="catalog down", acked=5), SLOSpec()).reasons == (
        "the final correctness check could not run: catalog down",)
    assert judge(Evidence(check=CLEAN, drained=False, lag_left=42, acked=5), SLOSpec()).level == FAIL
    assert judge(Evidence(check=CLEAN, acked=0), SLOSpec()).level == FAIL


def test_stability_problems_warn_with_the_numbers():
    slo = SLOSpec(max_p99_ack_ms=100, max_lag_records=10, min_throughput_ratio=0.9, max_freshness_s=5)
    v = judge(Evidence(check=CLEAN, acked=800, intended=1000, p99_ack_ms=250, max_lag=50, max_freshness_s=9,
                       restarts=2, stopped_early=True, elapsed_s=600, planned_s=3600), slo)
    assert v.level == WARN
    assert v.reasons == ("p99 ack latency 250 ms is above the SLO of 100 ms", "consumer lag reached 50 records (SLO 10)",
                         "table freshness reached 9 s (SLO 5 s)",
                         "acknowledged 80.0% of the intended records (SLO 90%)", "2 agent restarts",
                         "stopped early, after 10.0 of 60.0 minutes")


def test_switched_off_checks_do_not_judge():
    slo = SLOSpec(max_p99_ack_ms=None, max_p99_e2e_ms=None, max_lag_records=None, max_freshness_s=None,
                  min_throughput_ratio=None)
    v = judge(Evidence(check=CLEAN, acked=1, intended=10**9, p99_ack_ms=10**6, max_lag=10**9), slo)
    assert v.level == PASS


def test_corrupt_records_are_named_by_partition_and_offset():
    from controller.runs.verdict import corrupt_examples

    stats = {"consumer-0": {"corrupt_examples": [[2, 1234, "envelope checksum (one bit, repaired)"]]},
             "consumer-1": {"corrupt_examples": [[0, 7, "payload checksum"]]}, "producer-0": {}}
    examples = corrupt_examples(stats)
    assert examples == ((0, 7, "payload checksum"), (2, 1234, "envelope checksum (one bit, repaired)"))
    v = judge(Evidence(check=CLEAN, acked=1000, anomalies={"corrupt": 2}, corrupt_examples=examples), SLOSpec())
    assert v.level == FAIL and v.reasons == (
        "verifiers saw 2 corrupt records (partition 0 offset 7: payload checksum; "
        "partition 2 offset 1234: envelope checksum (one bit, repaired))",)


def test_failed_queries_weigh_in_the_run_verdict():
    from controller.runs.verdict import last_query_errors

    messages = last_query_errors({"query-0": {"kind": "query", "last_error": {"freshness": "table not found"}},
                                  "consumer-0": {"kind": "consumer"}})
    v = judge(Evidence(check=CLEAN, acked=1000, query_errors=4, query_error_messages=messages), SLOSpec())
    assert v.level == WARN and v.reasons == ("4 query runs failed (freshness: table not found)",)
