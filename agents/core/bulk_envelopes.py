"""The envelopes of a whole consumed batch, each record classified on its own (pure).

A record's class never depends on what else is in its batch:
  - its key is an intact key of this run: the envelope is read from the key;
  - its key is a damaged key of this run (agents/core/record_key.py): the record is corrupt; it
    takes its place in its stream by the repaired key (one flipped bit) or else by its headers,
    and when neither tells who it is it is counted corrupt without a place (`unplaced`);
  - otherwise, its headers when they are this run's;
  - otherwise it is foreign (another run's, or not a soak record) and is left out.

The common case costs little per record: every key of the batch is checked at once in NumPy
columns, and only the records whose key is not an intact one of ours are looked at one by one.
The placed records are cut into segments: consecutive records of one stream (producer,
incarnation, partition) with consecutive sequence numbers. A segment whose records are all
intact and that starts where its stream's ledger expects it is in order as a whole
(`SequenceLedger.observe_run`); anything else goes record by record.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress
from typing import Callable

import numpy as np

from agents.core.envelope import CRC, RUN, decode
from agents.core.record_key import (CHECK_LEN, CRC_AT, HEAD_LEN, INTACT_RESIDUE, MAGIC_V1, MAGIC_V2, MIN_LEN_V1,
                                    MIN_LEN_V2, SENT_AT, SEQ_AT, STREAM_AT, KeyVerdict, crc32c, read_key, stream_of)

HeadersOf = Callable[[list[int]], list]  # batch positions -> those records' headers


@dataclass
class Segment:
    key: tuple[str, int, int]  # (producer id, incarnation, partition)
    start: int
    stop: int
    crc_ok: bool  # every record of the segment is intact


@dataclass
class DecodedBatch:
    """The placed records of a batch, as columns in batch order, and what was left out."""

    rows: np.ndarray  # per placed record: its position in the consumed batch
    producer_codes: np.ndarray  # per placed record: an index into producer_names
    producer_names: list[str]
    incarnations: np.ndarray
    partitions: np.ndarray
    seqs: np.ndarray
    sent_us: np.ndarray
    crc_ok: np.ndarray  # payload CRC and envelope both intact
    segments: list[Segment]
    damaged: np.ndarray  # batch positions of placed records whose envelope was damaged
    repaired: np.ndarray  # those of them placed by their repaired key (the others: by their headers)
    unplaced: np.ndarray  # batch positions of damaged records of ours that could not be placed
    foreign: int

    @property
    def all_placed(self) -> bool:
        return len(self.unplaced) == 0 and self.foreign == 0


@dataclass
class _Columns:
    """Per record of the batch (length n): stream code (-1: not placed), seq, sent ns, declared
    payload CRC, and whether the envelope was intact."""

    codes: np.ndarray
    seqs: np.ndarray
    sent_ns: np.ndarray
    declared: np.ndarray
    envelope_ok: np.ndarray

    @classmethod
    def empty(cls, n: int) -> "_Columns":
        return cls(np.full(n, -1, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64),
                   np.ones(n, bool))


class _Streams:
    """(producer id, incarnation) -> a small code, shared by every path of one batch."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, int], int] = {}

    def code(self, stream: tuple[str, int]) -> int:
        return self.index.setdefault(stream, len(self.index))


def decode_batch(tag: bytes, run_id: bytes, partitions: list[int], keys: list, headers_of: HeadersOf,
                 values: list[bytes]) -> DecodedBatch:
    """Classify and decode every record of a consumed batch (see the module's docstring)."""
    n = len(keys)
    cols, streams = _Columns.empty(n), _Streams()
    rest = _from_intact_keys(tag, keys, cols, streams)
    damaged: list[int] = []
    repaired: list[int] = []
    unplaced: list[int] = []
    foreign = 0
    if rest:
        need_headers: list[int] = []
        for i in rest:
            verdict, fields, was_repaired = read_key(keys[i], tag)
            if fields is not None:
                cols.codes[i] = streams.code((fields.producer_id, fields.incarnation))
                cols.seqs[i], cols.sent_ns[i], cols.declared[i] = fields.seq, fields.sent_ns, fields.crc
            if verdict is KeyVerdict.DAMAGED:
                cols.envelope_ok[i] = False
                damaged.append(i)
                if was_repaired:
                    repaired.append(i)
            if fields is None:
                need_headers.append(i)
        if need_headers:
            _from_headers(run_id, need_headers, headers_of(need_headers), cols, streams)
        unplaced = [i for i in damaged if cols.codes[i] < 0]
        damaged = [i for i in damaged if cols.codes[i] >= 0]
        foreign = sum(1 for i in need_headers if cols.codes[i] < 0) - len(unplaced)
    placed = np.flatnonzero(cols.codes >= 0)
    everything = len(placed) == n
    kept_values = values if everything else [values[i] for i in placed.tolist()]
    payload_ok = np.fromiter(map(crc32c, kept_values), np.int64, len(placed)) == cols.declared[placed]
    names = [s[0] for s in streams.index]
    incs = np.array([s[1] for s in streams.index], dtype=np.int64)
    codes = cols.codes[placed]
    parts = np.asarray(partitions, dtype=np.int64)[placed]
    seqs = cols.seqs[placed]
    crc_ok = payload_ok & cols.envelope_ok[placed]
    return DecodedBatch(placed, codes, names, incs[codes], parts, seqs, cols.sent_ns[placed] // 1000, crc_ok,
                        _segments(codes, list(streams.index), parts, seqs, crc_ok),
                        np.asarray(damaged, np.int64), np.asarray(repaired, np.int64),
                        np.asarray(unplaced, np.int64), foreign)


