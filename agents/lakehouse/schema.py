"""The soak table: one row per consumed Kafka record, envelope first, then the payload."""

from __future__ import annotations

import pyarrow as pa
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import DayTransform, HourTransform
from pyiceberg.types import (BinaryType, BooleanType, DoubleType, IntegerType, LongType, NestedField, StringType,
                             TimestamptzType)

ENVELOPE_FIELDS = [
    ("run_id", StringType(), pa.string()),
    ("producer_id", StringType(), pa.string()),
    ("incarnation", LongType(), pa.int64()),
    ("partition", IntegerType(), pa.int32()),
    ("offset", LongType(), pa.int64()),
    ("seq", LongType(), pa.int64()),
    ("sent_ts", TimestamptzType(), pa.timestamp("us", tz="UTC")),
    ("ingest_ts", TimestamptzType(), pa.timestamp("us", tz="UTC")),
    ("crc_ok", BooleanType(), pa.bool_()),
]
TICK_FIELDS = [
    ("symbol", StringType(), pa.string()),
    ("price", DoubleType(), pa.float64()),
    ("quantity", LongType(), pa.int64()),
    ("side", StringType(), pa.string()),
    ("exchange", StringType(), pa.string()),
    ("exchange_ts", TimestamptzType(), pa.timestamp("us", tz="UTC")),
]
RAW_FIELDS = [("payload", BinaryType(), pa.binary())]


def fields_for(mode: str):
    return ENVELOPE_FIELDS + (TICK_FIELDS if mode == "ticks" else RAW_FIELDS)


def iceberg_schema(mode: str) -> Schema:
    return Schema(*[NestedField(i, name, typ, required=False)
                    for i, (name, typ, _) in enumerate(fields_for(mode), start=1)])


def arrow_schema(mode: str) -> pa.Schema:
    return pa.schema([pa.field(name, arrow_type, nullable=True) for name, _, arrow_type in fields_for(mode)])


def partition_spec(schema: Schema, granularity: str = "hour") -> PartitionSpec:
    """Time partitions by ingestion time: a closed partition never receives rows again,
    which is what makes compacting it safe while verifiers keep appending."""
    source = schema.find_field("ingest_ts").field_id
    transform = HourTransform() if granularity == "hour" else DayTransform()
    return PartitionSpec(PartitionField(source_id=source, field_id=1000, transform=transform,
                                        name=f"ingest_{granularity}"))


COMMIT_RETRIES = "commit.retry.num-retries"
TABLE_PROPERTIES = {
    # Metadata files stay bounded over a 24 h run of frequent commits.
    "write.metadata.delete-after-commit.enabled": "true",
    "write.metadata.previous-versions-max": "20",
    "write.parquet.compression-codec": "zstd",
    # pyiceberg would otherwise retry a conflicting commit by rebasing it onto the other
    # writer's snapshot, summary and all: a verifier's offsets and ledgers, read before
    # the other commit, would land as the table's state. A conflict must come back to
    # the sink, which re-reads the state and checks its fence again.
    COMMIT_RETRIES: "0",
}
