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
from agents.lakehouse.duckdb_iceberg import connect, duckdb_reads
from agents.lakehouse.external_table import ExternalTableRef, bind_external_view
from agents.lakehouse.iceberg_sink import state_of
from agents.lakehouse.queries import bind_events_view, duplicated_keys, islands
from agents.lakehouse.sink_state import received_from_state


def check_table(table_ref: TableRef, topic: str, run_id: str, ack_ledgers: list[dict]) -> dict:
    table = table_ref.load_or_create()
    con = connect(properties=table_ref.properties, location=table.location())
    try:
        bind_events_view(con, table, "plan")
        acked = merge_acks(AckLedger.from_json(raw) for raw in ack_ledgers)
        report = _compare(con, run_id, acked)
    finally:
        con.close()
    lost = losses(acked, received_from_state(state_of(table, topic)))
    return {**report, "table": table_ref.identifier, "state_losses": sum(len(v) for v in lost.values())}


def check_external(ref: ExternalTableRef, run_id: str, ack_ledgers: list[dict]) -> dict:
    """The team's table against the ack ledgers, read through the column mapping. There
    is no verifier state in their table: what reached Kafka is the verifiers' verdicts'."""
    table = ref.load()
    con = connect(properties=ref.properties, location=table.location())
    # DuckDB streams the files it reads; pyiceberg's rows (`arrow`) would hold the whole
    # table in memory, so they are only for a warehouse DuckDB has no reader for.
    engine = "plan" if duckdb_reads(table.location()) else "arrow"
    try:
        bind_external_view(con, ref, table, run_id, engine, only_mapped=True)
        report = _compare(con, run_id, merge_acks(AckLedger.from_json(raw) for raw in ack_ledgers))
    finally:
        con.close()
    return {**report, "table": ref.identifier}


def _compare(con, run_id: str, acked) -> dict:
    report = compare(islands(con, run_id), acked).summary()
    rows, distinct = con.execute(
        "SELECT count(*), count(DISTINCT (producer_id, incarnation, partition, seq)) FROM events "
        "WHERE run_id = $run_id", {"run_id": run_id}).fetchone()
    if report["duplicates"]:
        report["examples"]["duplicated_keys"] = duplicated_keys(con, run_id)
    return {**report, "table_rows": rows, "table_distinct": distinct}
