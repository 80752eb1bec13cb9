"""External-ingestion runs: the example ingestion job (workloads/examples/ingest_job.py)
started as a team would start theirs, on the session's broker, soaked through the
controller on the session's Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from controller.infra.ports import free_ports
from controller.infra.processes import wait_until
from tests.integration.controller.conftest import RunHarness, harness_settings
from tests.integration.kafka_helpers import create_topic
from tests.integration.s3_server import SeaweedS3

JOB = Path(__file__).resolve().parents[3] / "workloads" / "examples" / "ingest_job.py"


class IngestJob:
    """The example job's supervisor process and what it wrote down."""

    def __init__(self, root: Path, bootstrap: str, topic: str, *flags: str, s3: SeaweedS3 | None = None):
        self.root, self.topic = root, topic
        self.catalog_uri = f"sqlite:///{root / 'catalog.db'}"
        self.warehouse = f"s3://warehouse/{root.name}" if s3 else (root / "warehouse").as_uri()
        self.properties = s3.properties() if s3 else {}
        self.events = root / "events.jsonl"
        self.log = open(root / "job.log", "w")
        props = [arg for key, value in self.properties.items() for arg in ("--catalog-property", f"{key}={value}")]
        self.proc = subprocess.Popen(
            [sys.executable, str(JOB), "--bootstrap", bootstrap, "--topic", topic, "--group", f"job-{topic}",
             "--catalog-uri", self.catalog_uri, "--warehouse", self.warehouse, *props,
             "--batch-seconds", "1", "--events", str(self.events), *flags],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout_s: float = 60) -> None:
        """Its table exists and it reads the topic, as a team's job would before a soak."""
        if not wait_until(lambda: "ingest-job: reading" in self.output() or self.proc.poll() is not None, timeout_s):
            raise AssertionError(f"the ingest job did not start in {timeout_s} s: {self.output()[-2000:]}")
        assert self.proc.poll() is None, self.output()[-2000:]

    def rows_of(self, event: str, run_id: str) -> int:
        """Rows of `run_id` the job says it dropped or appended twice."""
        if not self.events.exists():
            return 0
        lines = [json.loads(line) for line in self.events.read_text().splitlines() if line.strip()]
        return sum(e["runs"].get(run_id, 0) for e in lines if e["event"] == event)

    def output(self) -> str:
        self.log.flush()
        return (self.root / "job.log").read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def external_workload(job: IngestJob, **overrides) -> dict:
    """The shipped example workload, pointed at this job's topic and catalog, made light."""
    from workloads.loader import load_workload

    raw = load_workload(str(JOB.with_name("external.yaml"))).model_dump(mode="json", exclude_unset=True)
    raw["topic"] = {"name": job.topic, "partitions": 3}
    raw["producers"]["spec"]["rate"] = {"profile": "constant", "per_second": 200}
    raw["consumers"] = {"count": 1, "spec": {"commit_interval_s": 2}}
    raw["queries"] = {"count": 1, "spec": {"interval_s": 5}}
    raw["node"]["interval_s"] = 2
    raw["ingestion"]["table"]["catalog"] = {"type": "sql", "uri": job.catalog_uri, "properties": job.properties}
    raw["ingestion"]["quiet_s"] = 15
    raw["slo"] = {"warm_up_s": 20}
    raw["faults"] = {"mode": "none"}
    raw.update(overrides)
    return raw


@pytest.fixture
def ingest_job(bootstrap, tmp_path):
    started: list[IngestJob] = []

    def start(*flags: str, s3: SeaweedS3 | None = None) -> IngestJob:
        root = tmp_path / f"job-{len(started)}"
        root.mkdir()
        job = IngestJob(root, bootstrap, create_topic(bootstrap, partitions=3), *flags, s3=s3)
        started.append(job)
        job.wait_ready()
        return job

    yield start
    for job in started:
        job.stop()


@pytest.fixture
def external_harness(ray_local, ray_cluster, local_stack, tmp_path):
    made: list[RunHarness] = []

    def make() -> RunHarness:
        settings = harness_settings(tmp_path, bootstrap_servers=local_stack.kafka.bootstrap,
                                    metrics_port=free_ports(1)[0])
        harness = RunHarness(settings, ray_cluster.head_node.node_id)
        made.append(harness)
        return harness

    yield make
    for harness in made:  # a failed test's run must not go on loading the rest of the suite
        for run in harness.store.list()[0]:
            if not run.state.terminal:
                harness.store.request_stop(run.id, 0)
