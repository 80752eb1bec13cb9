"""The soak table: one row per consumed Kafka record, envelope first, then the payload.

The types are named here and built on use, Iceberg's and Arrow's: the controller imports
this module (through the workload model) and keeps pyiceberg and pyarrow out of its
long-lived process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.partitioning import PartitionSpec
    from pyiceberg.schema import Schema

ENVELOPE_FIELDS = [
    ("run_id", "string"),
    ("producer_id", "string"),
    ("incarnation", "long"),
    ("partition", "int"),
    ("offset", "long"),
    ("seq", "long"),
    ("sent_ts", "timestamptz"),
    ("ingest_ts", "timestamptz"),
    ("crc_ok", "boolean"),
]
TICK_FIELDS = [
    ("symbol", "string"),
    ("price", "double"),
    ("quantity", "long"),
    ("side", "string"),
    ("exchange", "string"),
    ("exchange_ts", "timestamptz"),
]
RAW_FIELDS = [("payload", "binary")]


def fields_for(mode: str):
    return ENVELOPE_FIELDS + (TICK_FIELDS if mode == "ticks" else RAW_FIELDS)


def iceberg_schema(mode: str) -> Schema:
    from pyiceberg import types
    from pyiceberg.schema import Schema

    built = {"string": types.StringType, "long": types.LongType, "int": types.IntegerType,
             "timestamptz": types.TimestamptzType, "boolean": types.BooleanType, "double": types.DoubleType,
             "binary": types.BinaryType}
    return Schema(*[types.NestedField(i, name, built[typ](), required=False)
                    for i, (name, typ) in enumerate(fields_for(mode), start=1)])


def arrow_schema(mode: str) -> pa.Schema:
    import pyarrow as pa

    built = {"string": pa.string(), "long": pa.int64(), "int": pa.int32(), "timestamptz": pa.timestamp("us", tz="UTC"),
             "boolean": pa.bool_(), "double": pa.float64(), "binary": pa.binary()}
    return pa.schema([pa.field(name, built[typ], nullable=True) for name, typ in fields_for(mode)])


def partition_spec(schema: Schema, granularity: str = "hour") -> PartitionSpec:
    """Time partitions by ingestion time: a closed partition never receives rows again,
    which is what makes compacting it safe while verifiers keep appending."""
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import DayTransform, HourTransform

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
