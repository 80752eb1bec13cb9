"""Bad cases end with one clear error line naming the fix, a non-zero exit, no traceback."""

from __future__ import annotations

import socket

import psutil
import pytest

from tests.integration.cli_helpers import run_soak, the_error_line
from tests.integration.conftest import port_overrides


@pytest.fixture(scope="module", autouse=True)
def soak_in_background(background_soak):
    """The suite's compressed `soak start` (with its faults) runs beside these tests, which
    stop at their first error and start little; test_cli_soak reads its outcome at the very end."""
    return background_soak


def test_broker_port_already_taken(tmp_path, soak_env):
    ports = port_overrides()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports["kafka_port"]))
        squatter.listen()
        result = run_soak(["infra", "up", "--no-prometheus"], soak_env(tmp_path, **ports))
    line = the_error_line(result)
    assert f"port {ports['kafka_port']} on 127.0.0.1 is already in use" in line
    assert "SOAK_KAFKA_PORT" in line


def test_missing_java(tmp_path, soak_env):
    env = soak_env(tmp_path / "data", **port_overrides())
    env["PATH"] = str(tmp_path / "empty-bin")  # no java (nor anything else) on PATH
    line = the_error_line(run_soak(["infra", "up", "--no-prometheus"], env))
    assert "java not found on PATH" in line and "JDK 17" in line


def test_data_directory_not_writable(tmp_path, soak_env):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    # Beneath a regular file nothing can be created, even by root.
    line = the_error_line(run_soak(["infra", "up"], soak_env(blocker / "data", **port_overrides())))
    assert f"data directory {blocker / 'data'} is not writable" in line
    assert "--data-dir" in line


def test_maven_cannot_resolve_offline(tmp_path, soak_env):
    # A real Maven, offline, with an empty local repository: nothing can be resolved.
    offline_mvn = tmp_path / "mvn-offline"
    offline_mvn.write_text(f'#!/bin/sh\nexec mvn -o -Dmaven.repo.local="{tmp_path}/m2" "$@"\n')
    offline_mvn.chmod(0o755)
    env = soak_env(tmp_path / "data", cache_dir=tmp_path / "cache", maven_bin=offline_mvn, **port_overrides())
    line = the_error_line(run_soak(["infra", "up", "--no-prometheus"], env))
    assert "Maven could not resolve Kafka's jars" in line and "Maven Central" in line


def test_broker_not_ready_in_time_shows_last_log_lines(tmp_path, soak_env):
    data = tmp_path / "data"
    env = soak_env(data, kafka_ready_timeout_s=0.5, **port_overrides())
    result = run_soak(["infra", "up", "--no-prometheus"], env)
    line = the_error_line(result)
    assert "did not become ready within 0.5 s" in line
    assert "last log lines:" in result.stderr
    # The half-started broker is not left behind.
    ours = [p for p in psutil.process_iter(["cmdline"]) if str(data) in " ".join(p.info["cmdline"] or [])]
    assert ours == []


def test_invalid_setting_names_the_field(tmp_path, soak_env):
    env = soak_env(tmp_path, kafka_port=70000)
    line = the_error_line(run_soak(["infra", "status"], env))
    assert "invalid setting kafka_port" in line and "SOAK_KAFKA_PORT" in line


def test_a_bad_workload_file_is_refused_before_anything_starts(tmp_path, soak_env):
    bad = tmp_path / "bad.yaml"
    bad.write_text("producers:\n  count: 2\n  spec:\n    rate: {profile: constant, per_second: -5}\n")
    data = tmp_path / "data"
    result = run_soak(["start", "--hours", "1", "--workload", str(bad)], soak_env(data, **port_overrides()))
    line = the_error_line(result)
    assert result.returncode == 2
    assert "producers.spec.rate.per_second" in line and "-5" in line
    assert not (data / "infra").exists()  # no service was started, no run was created


def test_a_bad_fault_request_names_the_kind_or_the_parameter(tmp_path, soak_env):
    env = soak_env(tmp_path / "data", **port_overrides())
    line = the_error_line(run_soak(["faults", "inject", "agent_kil"], env))
    assert "unknown fault kind 'agent_kil'" in line and "docs/faults.md" in line
    line = the_error_line(run_soak(["faults", "inject", "agent_pause", "-p", "duration"], env))
    assert "--param 'duration' is not KEY=VALUE" in line
    line = the_error_line(run_soak(["faults", "inject", "cpu_pressure", "-p", "workers=0"], env))
    assert "fault cpu_pressure" in line and "greater than or equal to 1" in line
    line = the_error_line(run_soak(["faults", "inject", "agent_kill"], env))
    assert "there are no runs in the store yet" in line
