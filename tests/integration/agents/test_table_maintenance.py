"""Table upkeep on a real SqlCatalog + local warehouse, read back with DuckDB."""

from __future__ import annotations

import os
import time

import pyarrow as pa

from agents.lakehouse.catalog import TableRef
from agents.lakehouse.duckdb_iceberg import connect
from agents.lakehouse.iceberg_sink import IcebergSink, state_of
from agents.lakehouse.maintenance import referenced_files, run_maintenance
from agents.lakehouse.rows import RowBatch
from agents.lakehouse.sink_state import PartitionState
from workloads.specs import MaintenanceSpec

HOUR_US = 3_600_000_000
ROWS_PER_COMMIT = 200


def commit_rows(sink: IcebergSink, start_seq: int, ingest_us: int) -> None:
    batch = RowBatch("run-m", "raw")
    for seq in range(start_seq, start_seq + ROWS_PER_COMMIT):
        batch.add("p-0", 1, 0, seq, seq, ingest_us, ingest_us, True, b"x" * 20)
    before = sink.load_state().offset(0)
    end = start_seq + ROWS_PER_COMMIT
    sink.commit(batch.to_arrow(), {0: before}, {0: PartitionState(end, {"p-0|1": [end, []]})})


def data_files(table) -> list[str]:
    return [t.file.file_path for t in table.scan().plan_files()]


def test_compaction_expiry_and_orphan_cleanup_keep_every_row_and_the_state(tmp_path):
    ref = TableRef(f"sqlite:///{tmp_path / 'catalog.db'}", (tmp_path / "warehouse").as_uri(), payload_mode="raw")
    sink = IcebergSink(ref, "topic-m")
    now_us = time.time_ns() // 1000
    old_hour = (now_us // HOUR_US - 3) * HOUR_US
    seq = 0
    for i in range(12):  # twelve small commits into an hour that closed long ago
        commit_rows(sink, seq, old_hour + i * 1_000_000)
        seq += ROWS_PER_COMMIT
    for i in range(3):  # and three into the current hour, still open
        commit_rows(sink, seq, now_us + i)
        seq += ROWS_PER_COMMIT
    table = ref.load_or_create()
    assert len(data_files(table)) == 15 and len(table.snapshots()) == 15
    state_before = state_of(table, "topic-m")

    location = table.location().removeprefix("file://")
    old_orphan = os.path.join(location, "data", "orphan-old.parquet")
    young_orphan = os.path.join(location, "data", "orphan-young.parquet")
    for path in (old_orphan, young_orphan):
        with open(path, "wb") as f:
            f.write(b"not referenced by any snapshot")
    # Maintenance runs "two hours from now", with an orphan age guard of 90 minutes: the
    # files this test wrote are then two hours old; the young orphan was written ten
    # minutes before that "now", as if by a commit still in flight.
    later = time.time() + 7200
    os.utime(old_orphan, (later - 4 * 3600, later - 4 * 3600))
    os.utime(young_orphan, (later - 600, later - 600))
    spec = MaintenanceSpec(snapshot_max_age_s=3600, min_snapshots=2, compact_min_files=4, closed_after_s=600,
                           orphan_min_age_s=5400)
    result = run_maintenance(table, "topic-m", spec, now_ns=int(later * 1e9))

    table = ref.load_or_create()
    files = data_files(table)
    assert result.compacted_partitions == 1 and result.files_rewritten == 12
    assert len(files) == 1 + 3, files  # the closed hour is one file, the open hour untouched
    assert len(table.snapshots()) <= 4 and result.expired_snapshots >= 12
    assert state_of(table, "topic-m") == state_before, "the consumer state must survive compaction"

    assert not os.path.exists(old_orphan) and os.path.exists(young_orphan)
    on_disk = {os.path.join(d, f) for d, _, fs in os.walk(os.path.join(location, "data")) for f in fs
               if f.endswith(".parquet")}
    assert {f.removeprefix("file://") for f in files} <= on_disk
    assert len(on_disk) == len(files) + 1  # replaced files are gone, only the young orphan remains
    assert all(os.path.exists(p) for p in referenced_files(table) if p.endswith((".avro", ".json")))

    count, distinct, hi = connect().execute(
        "SELECT count(*), count(DISTINCT seq), max(seq) FROM iceberg_scan(?)", [table.metadata_location]).fetchone()
    assert (count, distinct, hi) == (seq, seq, seq - 1)
    rows = table.scan().to_arrow().sort_by("seq")
    assert rows["seq"].to_pylist() == list(range(seq))
    assert rows.schema.field("payload").type == pa.binary()
