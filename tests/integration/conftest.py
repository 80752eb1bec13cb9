"""One real broker (plus Toxiproxy and Prometheus) and one Ray per test session.

The fixtures drive the same `LocalStack` code as `soak infra up`, on ports picked free
for this session, so a stack a developer has running on the defaults is left alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from controller.infra.ports import free_ports
from controller.infra.stack import LocalStack
from controller.settings import SoakSettings
from tests.integration.system_packages import ensure_debian_package

PORT_SETTINGS = ("kafka_port", "kafka_controller_port", "kafka_proxied_port", "toxiproxy_api_port",
                 "toxiproxy_kafka_port", "prometheus_port", "metrics_port", "api_port", "ray_port")


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


@dataclass
class BackgroundSoak:
    process: subprocess.Popen
    data_dir: object
    env: dict
    stdout: object
    stderr: object

    def wait(self, timeout_s: float) -> subprocess.CompletedProcess:
        code = self.process.wait(timeout=timeout_s)
        return subprocess.CompletedProcess(self.process.args, code, self.stdout.read_text(), self.stderr.read_text())


@pytest.fixture(scope="session")
def background_soak(tmp_path_factory):
    """The main job as a user runs it, `soak start --hours 0.05` on the embedded defaults in
    a fresh data directory (only the ports moved), started with the controller tests so its
    minutes overlap the rest of the suite; test_cli_soak (run last) reads the outcome."""
    from tests.integration.cli_helpers import run_soak

    root = tmp_path_factory.mktemp("background-soak")
    env = cli_env(root / "fresh", prometheus_enabled="false", **port_overrides())
    out, err = root / "stdout.txt", root / "stderr.txt"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        process = subprocess.Popen(SOAK_CLI + ["start", "--hours", "0.05"], env=env, stdout=stdout, stderr=stderr,
                                   stdin=subprocess.DEVNULL)
    yield BackgroundSoak(process, root / "fresh", env, out, err)
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=120)
    run_soak(["infra", "down"], env)
