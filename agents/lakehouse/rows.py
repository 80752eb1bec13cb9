"""Building the Arrow batch of verified records (columnar, decoded in bulk)."""

from __future__ import annotations

import io
import json

import numpy as np
import pyarrow as pa
import pyarrow.json as pa_json

from agents.lakehouse.schema import arrow_schema

TICK_JSON_SCHEMA = pa.schema([("symbol", pa.string()), ("price", pa.float64()), ("quantity", pa.int64()),
                              ("side", pa.string()), ("exchange", pa.string()), ("exchange_ts_us", pa.int64())])
UTC_US = pa.timestamp("us", tz="UTC")


class RowBatch:
    """Columns of the records consumed since the last commit."""

    def __init__(self, run_id: str, mode: str):
        self.run_id = run_id
        self.mode = mode
        self.schema = arrow_schema(mode)
        self.clear()

    def clear(self) -> None:
        self.producer_id: list[str] = []
        self.incarnation: list[int] = []
        self.partition: list[int] = []
        self.offset: list[int] = []
        self.seq: list[int] = []
        self.sent_us: list[int] = []
        self.ingest_us: list[int] = []
        self.crc_ok: list[bool] = []
        self.values: list[bytes] = []
        self.payload_errors = 0

    def __len__(self) -> int:
        return len(self.seq)

    def add(self, producer_id: str, incarnation: int, partition: int, offset: int, seq: int, sent_us: int,
            ingest_us: int, crc_ok: bool, value: bytes) -> None:
        self.producer_id.append(producer_id)
        self.incarnation.append(incarnation)
        self.partition.append(partition)
        self.offset.append(offset)
        self.seq.append(seq)
        self.sent_us.append(sent_us)
        self.ingest_us.append(ingest_us)
        self.crc_ok.append(crc_ok)
        self.values.append(value)

    def extend(self, producer_ids: list[str], incarnations, partitions, offsets: list[int], seqs, sent_us,
               ingest_us: int, crc_ok, values: list[bytes]) -> None:
        """Many records at once (array-likes of equal length, as `add` takes one)."""
        self.producer_id.extend(producer_ids)
        self.incarnation.extend(np.asarray(incarnations).tolist())
        self.partition.extend(np.asarray(partitions).tolist())
        self.offset.extend(offsets)
        self.seq.extend(np.asarray(seqs).tolist())
        self.sent_us.extend(np.asarray(sent_us).tolist())
        self.ingest_us.extend([ingest_us] * len(values))
        self.crc_ok.extend(np.asarray(crc_ok).tolist())
        self.values.extend(values)

    def to_arrow(self) -> pa.Table:
        n = len(self)
        cols = {
            "run_id": pa.array([self.run_id] * n, pa.string()),
            "producer_id": pa.array(self.producer_id, pa.string()),
            "incarnation": pa.array(self.incarnation, pa.int64()),
            "partition": pa.array(self.partition, pa.int32()),
            "offset": pa.array(self.offset, pa.int64()),
            "seq": pa.array(self.seq, pa.int64()),
            "sent_ts": pa.array(self.sent_us, pa.int64()).cast(UTC_US),
            "ingest_ts": pa.array(self.ingest_us, pa.int64()).cast(UTC_US),
            "crc_ok": pa.array(self.crc_ok, pa.bool_()),
        }
        if self.mode == "ticks":
            cols.update(self._ticks())
        else:
            cols["payload"] = pa.array(self.values, pa.binary())
        return pa.table(cols, schema=self.schema)

    def _ticks(self) -> dict[str, pa.Array]:
        # A corrupt payload may not even be JSON: its row keeps the envelope, payload nulls.
        lines = [v if ok else b"{}" for v, ok in zip(self.values, self.crc_ok)]
        try:
            block = max(1 << 20, 2 * max((len(v) for v in lines), default=0) + 2)
            parsed = pa_json.read_json(
                io.BytesIO(b"\n".join(lines)),
                read_options=pa_json.ReadOptions(block_size=block, use_threads=False),
                parse_options=pa_json.ParseOptions(explicit_schema=TICK_JSON_SCHEMA,
                                                   unexpected_field_behavior="ignore"))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            parsed = self._ticks_one_by_one(lines)
        if parsed.num_rows != len(lines):
            parsed = self._ticks_one_by_one(lines)
        return {"symbol": parsed["symbol"], "price": parsed["price"], "quantity": parsed["quantity"],
                "side": parsed["side"], "exchange": parsed["exchange"],
                "exchange_ts": parsed["exchange_ts_us"].cast(UTC_US)}

    def _ticks_one_by_one(self, lines: list[bytes]) -> pa.Table:
        rows = []
        for line in lines:
            try:
                row = json.loads(line)
                rows.append({k: row.get(k) for k in TICK_JSON_SCHEMA.names})
            except (ValueError, UnicodeDecodeError, AttributeError):
                self.payload_errors += 1
                rows.append({})
        return pa.Table.from_pylist(rows, schema=TICK_JSON_SCHEMA)
