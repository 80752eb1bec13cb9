"""Helpers of the agent tests: a table per test, waiting, and reading results back."""

from __future__ import annotations

import time

import pytest

from agents.lakehouse.catalog import TableRef
from agents.lakehouse.final_check import check_table


@pytest.fixture
def started():
    """Start agents for a test; whatever still runs at its end (a failed test) is stopped."""
    agents = []

    def start(*new):
        for agent in new:
            agents.append(agent)
            agent.start()
        return new[0] if len(new) == 1 else new

    yield start
    for agent in agents:
        agent.stop(timeout_s=30)


@pytest.fixture
def table_ref(tmp_path) -> TableRef:
    return TableRef(f"sqlite:///{tmp_path / 'catalog.db'}", (tmp_path / "warehouse").as_uri())


@pytest.fixture(params=["sqlite", "postgresql"])
def any_catalog_ref(request, tmp_path) -> TableRef:
    """A table in each catalog the tool runs on: SQLite (the default) and PostgreSQL (staging)."""
    uri = (f"sqlite:///{tmp_path / 'catalog.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres").new_database())
    return TableRef(uri, (tmp_path / "warehouse").as_uri())


def wait_for(predicate, timeout_s: float, interval_s: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def table_verdict(table_ref: TableRef, topic: str, run_id: str, ack_ledgers: list[dict]) -> dict:
    """What the table holds against what was acknowledged (the run's own final check)."""
    return check_table(table_ref, topic, run_id, ack_ledgers)


@pytest.fixture(scope="session", autouse=True)
def steady_pipeline(ray_local, ray_cluster, local_stack, tmp_path_factory):
    """Started with the first agent test; the memory test at the very end reads it."""
    from tests.integration.agents.steady import start_steady_pipeline

    pipeline = start_steady_pipeline(ray_local, local_stack.kafka.bootstrap, str(local_stack.kafka.config_path),
                                     tmp_path_factory.mktemp("steady"), ray_cluster.head_node.node_id)
    yield pipeline
    pipeline.stop()
