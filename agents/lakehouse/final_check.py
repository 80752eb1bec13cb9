"""The end-of-run correctness check: what the table holds against what was acknowledged.

Two independent views must both be clean: DuckDB over the table's data files (every
acknowledged record present exactly once), and the verifiers' state stored in the
table's snapshot summary (no acknowledged sequence missing from what they received).
"""

from __future__ import annotations

from agents.core.ack_ledger import AckLedger, merge_acks
from agents.core.correctness import compare
from agents.core.sequence_ledger import losses
from agents.lakehouse.catalog import TableRef
from agents.lakehouse.duckdb_iceberg import connect
from agents.lakehouse.iceberg_sink import state_of
from agents.lakehouse.queries import bind_events_view, islands
from agents.lakehouse.sink_state import received_from_state


def check_table(table_ref: TableRef, topic: str, run_id: str, ack_ledgers: list[dict]) -> dict:
    table = table_ref.load_or_create()
    con = connect()
    try:
        bind_events_view(con, table, "plan")
        acked = merge_acks(AckLedger.from_json(raw) for raw in ack_ledgers)
        report = compare(islands(con, run_id), acked).summary()
        rows, distinct = con.execute(
            "SELECT count(*), count(DISTINCT (producer_id, incarnation, partition, seq)) FROM events").fetchone()
    finally:
        con.close()
    lost = losses(acked, received_from_state(state_of(table, topic)))
    return {**report, "table_rows": rows, "table_distinct": distinct,
            "state_losses": sum(len(v) for v in lost.values())}
