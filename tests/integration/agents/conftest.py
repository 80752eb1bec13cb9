"""Helpers of the agent tests: a table per test, waiting, and reading results back."""

from __future__ import annotations

import time

import pytest

from agents.core.ack_ledger import AckLedger, merge_acks
from agents.core.correctness import compare
from agents.core.sequence_ledger import losses
from agents.lakehouse.catalog import TableRef
from agents.lakehouse.duckdb_iceberg import connect
from agents.lakehouse.iceberg_sink import state_of
from agents.lakehouse.queries import bind_events_view, islands
from agents.lakehouse.sink_state import received_from_state


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


def wait_for(predicate, timeout_s: float, interval_s: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def table_verdict(table_ref: TableRef, topic: str, run_id: str, ack_ledgers: list[dict]) -> dict:
    """What the table holds against what was acknowledged: by DuckDB over the table's
    files, and by the consumer state stored in the table's snapshot summary."""
    table = table_ref.load_or_create()
    con = connect()
    bind_events_view(con, table, "plan")
    acked = merge_acks(AckLedger.from_json(raw) for raw in ack_ledgers)
    report = compare(islands(con, run_id), acked).summary()
    rows, distinct = con.execute(
        "SELECT count(*), count(DISTINCT (producer_id, incarnation, partition, seq)) FROM events").fetchone()
    lost = losses(acked, received_from_state(state_of(table, topic)))
    return {**report, "table_rows": rows, "table_distinct": distinct,
            "state_losses": sum(len(v) for v in lost.values())}


@pytest.fixture(scope="session", autouse=True)
def steady_pipeline(ray_local, local_stack, tmp_path_factory):
    """Started with the first agent test; the memory test at the very end reads it."""
    from tests.integration.agents.steady import start_steady_pipeline

    pipeline = start_steady_pipeline(ray_local, local_stack.kafka.bootstrap, str(local_stack.kafka.config_path),
                                     tmp_path_factory.mktemp("steady"))
    yield pipeline
    pipeline.stop()
