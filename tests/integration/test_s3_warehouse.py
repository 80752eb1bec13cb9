"""The soak table on a real S3 (SeaweedFS), as on a staging cluster: created and checked by
the controller's table child, written by the sink, read by query agents with DuckDB (both
engines), its orphan files deleted, all with the catalog's S3 properties alone."""

from __future__ import annotations

import random
import time

from agents.core.ack_ledger import AckLedger
from agents.core.payloads import tick
from agents.lakehouse.catalog import TableRef
from agents.lakehouse.iceberg_sink import IcebergSink
from agents.lakehouse.maintenance import delete_orphans, table_filesystem
from agents.lakehouse.rows import RowBatch
from agents.lakehouse.sink_state import PartitionState
from agents.query import QueryAgent
from controller.control.table_work import check_table, create_table
from workloads.specs import QuerySpec

RUN = "run-s3"
ROWS = 1_000


def test_a_soak_table_on_s3_is_written_read_checked_and_kept_up(s3_server, tmp_path, monkeypatch):
    ref = TableRef(f"sqlite:///{tmp_path / 'cat' / 'catalog.db'}", f"s3://warehouse/{tmp_path.name}",
                   payload_mode="ticks", properties=tuple(sorted(s3_server.properties().items())))
    create_table(ref)  # in the controller's child process: the properties travel with the ref
    rows, rng = RowBatch(RUN, "ticks"), random.Random(7)
    sent_us = time.time_ns() // 1000
    for seq in range(ROWS):  # market ticks, so the default named queries have their columns
        rows.add("p-0", 1, 0, seq, seq, sent_us, sent_us + 1, True, tick(rng, sent_us, 100))
    IcebergSink(ref, "topic").commit(rows.to_arrow(), {0: None}, {0: PartitionState(ROWS, {"p-0|1": [ROWS, []]})})
    acks = AckLedger("p-0", 1)
    for seq in range(ROWS + 1):  # the last one acknowledged, never in the table
        acks.ack(0, seq)

    table = ref.load_or_create()
    assert table.location().startswith("s3://warehouse/"), table.location()
    for engine in ("plan", "extension"):
        agent = QueryAgent(f"query-{engine}", RUN, ref, QuerySpec(engine=engine))
        agent._open()
        agent._cycle()
        stats = agent.kind_stats()
        assert (stats["cycles"], stats["data_files"], stats["errors"]) == (1, 1, {}), stats
        assert 0 <= stats["freshness_s"] < 600, stats
        found = agent.check([acks.to_json()])
        assert (found["missing"], found["duplicates"], found["unexpected"]) == (1, 0, 0), found

    # An orphan (a commit that died after writing its file) is deleted through the table's
    # own FileIO, and the table stays whole.
    fs, root = table_filesystem(table)
    with fs.open_output_stream(f"{root}/data/orphan-of-a-dead-commit.parquet") as out:
        out.write(b"not referenced")
    assert delete_orphans(table, now_ns=time.time_ns() + 3600 * 10**9, min_age_s=60) == 1

    result = check_table(ref, "topic", RUN, [acks.to_json()])  # DuckDB over the S3 files, in the child
    assert (result["table_rows"], result["table_distinct"], result["missing"]) == (ROWS, ROWS, 1), result
    assert result["state_losses"] == 1, result

    # Keys the usual AWS way instead (environment, profile or role): pyiceberg and DuckDB
    # both take them from the default chain; the properties keep only where S3 is.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.properties()["s3.access-key-id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.properties()["s3.secret-access-key"])
    where = {k: v for k, v in s3_server.properties().items() if k in ("s3.endpoint", "s3.region")}
    agent = QueryAgent("query-chain", RUN, TableRef(ref.catalog_uri, ref.warehouse, ref.identifier, payload_mode="ticks",
                                                    properties=tuple(sorted(where.items()))))
    assert agent.check([acks.to_json()])["missing"] == 1
