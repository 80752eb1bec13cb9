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
    """The rows consumed since the last commit, kept as Arrow chunks: a consumed batch
    becomes columns at once, and no Python object per record outlives its batch."""

    def __init__(self, run_id: str, mode: str):
        self.run_id = run_id
        self.mode = mode
        self.schema = arrow_schema(mode)
        self._chunk_schema = pa.schema(list(self.schema)[1:])  # every column but the run id
        self.payload_errors = 0
        self.clear()

    def clear(self) -> None:
        self._chunks: list[pa.Table] = []
        self._sent_us: list[np.ndarray] = []
        self._rows: list[tuple] = []  # records added one at a time, not yet in a chunk
        self._chunked = 0

    def __len__(self) -> int:
        return self._chunked + len(self._rows)

    def add(self, producer_id: str, incarnation: int, partition: int, offset: int, seq: int, sent_us: int,
            ingest_us: int, crc_ok: bool, value: bytes) -> None:
        self._rows.append((producer_id, incarnation, partition, offset, seq, sent_us, ingest_us, crc_ok, value))

    def extend(self, producer_codes, producer_names: list[str], incarnations, partitions, offsets, seqs, sent_us,
               ingest_us: int, crc_ok, values: list[bytes]) -> None:
        """Many records at once: per record an index into `producer_names`, and array-likes
        of equal length, as `add` takes one."""
        self._flush_rows()
        producers = pa.array(producer_names, pa.string()).take(pa.array(producer_codes, pa.int64()))
        self._append(producers, incarnations, partitions, offsets, seqs, sent_us,
                     np.full(len(values), ingest_us, dtype=np.int64), crc_ok, values)

    def sent_us(self) -> np.ndarray:
        """Every row's send time (us), in row order."""
        self._flush_rows()
        return np.concatenate(self._sent_us) if self._sent_us else np.zeros(0, dtype=np.int64)

    def to_arrow(self) -> pa.Table:
        self._flush_rows()
        rows = pa.concat_tables(self._chunks) if self._chunks else self._chunk_schema.empty_table()
        return rows.add_column(0, self.schema.field("run_id"), pa.repeat(pa.scalar(self.run_id), len(rows)))

    def _flush_rows(self) -> None:
        if not self._rows:
            return
        columns = list(zip(*self._rows))
        self._rows = []
        self._append(pa.array(columns[0], pa.string()), *columns[1:8], list(columns[8]))

    def _append(self, producers: pa.Array, incarnations, partitions, offsets, seqs, sent_us, ingest_us, crc_ok,
                values: list[bytes]) -> None:
        sent = np.asarray(sent_us, dtype=np.int64)
        ok = np.asarray(crc_ok, dtype=bool)
        columns = [producers, pa.array(np.asarray(incarnations, dtype=np.int64)),
                   pa.array(np.asarray(partitions, dtype=np.int32)), pa.array(np.asarray(offsets, dtype=np.int64)),
                   pa.array(np.asarray(seqs, dtype=np.int64)), pa.array(sent).cast(UTC_US),
                   pa.array(np.asarray(ingest_us, dtype=np.int64)).cast(UTC_US), pa.array(ok)]
        if self.mode == "ticks":
            columns += self._ticks(values, ok)
        else:
            columns.append(pa.array(values, pa.binary()))
        self._chunks.append(pa.Table.from_arrays(columns, schema=self._chunk_schema))
        self._sent_us.append(sent)
        self._chunked += len(sent)

    def _ticks(self, values: list[bytes], crc_ok: np.ndarray) -> list[pa.Array]:
        # A corrupt payload may not even be JSON: its row keeps the envelope, payload nulls.
        lines = [v if ok else b"{}" for v, ok in zip(values, crc_ok.tolist())]
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
        return [parsed["symbol"], parsed["price"], parsed["quantity"], parsed["side"], parsed["exchange"],
                parsed["exchange_ts_us"].cast(UTC_US)]

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
