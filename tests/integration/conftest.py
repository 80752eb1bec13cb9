"""One real broker (plus Toxiproxy and Prometheus) and one Ray per test session.

The fixtures drive the same `LocalStack` code as `soak infra up`, on ports picked free
for this session, so a stack a developer has running on the defaults is left alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from controller.infra.ports import free_ports
from controller.infra.stack import LocalStack
from controller.settings import SoakSettings
from tests.integration.s3_server import SeaweedS3
from tests.integration.system_packages import ensure_debian_package

PORT_SETTINGS = ("kafka_port", "kafka_controller_port", "kafka_proxied_port", "toxiproxy_api_port",
                 "toxiproxy_kafka_port", "prometheus_port", "metrics_port", "api_port", "ray_port",
                 "alertmanager_port")


def port_overrides() -> dict[str, int]:
    return dict(zip(PORT_SETTINGS, free_ports(len(PORT_SETTINGS))))


def cli_env(data_dir, **settings) -> dict[str, str]:
    """The environment of a `soak` subprocess: SOAK_* settings, nothing inherited of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOAK_")}
    env["SOAK_DATA_DIR"] = str(data_dir)
    env.update({f"SOAK_{k.upper()}": str(v) for k, v in settings.items()})
    return env


SOAK_CLI = [sys.executable, "-m", "controller"]


@pytest.fixture(scope="session")
def infra_settings(tmp_path_factory) -> SoakSettings:
    return SoakSettings(data_dir=tmp_path_factory.mktemp("soak-data"), scrape_interval_s=1.0,
                        **port_overrides())


@pytest.fixture(scope="session")
def local_stack(infra_settings):
    ensure_debian_package("prometheus", "prometheus")
    stack = LocalStack(infra_settings, report=lambda msg: print(f"[infra] {msg}"))
    stack.up(prometheus=True, toxiproxy=True)
    yield stack
    stack.down()


@pytest.fixture(scope="session")
def bootstrap(local_stack) -> str:
    return local_stack.kafka.bootstrap


@pytest.fixture(scope="session")
def ray_cluster():
    """One Ray for the session: a head and three worker nodes on this machine
    (`ray.cluster_utils.Cluster`), so placement and node loss are tested for real.
    Fast failure detection: a removed node is declared dead within seconds."""
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "object_store_memory": 128 * 1024**2, "include_dashboard": False,
        "_system_config": {"health_check_period_ms": 1000, "health_check_failure_threshold": 3,
                           "health_check_timeout_ms": 1000}})
    for _ in range(WORKER_NODES):
        cluster.add_node(num_cpus=1, object_store_memory=96 * 1024**2)
    ray.init(address=cluster.address, namespace="soak", log_to_driver=False, configure_logging=False)
    cluster.wait_for_nodes()
    yield cluster
    ray.shutdown()
    cluster.shutdown()


WORKER_NODES = 3


@pytest.fixture(scope="session")
def ray_local(ray_cluster):
    import ray

    yield ray


