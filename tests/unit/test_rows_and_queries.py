import random

import duckdb
import pytest

from agents.core.payloads import tick
from agents.lakehouse.queries import run_named
from agents.lakehouse.rows import RowBatch
from agents.lakehouse.schema import arrow_schema, iceberg_schema, partition_spec

T0 = 1_700_000_000_000_000


def test_tick_batch_decodes_payload_columns_and_keeps_corrupt_rows_with_null_payload():
    rng = random.Random(3)
    batch = RowBatch("run-1", "ticks")
    payloads = [tick(rng, T0 + i, 120) for i in range(4)]
    for i, value in enumerate(payloads):
        corrupt = i == 2
        batch.add("p-0", 5, 1, 100 + i, i, T0, T0 + 10, not corrupt, b"\x00garbage" if corrupt else value)
    table = batch.to_arrow()
    assert table.schema == arrow_schema("ticks")
    rows = table.to_pylist()
    assert [r["seq"] for r in rows] == [0, 1, 2, 3] and all(r["run_id"] == "run-1" for r in rows)
    assert rows[2]["symbol"] is None and rows[2]["crc_ok"] is False
    assert rows[1]["symbol"] and rows[1]["exchange_ts"].timestamp() == pytest.approx((T0 + 1) / 1e6)
    assert batch.payload_errors == 0


def test_a_payload_that_is_not_json_despite_its_crc_is_counted_not_fatal():
    batch = RowBatch("r", "ticks")
    batch.add("p", 1, 0, 0, 0, T0, T0, True, b"not json at all")
    batch.add("p", 1, 0, 1, 1, T0, T0, True, tick(random.Random(1), T0, 80))
    rows = batch.to_arrow().to_pylist()
    assert rows[0]["symbol"] is None and rows[1]["symbol"] is not None
    assert batch.payload_errors == 1


def test_raw_batches_keep_the_bytes():
    batch = RowBatch("r", "raw")
    batch.add("p", 1, 0, 0, 0, T0, T0, True, b"\x01\x02")
    assert batch.to_arrow()["payload"].to_pylist() == [b"\x01\x02"]
    batch.clear()
    assert len(batch) == 0


def test_iceberg_schema_matches_arrow_and_partitions_by_ingestion_hour():
    schema = iceberg_schema("ticks")
    assert [f.name for f in schema.fields] == arrow_schema("ticks").names
    spec = partition_spec(schema, "hour")
    assert spec.fields[0].source_id == schema.find_field("ingest_ts").field_id
    assert str(spec.fields[0].transform) == "hour"


def test_named_queries_bind_only_their_parameters():
    con = duckdb.connect()
    con.execute("CREATE TABLE events AS SELECT 'p' AS producer_id, 7::BIGINT AS seq")
    params = {"producer_id": "p", "seq": 7, "window_start": None}
    assert run_named(con, "SELECT * FROM events WHERE producer_id = $producer_id AND seq = $seq", params) == 1
    assert run_named(con, "SELECT count(*) FROM events", params) == 1
    with pytest.raises(ValueError, match="needs parameters"):
        run_named(con, "SELECT * FROM events WHERE seq = $nope", params)
