"""Bulk verification of a consumed batch, from the record keys or from the headers, classifies,
counts and stores every record exactly as the record-by-record path does: in-order runs, gaps,
duplicates, reordering, bad CRCs, interleaved streams and partitions, another run's records,
damaged keys and headers."""

from __future__ import annotations

from hypothesis import given, settings
from confluent_kafka import Message
from hypothesis import strategies as st

from agents.consumer import ConsumerVerifierAgent
from agents.core.bulk_envelopes import decode_headers, decode_keys
from agents.clock import FakeClock
from agents.core.envelope import EnvelopeWriter, crc32c, run_tag
from agents.lakehouse.catalog import TableRef
from workloads.specs import ConsumerSpec

RUN = "run-bulk"


def FakeMessage(partition: int, offset: int, headers, value: bytes | None, key: bytes | None = None) -> Message:
    """A consumed record, as confluent-kafka builds it (the verifier reads its columns with
    Message's own methods)."""
    return Message(topic="topic", partition=partition, offset=offset, headers=headers, value=value, key=key)


def _messages(spec, run_id: str = RUN, after: int = 0) -> list[FakeMessage]:
    """Records in offset order; `after`: how many came before them on each partition."""
    offsets = {0: 100 + after, 1: 200 + after, 2: 300 + after}
    out = []
    for producer, incarnation, partition, seq, corrupt in spec:
        value = f"{producer}:{seq}".encode()
        crc = crc32c(value) ^ (1 if corrupt else 0)
        writer = EnvelopeWriter(run_id, producer, incarnation)
        sent_ns = 1_700_000_000_000_000_000 + seq
        offsets[partition] += 1
        out.append(FakeMessage(partition, offsets[partition], writer.headers(seq, sent_ns, crc), value,
                               writer.key(seq, sent_ns, crc)))
    return out


def _verifier() -> ConsumerVerifierAgent:
    # A TableRef so that it keeps rows; nothing here opens it.
    return ConsumerVerifierAgent("c-0", RUN, "topic", "localhost:1", "group",
                                 TableRef("sqlite:///unused.db", "file:///unused", payload_mode="raw"),
                                 ConsumerSpec(write_table=True), FakeClock(wall_ns=5_000))


def _one_by_one(messages) -> ConsumerVerifierAgent:
    agent = _verifier()
    agent._process_one_by_one([m.partition() for m in messages], [m.offset() for m in messages],
                              [m.headers() for m in messages], [m.value() or b"" for m in messages], 5)
    return agent


def _state(agent: ConsumerVerifierAgent):
    ledger = agent.ledger
    streams = {k: s.to_json() for k, s in ledger._pending.items()}
    rows = agent.batch.to_arrow().to_pylist()
    return ledger.pending_counts().as_dict(), streams, rows, agent.foreign


def _bulk(messages) -> ConsumerVerifierAgent:
    agent = _verifier()
    agent._process(messages)
    return agent


def _columns(messages):
    return [m.partition() for m in messages], [m.value() or b"" for m in messages]


def _without_keys(messages):
    for m in messages:
        m.set_key(None)
    return messages


@settings(max_examples=300, deadline=None)
# A record: (producer, incarnation, partition, seq, corrupt)
@given(st.lists(st.tuples(st.sampled_from(["p-0", "p-1", "producer-10"]), st.integers(0, 1), st.integers(0, 2),
                          st.integers(0, 12), st.booleans()), min_size=1, max_size=60))
def test_keys_headers_and_one_by_one_agree_on_every_batch(spec):
    messages = _messages(spec)
    parts, values = _columns(messages)
    from_keys = decode_keys(run_tag(RUN), parts, [m.key() for m in messages], values)
    from_headers = decode_headers(RUN.encode(), parts, [m.headers() for m in messages], values)
    assert from_keys is not None and from_headers is not None
    for field in ("incarnations", "partitions", "seqs", "sent_us", "crc_ok"):
        assert getattr(from_keys, field).tolist() == getattr(from_headers, field).tolist()
    names = [from_keys.producer_names[c] for c in from_keys.producer_codes.tolist()]
    assert names == [from_headers.producer_names[c] for c in from_headers.producer_codes.tolist()]
    assert from_keys.segments == from_headers.segments
    one_by_one = _state(_one_by_one(messages))
    assert _state(_bulk(messages)) == one_by_one
    assert _state(_bulk(_without_keys(messages))) == one_by_one


