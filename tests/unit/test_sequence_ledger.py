"""SequenceLedger and AckLedger: random streams with known anomalies, classified exactly."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.core.ack_ledger import AckLedger, merge_acks
from agents.core.intervals import IntervalSet
from agents.core.sequence_ledger import SequenceLedger, Verdict, losses, unacknowledged_deliveries

KEY = ("p-0", 7, 0)


def feed(ledger, stream, key=KEY):
    return [ledger.observe(key, seq, crc_ok) for seq, crc_ok in stream]


@st.composite
def faulty_streams(draw):
    """A stream 0..n-1 with disjoint sets of drops, duplicates, adjacent swaps and flipped bytes."""
    n = draw(st.integers(min_value=10, max_value=400))
    rng = random.Random(draw(st.integers(0, 2**32)))
    # Positions 0 and n-1 are kept clean: a drop at the very end is visible only to the
    # final ack check (tested separately), not as a gap.
    slots = list(range(1, n - 2))
    rng.shuffle(slots)
    k = len(slots) // 8
    drops, dups, flips = set(slots[:k]), set(slots[k:2 * k]), set(slots[2 * k:3 * k])
    swaps = set()
    for s in slots[3 * k:]:
        # A swap of (s, s+1) needs both untouched and no neighbouring swap.
        if {s, s + 1} & (drops | dups | flips) or {s - 1, s, s + 1, s + 2} & swaps:
            continue
        swaps.add(s)
    order = list(range(n))
    for s in swaps:
        order[s], order[s + 1] = order[s + 1], order[s]
    stream = []
    for seq in order:
        if seq in drops:
            continue
        stream.append((seq, seq not in flips))
        if seq in dups:
            stream.append((seq, True))
    return n, stream, drops, dups, swaps, flips


@settings(max_examples=300, deadline=None)
@given(faulty_streams())
def test_exact_counts_for_known_anomalies(case):
    n, stream, drops, dups, swaps, flips = case
    ledger = SequenceLedger()
    feed(ledger, stream)
    ledger.commit()
    c = ledger.committed_counts
    assert c.duplicate == len(dups)
    assert c.reordered == len(swaps)
    assert c.corrupt == len(flips)
    assert c.gap_records == len(drops) + len(swaps)
    assert c.records == len(stream)
    acked = {KEY: IntervalSet([(0, n)])}
    lost = losses(acked, ledger.received())
    assert sorted(v for a, b in lost.get(KEY, IntervalSet()) for v in range(a, b)) == sorted(drops)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.booleans()), max_size=150))
def test_matches_a_naive_reference_model(stream):
    """Any stream whatsoever: the interval-based ledger agrees with a plain-set model."""
    ledger = SequenceLedger()
    verdicts = feed(ledger, stream)
    seen, top = set(), -1
    for (seq, crc_ok), verdict in zip(stream, verdicts):
        if seq in seen:
            expected = Verdict.DUPLICATE
        elif seq == top + 1:
            expected = Verdict.IN_ORDER
        elif seq > top + 1:
            expected = Verdict.GAP
        else:
            expected = Verdict.REORDERED
        if not crc_ok:
            expected = Verdict.CORRUPT
        seen.add(seq)
        top = max(top, seq)
        assert verdict == expected
    ledger.commit()
    received = ledger.received().get(KEY, IntervalSet())
    assert {v for a, b in received for v in range(a, b)} == seen


def test_rollback_forgets_uncommitted_records():
    ledger = SequenceLedger()
    feed(ledger, [(0, True), (1, True)])
    ledger.commit()
    feed(ledger, [(2, True), (2, True), (5, True)])
    assert ledger.pending_counts().duplicate == 1
    ledger.rollback()
    # Re-reading the same records after a crash counts them once, not twice.
    feed(ledger, [(2, True), (3, True), (4, True)])
    ledger.commit()
    c = ledger.committed_counts
    assert (c.in_order, c.duplicate, c.gaps) == (5, 0, 0)


def test_partition_state_round_trip_continues_the_stream():
    first = SequenceLedger()
    feed(first, [(0, True), (1, True), (3, True)], key=("p-0", 1, 2))
    feed(first, [(0, True)], key=("p-1", 9, 2))
    feed(first, [(0, True)], key=("p-0", 1, 0))
    first.commit()
    state = first.partition_state(2)
    assert set(state) == {"p-0|1", "p-1|9"}

    second = SequenceLedger()
    second.load_partition_state(2, state)
    assert second.observe(("p-0", 1, 2), 2) is Verdict.REORDERED
    assert second.observe(("p-0", 1, 2), 4) is Verdict.IN_ORDER
    assert second.observe(("p-1", 9, 2), 1) is Verdict.IN_ORDER
    second.forget_partition(2)
    assert list(second.keys()) == []


def test_streams_are_independent_per_incarnation_and_partition():
    ledger = SequenceLedger()
    assert ledger.observe(("p", 1, 0), 0) is Verdict.IN_ORDER
    assert ledger.observe(("p", 2, 0), 0) is Verdict.IN_ORDER  # a restarted producer starts at 0
    assert ledger.observe(("p", 1, 1), 0) is Verdict.IN_ORDER


def test_ack_ledger_is_compact_and_drives_the_loss_check():
    acks = AckLedger("p-0", 7)
    for seq in range(100_000):
        acks.ack(0, seq)
    acks.ack(1, 0)
    acks.ack(1, 2)  # seq 1 on partition 1 failed
    acks.fail()
    assert acks.acked_count == 100_002 and acks.interval_count == 3 and acks.failed == 1
    assert AckLedger.from_json(acks.to_json()).by_stream() == acks.by_stream()

    received = {("p-0", 7, 0): IntervalSet([(0, 99_990)]), ("p-0", 7, 1): IntervalSet([(0, 3)])}
    lost = losses(merge_acks([acks]), received)
    assert lost == {("p-0", 7, 0): IntervalSet([(99_990, 100_000)])}
    # seq 1 of partition 1 arrived although its delivery was reported failed: not a loss.
    assert unacknowledged_deliveries(merge_acks([acks]), received) == {("p-0", 7, 1): IntervalSet([(1, 2)])}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 40)), max_size=80))
def test_acks_in_bulk_equal_acks_one_by_one(reports):
    import numpy as np

    one, bulk = AckLedger("p-0", 7), AckLedger("p-0", 7)
    for partition, seq in reports:
        one.ack(partition, seq)
    bulk.ack_many(np.array([p for p, _ in reports], dtype=np.int64), np.array([s for _, s in reports], dtype=np.int64))
    assert bulk.by_stream() == one.by_stream() and bulk.acked_count == one.acked_count
