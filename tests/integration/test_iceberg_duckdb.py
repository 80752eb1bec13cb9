"""A pyiceberg SqlCatalog with a local warehouse, read back with DuckDB two ways."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog.sql import SqlCatalog

from agents.lakehouse.duckdb_iceberg import connect


def batch(start: int, count: int) -> pa.Table:
    seq = pa.array(range(start, start + count), pa.int64())
    return pa.table({"producer_id": pa.array(["p-0"] * count, pa.string()), "seq": seq,
                     "price": pc.multiply(pc.cast(seq, pa.float64()), 0.5)})


def test_append_arrow_batches_and_read_back_with_duckdb(tmp_path):
    catalog = SqlCatalog("soak", uri=f"sqlite:///{tmp_path / 'catalog.db'}",
                         warehouse=(tmp_path / "warehouse").as_uri())
    catalog.create_namespace("soak")
    first, second = batch(0, 50_000), batch(50_000, 25_000)
    table = catalog.create_table("soak.ticks", schema=first.schema)
    table.append(first)
    table.append(second)
    table = catalog.load_table("soak.ticks")
    assert len(table.snapshots()) == 2

    con = connect()
    # 1. pyiceberg plans the files, DuckDB reads the Parquet.
    files = [task.file.file_path for task in table.scan().plan_files()]
    count, distinct, lo, hi, total = con.execute(
        "SELECT count(*), count(DISTINCT seq), min(seq), max(seq), sum(price) FROM read_parquet($files)",
        {"files": files}).fetchone()
    assert (count, distinct, lo, hi) == (75_000, 75_000, 0, 74_999)
    assert total == sum(i * 0.5 for i in range(75_000))

    # 2. DuckDB's own iceberg extension (offline, from the PyPI wheel) on the same table.
    count2, hi2 = con.execute("SELECT count(*), max(seq) FROM iceberg_scan(?)",
                              [table.metadata_location]).fetchone()
    assert (count2, hi2) == (75_000, 74_999)


def test_the_controllers_table_work_creates_and_checks_in_a_child_process(tmp_path):
    from agents.core.ack_ledger import AckLedger
    from agents.lakehouse.catalog import TableRef
    from agents.lakehouse.rows import RowBatch
    from agents.lakehouse.sink_state import PartitionState
    from agents.lakehouse.iceberg_sink import IcebergSink
    from controller.control.table_work import check_table, create_table

    ref = TableRef(f"sqlite:///{tmp_path / 'cat' / 'catalog.db'}", (tmp_path / "wh").as_uri(), payload_mode="raw")
    create_table(ref)  # makes the catalog's folder too
    rows = RowBatch("run-t", "raw")
    for seq in range(5):
        rows.add("p-0", 1, 0, seq, seq, 1_700_000_000_000_000, 1_700_000_000_000_001, True, b"x")
    IcebergSink(ref, "topic").commit(rows.to_arrow(), {0: None}, {0: PartitionState(5, {"p-0|1": [5, []]})})
    acks = AckLedger("p-0", 1)
    for seq in range(6):  # seq 5 acknowledged, never in the table
        acks.ack(0, seq)
    result = check_table(ref, "topic", "run-t", [acks.to_json()])
    assert result["table_rows"] == 5 and result["table_distinct"] == 5 and result["state_losses"] == 1
