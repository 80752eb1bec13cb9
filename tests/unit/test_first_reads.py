"""A batch consumed across a rebalance holds records read before it and the same records
again from the table's offset: each is verified once."""

from __future__ import annotations

import numpy as np

from agents.core.first_reads import first_reads


def test_an_ordinary_batch_is_all_first_reads():
    assert first_reads([0, 1, 0, 1], [10, 5, 11, 6], {0: 10, 1: None}) is None


def test_records_read_again_after_a_rewind_are_dropped():
    # partition 0: 10..12 read, then the rebalance rewinds to 10 and 10..13 come again
    parts = [0, 0, 0, 1, 0, 0, 0, 0]
    offs = [10, 11, 12, 7, 10, 11, 12, 13]
    keep = first_reads(parts, offs, {0: 10, 1: 7})
    assert keep.tolist() == [True, True, True, True, False, False, False, True]


def test_records_below_the_next_offset_are_dropped():
    keep = first_reads([2, 2], [4, 5], {2: 5})
    assert isinstance(keep, np.ndarray) and keep.tolist() == [False, True]
