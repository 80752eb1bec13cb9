"""Which records of a consumed batch are read for the first time in this assignment (pure).

A batch returned by one `consume()` call can span a rebalance: librdkafka serves the
rebalance callback while it collects the batch, so the records collected before it come
back after the callback has moved the partition to the table's offset, and the same
records follow again from there. Verifying both would count each of them twice (a
duplicate that is not in Kafka). Within an assignment a partition's offsets only ascend,
so a record at or below the highest offset already read from its partition is a re-read.
"""

from __future__ import annotations

import numpy as np


def first_reads(partitions: list[int], offsets: list[int], next_offsets: dict[int, int | None]) -> np.ndarray | None:
    """A mask of the records to verify, or None when every record is a first read.
    `next_offsets`: per partition, the next offset not yet read (None or absent: no bound)."""
    parts = np.asarray(partitions, dtype=np.int64)
    offs = np.asarray(offsets, dtype=np.int64)
    keep = np.ones(len(offs), dtype=bool)
    for part in np.unique(parts).tolist():
        where = np.flatnonzero(parts == part)
        nxt = next_offsets.get(part)
        ours = offs[where]
        highest_before = np.maximum.accumulate(np.r_[-1 if nxt is None else nxt - 1, ours[:-1]])
        keep[where] = ours > highest_before
    return None if keep.all() else keep
