"""A verifier classifies every record on its own, whatever else shares its batch.

The property test draws random mixes across partitions: this run's records with the envelope in
the key only, in the headers only, or both (and old version-1 keys); another run's records, also
reusing this run's producer ids and sequences; records with no envelope; truncated, missing and
bit-flipped keys; duplicates, reorders and gaps; batches of 1 to 5,000 records. Its oracle knows
what each record truly is (the generator made it) and classifies it record by record with code
written here, apart from the verifier's: every class count and every table row must equal it.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass

from confluent_kafka import Message
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.clock import FakeClock
from agents.consumer import ConsumerVerifierAgent
from agents.core.bulk_envelopes import decode_batch
from agents.core.envelope import EnvelopeWriter, crc32c, run_tag
from agents.lakehouse.catalog import TableRef
from workloads.specs import ConsumerSpec

RUN, OTHER_RUN = "run-bulk", "run-earlier"
PRODUCERS = ("p-0", "p-1", "producer-10")
HEAD_LEN = 12  # magic and run tag: a key cut shorter than this cannot be told from a foreign one


def FakeMessage(partition: int, offset: int, headers, value: bytes | None, key: bytes | None = None) -> Message:
    """A consumed record, as confluent-kafka builds it (the verifier reads its columns with
    Message's own methods)."""
    return Message(topic="topic", partition=partition, offset=offset, headers=headers, value=value, key=key)


def v1_key(run_id: str, producer: str, incarnation: int, seq: int, sent_ns: int, crc: int) -> bytes:
    """A key as producers wrote it before the envelope checksum (version 1)."""
    return (b"SKE1" + run_tag(run_id) + struct.pack(">qqIq", seq, sent_ns, crc, incarnation) + producer.encode())


# -- the generator ---------------------------------------------------------------------------------
@dataclass
class Truth:
    """What a generated record is, as its maker knows it."""

    partition: int
    ours: bool  # a record of this run
    stream: tuple[str, int] | None = None
    seq: int = 0
    payload_ok: bool = True
    layout: str = "both"  # key, headers, both, v1
    key_damage: str = "none"  # none, flip, truncate, missing


def _streams(rng: random.Random, n: int) -> list[tuple[str, int, int]]:
    """(producer, incarnation, seq) draws of one partition's streams, with gaps, duplicates
    and reorders."""
    nexts: dict[tuple[str, int], int] = {}
    out: list[tuple[str, int, int]] = []
    while len(out) < n:
        stream = (rng.choice(PRODUCERS), rng.randint(0, 1))
        seq = nexts.get(stream, 0)
        roll = rng.random()
        if roll < 0.04:
            seq += rng.randint(1, 5)  # a gap
        elif roll < 0.08 and seq:
            seq = rng.randint(max(0, seq - 50), seq - 1)  # a duplicate or a late (reordered) record
        nexts[stream] = max(nexts.get(stream, 0), seq + 1)
        out.append((*stream, seq))
    return out


def generate(seed: int, n: int, mix: dict[str, float]) -> tuple[list[Message], list[Truth]]:
    rng = random.Random(seed)
    partitions = rng.randint(1, 4)
    draws = {p: iter(_streams(rng, n)) for p in range(partitions)}
    offsets = {p: 1000 * p for p in range(partitions)}
    messages, truths = [], []
    for _ in range(n):
        p = rng.randrange(partitions)
        offsets[p] += 1
        producer, incarnation, seq = next(draws[p])
        roll = rng.random()
        value = rng.randbytes(rng.randint(0, 40))
        sent_ns = 1_700_000_000_000_000_000 + 1000 * rng.randint(0, 10**9)
        if roll < mix["other_run"]:  # another run's record, maybe with our producer id and seq
            writer = EnvelopeWriter(OTHER_RUN, producer, incarnation)
            crc = crc32c(value)
            layout = rng.choice(("key", "headers", "both"))
            key = writer.key(seq, sent_ns, crc) if layout != "headers" else None
            if key is not None and rng.random() < 0.2:
                key = _flip(rng, key)
            headers = writer.headers(seq, sent_ns, crc) if layout != "key" else None
            messages.append(FakeMessage(p, offsets[p], headers, value, key))
            truths.append(Truth(p, ours=False))
            continue
        if roll < mix["other_run"] + mix["plain"]:  # not a soak record at all
            key = rng.choice((None, b"", rng.randbytes(rng.randint(1, 60))))
            headers = rng.choice((None, [("trace-id", rng.randbytes(8))]))
            messages.append(FakeMessage(p, offsets[p], headers, value, key))
            truths.append(Truth(p, ours=False))
            continue
        truth = Truth(p, ours=True, stream=(producer, incarnation), seq=seq)
        truth.payload_ok = rng.random() >= mix["bad_payload"]
        crc = crc32c(value) ^ (0 if truth.payload_ok else 1 << rng.randrange(32))
        writer = EnvelopeWriter(RUN, producer, incarnation)
        truth.layout = rng.choice(("key", "headers", "both", "v1"))
        key = (v1_key(RUN, producer, incarnation, seq, sent_ns, crc) if truth.layout == "v1"
               else writer.key(seq, sent_ns, crc) if truth.layout != "headers" else None)
        headers = writer.headers(seq, sent_ns, crc) if truth.layout in ("headers", "both") else None
        if truth.layout in ("key", "both") and rng.random() < mix["damaged_key"]:
            truth.key_damage = rng.choice(("flip", "truncate", "missing") if headers else ("flip", "truncate"))
            if truth.key_damage == "flip":
                key = _flip(rng, key)
            elif truth.key_damage == "truncate":
                key = key[:rng.randrange(len(key))]
            else:
                key = None
        messages.append(FakeMessage(p, offsets[p], headers, value, key))
        truths.append(truth)
    return messages, truths


def _flip(rng: random.Random, key: bytes) -> bytes:
    damaged = bytearray(key)
    damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
    return bytes(damaged)


# -- the oracle --------------------------------------------------------------------------------------
@dataclass
class Expected:
    counts: dict[str, int]
    rows: list[tuple]
    foreign: int
    corrupt_at: set[tuple[int, int]]


def oracle(messages: list[Message], truths: list[Truth]) -> Expected:
    """Record by record, from what each record truly is."""
    counts = dict(in_order=0, gaps=0, gap_records=0, duplicate=0, reordered=0, corrupt=0)
    nexts: dict[tuple, int] = {}
    holes: dict[tuple, set[int]] = {}
    rows, foreign, corrupt_at = [], 0, set()
    for m, t in zip(messages, truths):
        if not t.ours:
            foreign += 1
            continue
        damaged_envelope = t.key_damage == "flip" or (t.key_damage == "truncate" and m.key() is not None
                                                       and len(m.key()) >= HEAD_LEN)
        placed = t.layout == "both" or t.key_damage in ("none", "flip")
        if t.key_damage == "truncate" and not damaged_envelope and t.layout == "key":
            foreign += 1  # cut below its head: nothing says it is ours
            continue
        intact = t.payload_ok and not damaged_envelope
        if not intact:
            corrupt_at.add((m.partition(), m.offset()))
        if not placed:
            counts["corrupt"] += 1
            continue
        stream = (*t.stream, m.partition())
        expected = nexts.get(stream, 0)
        missing = holes.setdefault(stream, set())
        if t.seq == expected:
            verdict = "in_order"
        elif t.seq > expected:
            missing.update(range(expected, t.seq))
            counts["gap_records"] += t.seq - expected
            verdict = "gaps"
        elif t.seq in missing:
            missing.discard(t.seq)
            verdict = "reordered"
        else:
            verdict = "duplicate"
        nexts[stream] = max(expected, t.seq + 1)
        counts[verdict if intact else "corrupt"] += 1
        rows.append((t.stream[0], t.stream[1], m.partition(), m.offset(), t.seq, intact))
    return Expected(counts, rows, foreign, corrupt_at)


# -- the verifier under test ---------------------------------------------------------------------------
def _verifier() -> ConsumerVerifierAgent:
    # A TableRef so that it keeps rows; nothing here opens it.
    return ConsumerVerifierAgent("c-0", RUN, "topic", "localhost:1", "group",
                                 TableRef("sqlite:///unused.db", "file:///unused", payload_mode="raw"),
                                 ConsumerSpec(write_table=True), FakeClock(wall_ns=5_000))


def verify(messages: list[Message], batch_sizes: list[int]) -> ConsumerVerifierAgent:
    agent = _verifier()
    at = 0
    for size in batch_sizes:
        agent._process(messages[at:at + size])
        at += size
    agent._process(messages[at:])
    return agent


def observed(agent: ConsumerVerifierAgent) -> Expected:
    rows = [(r["producer_id"], r["incarnation"], r["partition"], r["offset"], r["seq"], r["crc_ok"])
            for r in agent.batch.to_arrow().to_pylist()]
    agent.corrupt_records.commit()
    corrupt_at = {(p, o) for p, o, _what in agent.corrupt_records.examples()}
    return Expected(agent.ledger.pending_counts().as_dict(), rows, agent.foreign, corrupt_at)


def assert_matches(agent: ConsumerVerifierAgent, expected: Expected) -> None:
    got = observed(agent)
    assert got.counts == expected.counts
    assert got.foreign == expected.foreign
    assert got.rows == expected.rows
    if len(expected.corrupt_at) <= agent.corrupt_records.limit:
        assert got.corrupt_at == expected.corrupt_at
    else:
        assert len(got.corrupt_at) == agent.corrupt_records.limit and got.corrupt_at <= expected.corrupt_at


MIXES = st.fixed_dictionaries({"other_run": st.sampled_from([0.0, 0.01, 0.2]),
                               "plain": st.sampled_from([0.0, 0.01, 0.2]),
                               "bad_payload": st.sampled_from([0.0, 0.01, 0.1]),
                               "damaged_key": st.sampled_from([0.0, 0.005, 0.1])})


@settings(max_examples=120, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.one_of(st.integers(1, 60), st.integers(61, 6_000)), mix=MIXES,
       cuts=st.lists(st.integers(1, 5_000), max_size=4))
def test_every_record_is_classified_and_stored_as_the_oracle_says(seed, n, mix, cuts):
    messages, truths = generate(seed, n, mix)
    assert_matches(verify(messages, cuts), oracle(messages, truths))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(1, 40), mix=MIXES)
