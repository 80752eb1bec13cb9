"""What exactly-once ingestion relies on in pyiceberg: a commit that conflicts with
another writer's fails, instead of being rebased with its (stale) state summary."""

import pytest
from pyiceberg.exceptions import CommitFailedException

from agents.lakehouse.iceberg_sink import IcebergSink, state_of
from agents.lakehouse.rows import RowBatch
from agents.lakehouse.schema import COMMIT_RETRIES
from agents.lakehouse.sink_state import PartitionState


def rows(partition: int, n: int):
    batch = RowBatch("run-c", "ticks")
    for seq in range(n):
        batch.add("p-0", 1, partition, seq, seq, 1_700_000_000_000_000, 1_700_000_000_000_001, True, b"x" * 20)
    return batch.to_arrow()


def test_a_stale_writer_fails_and_the_sink_keeps_every_partitions_state(any_catalog_ref):
    table_ref = any_catalog_ref
    first, second = IcebergSink(table_ref, "t"), IcebergSink(table_ref, "t")
    assert first.table.properties[COMMIT_RETRIES] == "0"
    stale = table_ref.load_or_create()
    first.commit(rows(0, 5), {0: None}, {0: PartitionState(5)})
    with pytest.raises(CommitFailedException):
        stale.append(rows(1, 3))  # a table object from before the other commit
    second.commit(rows(1, 3), {1: None}, {1: PartitionState(3)})
    table = table_ref.load_or_create()
    state = state_of(table, "t")
    assert (state.offset(0), state.offset(1)) == (5, 3)
    assert table.scan().to_arrow().num_rows == 8