@pytest.fixture
def soak_env():
    """Build the env of `soak` subprocesses; whatever they started is stopped after the test."""
    from tests.integration.cli_helpers import run_soak

    made: list[dict[str, str]] = []

    def make(data_dir, **settings) -> dict[str, str]:
        env = cli_env(data_dir, **settings)
        made.append(env)
        return env

    yield make
    for env in made:
        run_soak(["infra", "down"], env)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 (SeaweedFS) for warehouses on S3."""
    server = SeaweedS3(tmp_path_factory.mktemp("s3")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres():
    import shutil
    import tempfile
    from pathlib import Path

    from tests.integration.postgres import PostgresServer

    # Not under pytest's 0700 temp root: the server runs as the `postgres` user.
    workdir = Path(tempfile.mkdtemp(prefix="soak-postgres-"))
    server = PostgresServer(workdir, free_ports(1)[0]).start()
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


WORKLOADS = Path(__file__).parent / "workloads"
# The default workload with the analysis time constants in seconds (compressed.yaml).
COMPRESSED_SOAK = ["start", "--hours", "0.15", "--report-interval", "60s", "--workload", str(WORKLOADS / "compressed.yaml"),
                   "--fault-every", "30s", "--fault-warm-up", "15s"]
LEAKY_SOAK = ["start", "--hours", "0.1", "--workload", str(WORKLOADS / "leaky.yaml")]


@dataclass
class BackgroundSoak:
    process: subprocess.Popen
    data_dir: object
    env: dict
    stdout: object
    stderr: object
    grafana: object = None  # a GrafanaStub receiving the run's fault annotations

    def wait(self, timeout_s: float) -> subprocess.CompletedProcess:
        code = self.process.wait(timeout=timeout_s)
        return subprocess.CompletedProcess(self.process.args, code, self.stdout.read_text(), self.stderr.read_text())


def _start_in_background(root, args: list[str], env: dict) -> BackgroundSoak:
    out, err = root / "stdout.txt", root / "stderr.txt"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        process = subprocess.Popen(SOAK_CLI + args, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
    return BackgroundSoak(process, Path(env["SOAK_DATA_DIR"]), env, out, err)


def _end(soak: BackgroundSoak) -> None:
    if soak.process.poll() is None:
        soak.process.terminate()
        soak.process.wait(timeout=120)


@pytest.fixture(scope="session")
def background_soak(tmp_path_factory):
    """The main job as a user runs it, compressed: `soak start --hours 0.15 --report-interval 60s
    --fault-every 30s` on the default workload (with the analysis time constants in seconds)
    in a fresh data directory (only the ports moved), so the whole fault catalog of one
    machine comes once. The first test that uses it starts it, once every test that starts
    services of its own is done (tests/conftest.py orders the suite); test_cli_soak (run
    last) reads the outcome."""
    from tests.integration.cli_helpers import run_soak

    from tests.grafana_stub import GrafanaStub

    root = tmp_path_factory.mktemp("background-soak")
    # With Prometheus, as a user with it installed has it: the dashboards' queries are
    # evaluated against what it scraped of this run. And a Grafana (the stub of its API)
    # that the controller annotates with every fault's start and heal.
    grafana = GrafanaStub(token="glsa_" + "g" * 32)
    env = cli_env(root / "fresh", prometheus_enabled="true", grafana_url=grafana.url, grafana_token=grafana.token,
                  **port_overrides())
    soak = _start_in_background(root, COMPRESSED_SOAK, env)
    soak.grafana = grafana
    yield soak
    _end(soak)
    grafana.close()
    run_soak(["infra", "down"], env)


@pytest.fixture(scope="session")
def background_leaky_soak(tmp_path_factory, local_stack, ray_cluster, background_soak):
    """A six-minute run whose producer leaks on purpose, on the session's broker and Ray
    cluster (as on a staging cluster: --bootstrap-servers, --ray-address). It runs beside
    the compressed soak, which starts first (`background_soak`), so their minutes overlap.
    Samples reach the store every 10 s (the detectors read them there)."""
    root = tmp_path_factory.mktemp("leaky-soak")
    env = cli_env(root / "data", prometheus_enabled="false", flush_interval_s=10, **port_overrides())
    soak = _start_in_background(root, LEAKY_SOAK + ["--bootstrap-servers", local_stack.kafka.bootstrap,
                                                    "--ray-address", ray_cluster.address], env)
    yield soak
    _end(soak)


@pytest.fixture(scope="session")
def fault_stack(tmp_path_factory):
    """A second local stack (broker and Toxiproxy) whose broker tests kill and restart. The
    session broker stays up for everything else, the long steady pipeline of the memory test
    included: a restart under it is a backlog its verifier must catch up, not a steady state."""
    from controller.infra.stack import LocalStack
    from controller.settings import SoakSettings

    settings = SoakSettings(data_dir=tmp_path_factory.mktemp("fault-stack"), **port_overrides())
    stack = LocalStack(settings, report=lambda msg: print(f"[fault stack] {msg}"))
    stack.up(prometheus=False, toxiproxy=True)
    yield stack
    stack.down()
