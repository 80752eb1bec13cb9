"""Soaking a team's own ingestion job (external mode): the example job clean, and with each
of its bug switches, judged from its table against the producers' ack ledgers."""

from __future__ import annotations

from controller.store.analysis import WHOLE_RUN, AnalysisStore
from tests.integration.controller.conftest import check_of
from tests.integration.external.conftest import external_workload
from workloads.model import Workload

HOURS = 75 / 3600  # 75 s of load


def run_against(harness, job, **overrides):
    spec = harness.start(Workload.model_validate(external_workload(job, **overrides)), hours=HOURS)
    run = harness.wait_done(spec.run_id, 420)
    assert run.state.value in ("finished", "stopped"), (run.state, run.reasons, job.output()[-3000:])
    return run, check_of(harness.store, spec.run_id)


def test_the_clean_job_through_crashes_leaves_no_anomaly_and_its_memory_is_sampled(external_harness, ingest_job):
    job = ingest_job("--crash-every", "8")  # crashes after appends: exactly-once must hold through them
    h = external_harness()
    run, check = run_against(h, job)
    assert run.state.value == "finished", (run.reasons, job.output()[-3000:])
    assert check["table"] == "trading.ticks" and check["acked"] > 10_000, check
    assert (check["missing"], check["duplicates"], check["unexpected"]) == (0, 0, 0), check
    assert check["table_rows"] == check["table_distinct"] == check["acked"], check
    assert run.verdict in ("PASS", "WARN") and not any("table check" in r for r in run.reasons), run.reasons
    assert "worker exited with 3" in job.output()  # it did crash
    # The job's own process was sampled like our agents, and the report shows it.
    report = AnalysisStore(h.store.db).report(run.id, WHOLE_RUN)
    memory = {m["process"]: m for m in report["memory"]}
    assert "ingest-job" in memory and memory["ingest-job"]["max_bytes"] > 50 * 2**20, sorted(memory)


def test_a_batch_dropped_on_rebalance_is_reported_missing_exactly(external_harness, ingest_job):
    job = ingest_job("--bug", "drop-on-rebalance", "--restart-every-s", "20")
    h = external_harness()
    run, check = run_against(h, job)
    dropped = job.rows_of("dropped", run.id)
    assert dropped > 0, job.output()[-3000:]
    assert (check["missing"], check["duplicates"]) == (dropped, 0), check
    assert check["examples"]["missing"], check
    assert run.verdict == "FAIL" and any(r.startswith(f"table check: {dropped} acknowledged records are missing "
                                                      "from the table trading.ticks (e.g. ") for r in run.reasons), \
        run.reasons


def test_a_batch_appended_again_after_a_crash_is_reported_duplicated_exactly(external_harness, ingest_job):
    job = ingest_job("--bug", "reappend-after-crash", "--crash-every", "8")
    h = external_harness()
    run, check = run_against(h, job)
    twice = job.rows_of("appended_twice", run.id)
    assert twice > 0, job.output()[-3000:]
    assert (check["missing"], check["duplicates"]) == (0, twice), check
    assert len(check["examples"]["duplicated_keys"]) == 10, check
    assert run.verdict == "FAIL" and any(r.startswith(f"table check: {twice} duplicate rows in the table "
                                                      "trading.ticks (e.g. ") for r in run.reasons), run.reasons