def _from_intact_keys(tag: bytes, keys: list, cols: _Columns, streams: _Streams) -> list[int]:
    """Fill `cols` from every intact key of this run, at once; the positions of the others."""
    n = len(keys)
    if None in keys:
        keys = [k or b"" for k in keys]
    lens = np.fromiter(map(len, keys), np.int64, n)
    width = int(lens.max()) if n else 0
    if width < MIN_LEN_V1:
        return list(range(n))
    rows = np.array(keys, dtype=f"S{width}").view(np.uint8).reshape(n, width)
    head = rows[:, :HEAD_LEN]
    v1 = (head == np.frombuffer(MAGIC_V1 + tag, np.uint8)).all(axis=1) & (lens >= MIN_LEN_V1)
    v2 = (head == np.frombuffer(MAGIC_V2 + tag, np.uint8)).all(axis=1) & (lens >= MIN_LEN_V2)
    if v2.any():
        at = np.flatnonzero(v2)
        sums = np.fromiter(map(crc32c, keys if len(at) == n else compress(keys, v2)), np.int64, len(at))
        v2[at[sums != INTACT_RESIDUE]] = False
        at = np.flatnonzero(v2)
        # The checksums differ record by record: blank them so a stream's keys compare equal.
        rows[at[:, None], lens[at, None] - CHECK_LEN + np.arange(CHECK_LEN)] = 0
    ours = v1 | v2
    at = np.flatnonzero(ours)
    if len(at):
        rows = rows if len(at) == n else rows[at]
        stream = rows[:, STREAM_AT:]
        # A stream's records come in runs: its identity is looked up once per run, not per record.
        starts = np.flatnonzero(np.r_[True, (stream[1:] != stream[:-1]).any(axis=1)])
        stops = np.r_[starts[1:], len(at)]
        run_codes = []
        for s in at[starts].tolist():
            end = len(keys[s]) - (CHECK_LEN if v2[s] else 0)
            found = stream_of(keys[s][STREAM_AT:end])
            run_codes.append(streams.code(found) if found and found[0] else -1)
        codes = np.repeat(np.asarray(run_codes, dtype=np.int64), stops - starts)
        cols.codes[at] = codes
        cols.seqs[at] = _column(rows, SEQ_AT, ">i8")
        cols.sent_ns[at] = _column(rows, SENT_AT, ">i8")
        cols.declared[at] = _column(rows, CRC_AT, ">u4")
    return np.flatnonzero(cols.codes < 0).tolist()


def _from_headers(run_id: bytes, positions: list[int], headers: list, cols: _Columns, streams: _Streams) -> None:
    """Place the records at `positions` whose headers are this run's (the others stay unplaced)."""
    bulk = _header_columns(run_id, headers)
    if bulk is not None:  # every one in our own layout: decoded at once
        producers, incarnations, seqs, sent_ns, declared = bulk
        at = np.asarray(positions, dtype=np.int64)
        cols.codes[at] = [streams.code(s) for s in zip(producers, incarnations)]
        cols.seqs[at], cols.sent_ns[at], cols.declared[at] = seqs, sent_ns, declared
        return
    wanted = run_id.decode(errors="replace")
    for i, h in zip(positions, headers):
        env = decode(h)
        if env is None or env.run_id != wanted:
            continue
        cols.codes[i] = streams.code((env.producer_id, env.incarnation))
        cols.seqs[i], cols.sent_ns[i], cols.declared[i] = env.seq, env.sent_ns, env.crc


def _header_columns(run_id: bytes, headers: list):
    """The envelope columns of records that all carry this run's headers in our own layout,
    or None when any does not."""
    n = len(headers)
    try:
        if {(h[0][0], h[0][1], h[5][0]) for h in headers} != {(RUN, run_id, CRC)}:
            return None
        producers = [h[1][1].decode() for h in headers]
        incarnations = [int(h[2][1]) for h in headers]
        seqs = np.fromiter(map(int, [h[3][1] for h in headers]), np.int64, n)
        sent_ns = np.fromiter(map(int, [h[4][1] for h in headers]), np.int64, n)
        declared = np.fromiter(map(int, [h[5][1] for h in headers]), np.int64, n)
    except (TypeError, IndexError, ValueError, OverflowError, UnicodeDecodeError):
        return None  # None headers, a short list, a value that is not a decimal number
    return producers, incarnations, seqs, sent_ns, declared


def key_seqs_and_sent_ns(keys: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The sequence numbers and send times (ns) of a producer's own records, from their keys."""
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows = np.array(keys, dtype=f"S{max(map(len, keys))}").view(np.uint8).reshape(len(keys), -1)
    return _column(rows, SEQ_AT, ">i8"), _column(rows, SENT_AT, ">i8")


def _column(rows: np.ndarray, at: int, dtype: str) -> np.ndarray:
    width = np.dtype(dtype).itemsize
    return np.ascontiguousarray(rows[:, at:at + width]).view(dtype)[:, 0].astype(np.int64)


def _segments(codes: np.ndarray, streams: list[tuple[str, int]], parts: np.ndarray, seqs: np.ndarray,
              crc_ok: np.ndarray) -> list[Segment]:
    n = len(codes)
    if n == 0:
        return []
    continues = np.zeros(n, dtype=bool)  # record i continues the segment of record i-1
    continues[1:] = (codes[1:] == codes[:-1]) & (parts[1:] == parts[:-1]) & (seqs[1:] == seqs[:-1] + 1)
    starts = np.flatnonzero(~continues)
    stops = np.append(starts[1:], n)
    bad = np.add.reduceat((~crc_ok).astype(np.int64), starts)
    return [Segment((*streams[c], int(p)), int(a), int(b), not int(x))
            for a, b, c, p, x in zip(starts.tolist(), stops.tolist(), codes[starts].tolist(),
                                     parts[starts].tolist(), bad.tolist())]