def test_an_in_order_batch_is_a_few_segments():
    spec = [("p-0", 0, p, s, False) for p in range(3) for s in range(1000)]
    messages = _messages(spec)
    parts, values = _columns(messages)
    decoded = decode_keys(run_tag(RUN), parts, [m.key() for m in messages], values)
    assert [(s.key, s.stop - s.start, s.crc_ok) for s in decoded.segments] == [
        (("p-0", 0, p), 1000, True) for p in range(3)]
    agent = _bulk(messages)
    assert agent.ledger.pending_counts().in_order == 3000 and agent.consumed == 3000 and len(agent.batch) == 3000
    assert agent._next == {0: 1101, 1: 1201, 2: 1301}


def test_a_corrupt_record_is_counted_once_and_its_segment_checked_record_by_record():
    spec = [("p-0", 0, 0, s, s == 5) for s in range(10)]
    agent = _bulk(_messages(spec))
    counts = agent.ledger.pending_counts()
    assert (counts.in_order, counts.corrupt) == (9, 1)
    assert agent.batch.to_arrow()["crc_ok"].to_pylist() == [s != 5 for s in range(10)]


def test_keys_of_another_run_or_damaged_fall_back_to_the_headers():
    ours = _messages([("p-0", 0, 0, s, False) for s in range(4)])
    other_run_key = _messages([("p-0", 0, 0, 4, False)], after=4)
    other_run_key[0].set_key(_messages([("p-0", 0, 0, 4, False)], run_id="run-other")[0].key())
    short_key = _messages([("p-0", 0, 0, 4, False)], after=4)
    short_key[0].set_key(short_key[0].key()[:30])
    for extra in (other_run_key, short_key):
        messages = ours + extra
        parts, values = _columns(messages)
        assert decode_keys(run_tag(RUN), parts, [m.key() for m in messages], values) is None
        bulk = _bulk(messages)
        assert bulk.ledger.pending_counts().in_order == 5 and bulk.foreign == 0
        assert _state(bulk) == _state(_one_by_one(messages))


def test_foreign_or_damaged_records_take_the_one_by_one_path():
    ours = _messages([("p-0", 0, 0, s, False) for s in range(4)])
    theirs = _messages([("p-9", 0, 0, 0, False)], run_id="run-other", after=4)
    plain = [FakeMessage(1, 7, None, b"not a soak record")]
    damaged = _without_keys(_messages([("p-0", 0, 1, 4, False)]))
    hdrs = damaged[0].headers()
    damaged[0].set_headers(hdrs[:3] + [("soak.seq", b"four")] + hdrs[4:])
    for extra in (theirs, plain, damaged):
        messages = ours + extra
        parts, values = _columns(messages)
        assert decode_keys(run_tag(RUN), parts, [m.key() for m in messages], values) is None
        assert decode_headers(RUN.encode(), parts, [m.headers() for m in messages], values) is None
        bulk = _bulk(messages)
        assert _state(bulk) == _state(_one_by_one(messages))
        assert bulk.foreign == 1 and bulk.consumed == 5 and bulk.ledger.pending_counts().in_order == 4


def test_verification_alone_keeps_no_rows():
    agent = ConsumerVerifierAgent("c-0", RUN, "topic", "localhost:1", "group", None,
                                  ConsumerSpec(write_table=False), FakeClock(wall_ns=5_000))
    agent._process(_messages([("p-0", 0, 0, s, False) for s in range(10)]))
    assert agent.ledger.pending_counts().in_order == 10 and len(agent.batch) == 0


def test_records_with_the_key_only_are_verified_from_it():
    spec = [("p-0", 0, 0, s, s == 3) for s in range(6)] + [("p-1", 2, 1, s, False) for s in (0, 1, 3)]
    messages = _messages(spec)
    for m in messages:
        m.set_headers(None)
    agent = _bulk(messages)
    counts = agent.ledger.pending_counts()
    assert (counts.in_order, counts.corrupt, counts.gap_records, agent.foreign) == (7, 1, 1, 0)
    assert len(agent.batch) == 9
