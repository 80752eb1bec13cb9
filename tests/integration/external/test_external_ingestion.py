"""Soaking a team's own ingestion job (external mode): the example job clean (its table on
S3, its memory leaking), and with each of its bug switches, judged from its table against
the producers' ack ledgers."""

from __future__ import annotations

from controller.analysis.alerts import LEAK
from controller.store.analysis import WHOLE_RUN, AnalysisStore
from controller.store.faults import FaultStore
from tests.integration.controller.conftest import check_of
from tests.integration.external.conftest import external_workload
from workloads.model import Workload

HOURS = 75 / 3600  # 75 s of load
LEAK_HOURS = 290 / 3600  # the leak detector's compressed settings fire at about 180 s


def run_against(harness, job, hours: float = HOURS, **overrides):
    spec = harness.start(Workload.model_validate(external_workload(job, **overrides)), hours=hours)
    run = harness.wait_done(spec.run_id, 420)
    assert run.state.value in ("finished", "stopped"), (run.state, run.reasons, job.output()[-3000:])
    return run, check_of(harness.store, spec.run_id)


def test_the_clean_job_on_s3_leaves_no_anomaly_and_its_leak_is_named(external_harness, ingest_job, s3_server):
    """Its table on a real S3 (SeaweedFS); its worker keeps 30 MB a minute, with the leak
    detector's compressed time constants (as tests/integration/workloads/leaky.yaml)."""
    job = ingest_job("--leak-mb-per-hour", "1800", s3=s3_server)
    h = external_harness()
    # The job ran before the soak started, so its warm-up is behind it: a fixed 45 s. A
    # fitted one reads a line rising from the start as warm-up up to fit_within_s (120 s),
    # which left too few floors before the end (it fired at 300 s of the 290).
    analysis = {"memory": {"floor_s": 15, "warm_up_s": 45, "window_s": 600, "min_floors": 8,
                           "eval_every_s": 15, "sustain": 3, "min_slope_per_h": 300,
                           "exclude": ["kafka-broker", "consumer-"]},
                "lag": {"enabled": False}, "latency": {"enabled": False}, "throughput": {"enabled": False}}
    run, check = run_against(h, job, hours=LEAK_HOURS, analysis=analysis)
    assert job.warehouse.startswith("s3://")
    assert check["table"] == "trading.ticks" and check["acked"] > 30_000, check
    assert (check["missing"], check["duplicates"], check["unexpected"]) == (0, 0, 0), check
    assert check["table_rows"] == check["table_distinct"] == check["acked"], check
    assert not any("table check" in r for r in run.reasons), run.reasons
    peaks = h.store.get(run.id).progress["peaks"]
    assert peaks["max_freshness_s"] is not None, peaks  # the query agent read the table on S3 (DuckDB, httpfs)

    # The job's worker was sampled like our agents; its leak is an alert naming it.
    leaks = [a for a in AnalysisStore(h.store.db).alerts(run.id) if a.kind == LEAK]
    assert [a.subject for a in leaks] == ["ingest-job"], [a.to_json() for a in leaks]
    assert run.verdict == "WARN" and any("memory_leak on ingest-job" in r for r in run.reasons), run.reasons
    report = AnalysisStore(h.store.db).report(run.id, WHOLE_RUN)
    memory = {m["process"]: m for m in report["memory"]}
    assert memory["ingest-job"]["max_bytes"] - memory["ingest-job"]["start_bytes"] > 60 * 2**20, memory


def test_a_batch_dropped_on_rebalance_is_reported_missing_exactly(external_harness, ingest_job):
    """The job is restarted twice by the workload's own fault driver for it (service_restart:
    a command template), and drops its open batch each time. Batches of 4 s: a restart that
    lands while the job appends finds no open batch, so the appends are kept short beside it."""
    job = ingest_job("--bug", "drop-on-rebalance", "--batch-seconds", "4")
    h = external_harness()
    restart = f"pkill -TERM -f 'ingest_job.py worker --bootstrap [^ ]* --topic {job.topic} '"
    node = {"interval_s": 2, "targets": {"ingest-job": "ingest_job.py worker"},
            "services": {"ingest-job": {"restart": restart}}}
    timeline = [{"at_s": at, "kind": "service_restart", "params": {"service": "ingest-job"}} for at in (25, 50)]
    run, check = run_against(h, job, node=node, faults={"mode": "timeline", "timeline": timeline})
    faults = FaultStore(h.store.db).of_run(run.id)
    assert [(f["kind"], f["target"], f["state"]) for f in faults] == [("service_restart", "ingest-job", "healed")] * 2
    assert job.output().count("worker exited with 0") >= 2, job.output()[-3000:]  # restarted by the faults
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