def test_one_record_per_batch_is_classified_as_in_one_batch(seed, n, mix):
    messages, truths = generate(seed, n, mix)
    assert_matches(verify(messages, [1] * n), oracle(messages, truths))


def _ours(spec, run_id: str = RUN, headers: bool = True, first_offset: int = 100) -> list[Message]:
    """(producer, incarnation, partition, seq, payload corrupt) -> records in offset order."""
    out = []
    for i, (producer, incarnation, partition, seq, corrupt) in enumerate(spec):
        value = f"{producer}:{seq}".encode()
        crc = crc32c(value) ^ (1 if corrupt else 0)
        writer = EnvelopeWriter(run_id, producer, incarnation)
        sent_ns = 1_700_000_000_000_000_000 + seq
        out.append(FakeMessage(partition, first_offset + i, writer.headers(seq, sent_ns, crc) if headers else None,
                               value, writer.key(seq, sent_ns, crc)))
    return out


def test_a_flipped_bit_anywhere_in_a_key_is_one_corrupt_record_in_its_place():
    spec = [("p-0", 3, 0, s, False) for s in range(6)]
    key_len = len(_ours(spec)[2].key())
    for bit in range(8 * key_len):
        messages = _ours(spec, headers=False)
        key = bytearray(messages[2].key())
        key[bit // 8] ^= 1 << (bit % 8)
        messages[2].set_key(bytes(key))
        agent = verify(messages, [])
        counts = agent.ledger.pending_counts()
        assert (counts.in_order, counts.corrupt, counts.gaps, counts.duplicate, counts.reordered) == (5, 1, 0, 0, 0), bit
        assert agent.batch.to_arrow()["seq"].to_pylist() == list(range(6))
        agent.corrupt_records.commit()
        assert agent.corrupt_records.examples() == [[0, 102, "envelope checksum (one bit, repaired)"]]


def test_a_bit_flip_in_the_sequence_is_not_a_gap_or_a_duplicate():
    messages = _ours([("p-0", 0, 1, s, False) for s in range(1000)], headers=False)
    key = bytearray(messages[500].key())
    key[12 + 7] ^= 0x04  # seq 500 would read as 504: a gap, then a duplicate, without the checksum
    messages[500].set_key(bytes(key))
    counts = verify(messages, []).ledger.pending_counts()
    assert (counts.corrupt, counts.gaps, counts.gap_records, counts.duplicate) == (1, 0, 0, 0)


def test_a_key_damaged_beyond_repair_is_placed_by_its_headers_or_counted_unplaced():
    for headers in (True, False):
        messages = _ours([("p-0", 0, 0, s, False) for s in range(4)], headers=headers)
        key = bytearray(messages[1].key())
        key[14] ^= 0xFF  # eight bits: no single flip explains it
        messages[1].set_key(bytes(key))
        agent = verify(messages, [])
        counts = agent.ledger.pending_counts()
        agent.corrupt_records.commit()
        [(partition, offset, what)] = agent.corrupt_records.examples()
        assert (partition, offset, counts.corrupt) == (0, 101, 1)
        if headers:
            assert (counts.in_order, counts.gaps, len(agent.batch), what) == (3, 0, 4, "envelope checksum")
        else:  # its seq is a hole until the final check: unplaced, and said so
            assert (counts.in_order, counts.gaps, len(agent.batch)) == (2, 1, 3)
            assert what == "envelope damaged, record not identified"


def test_an_in_order_batch_is_a_few_segments():
    messages = _ours([("p-0", 0, p, s, False) for p in range(3) for s in range(1000)])
    decoded = decode_batch(run_tag(RUN), RUN.encode(), [m.partition() for m in messages],
                           [m.key() for m in messages], lambda at: [messages[i].headers() for i in at],
                           [m.value() for m in messages])
    assert [(s.key, s.stop - s.start, s.crc_ok) for s in decoded.segments] == [
        (("p-0", 0, p), 1000, True) for p in range(3)]
    assert decoded.all_placed and len(decoded.rows) == 3000


def test_a_clean_batch_never_reads_headers():
    messages = _ours([("p-0", 0, 0, s, False) for s in range(100)])

    def no_headers(at):
        raise AssertionError(f"headers read for {at}")

    decoded = decode_batch(run_tag(RUN), RUN.encode(), [0] * 100, [m.key() for m in messages], no_headers,
                           [m.value() for m in messages])
    assert len(decoded.rows) == 100 and decoded.crc_ok.all()


def test_verification_alone_keeps_no_rows():
    agent = ConsumerVerifierAgent("c-0", RUN, "topic", "localhost:1", "group", None,
                                  ConsumerSpec(write_table=False), FakeClock(wall_ns=5_000))
    agent._process(_ours([("p-0", 0, 0, s, False) for s in range(10)]))
    assert agent.ledger.pending_counts().in_order == 10 and len(agent.batch) == 0


def test_a_rolled_back_batch_forgets_its_corrupt_records():
    agent = _verifier()
    agent._process(_ours([("p-0", 0, 0, s, s == 2) for s in range(4)]))
    agent._drop_uncommitted([0])
    agent.corrupt_records.commit()
    assert agent.corrupt_records.examples() == [] and agent.ledger.pending_counts().corrupt == 0
