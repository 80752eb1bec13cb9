"""Bulk verification of a consumed batch classifies, counts and stores every record exactly
as the record-by-record path does: in-order runs, gaps, duplicates, reordering, bad CRCs,
interleaved streams and partitions, another run's records and damaged headers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.consumer import ConsumerVerifierAgent
from agents.core.bulk_envelopes import decode_batch
from agents.clock import FakeClock
from agents.core.envelope import HeaderWriter, crc32c
from workloads.specs import ConsumerSpec

RUN = "run-bulk"


class FakeMessage:
    def __init__(self, partition: int, offset: int, headers, value: bytes | None):
        self._p, self._o, self._h, self._v = partition, offset, headers, value

    def error(self):
        return None

    def partition(self):
        return self._p

    def offset(self):
        return self._o

    def headers(self):
        return self._h

    def value(self):
        return self._v


def _messages(spec, run_id: str = RUN) -> list[FakeMessage]:
    offsets = {0: 100, 1: 200, 2: 300}
    out = []
    for producer, incarnation, partition, seq, corrupt in spec:
        value = f"{producer}:{seq}".encode()
        crc = crc32c(value) ^ (1 if corrupt else 0)
        headers = HeaderWriter(run_id, producer, incarnation).headers(seq, 1_700_000_000_000_000_000 + seq, crc)
        offsets[partition] += 1
        out.append(FakeMessage(partition, offsets[partition], headers, value))
    return out


def _verifier() -> ConsumerVerifierAgent:
    return ConsumerVerifierAgent("c-0", RUN, "topic", "localhost:1", "group", None,
                                 ConsumerSpec(write_table=False), FakeClock(wall_ns=5_000))


def _one_by_one(messages) -> ConsumerVerifierAgent:
    agent = _verifier()
    agent._process_one_by_one([m.partition() for m in messages], [m.offset() for m in messages],
                              [m.headers() for m in messages], [m.value() or b"" for m in messages], 5)
    return agent


def _state(agent: ConsumerVerifierAgent):
    ledger = agent.ledger
    streams = {k: s.to_json() for k, s in ledger._pending.items()}
    b = agent.batch
    rows = list(zip(b.producer_id, b.incarnation, b.partition, b.offset, b.seq, b.sent_us, b.crc_ok, b.values))
    return ledger.pending_counts().as_dict(), streams, rows, agent.foreign


def _bulk(messages) -> ConsumerVerifierAgent:
    agent = _verifier()
    agent._process(messages)
    return agent


@settings(max_examples=300, deadline=None)
# A record: (producer, incarnation, partition, seq, corrupt)
@given(st.lists(st.tuples(st.sampled_from(["p-0", "p-1"]), st.integers(0, 1), st.integers(0, 2),
                          st.integers(0, 12), st.booleans()), min_size=1, max_size=60))
def test_bulk_and_one_by_one_agree_on_every_batch(spec):
    messages = _messages(spec)
    assert decode_batch(RUN.encode(), [m.partition() for m in messages], [m.headers() for m in messages],
                        [m.value() for m in messages]) is not None
    assert _state(_bulk(messages)) == _state(_one_by_one(messages))


def test_an_in_order_batch_is_a_few_segments():
    spec = [("p-0", 0, p, s, False) for p in range(3) for s in range(1000)]
    messages = _messages(spec)
    decoded = decode_batch(RUN.encode(), [m.partition() for m in messages], [m.headers() for m in messages],
                           [m.value() for m in messages])
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
    assert agent.batch.crc_ok == [s != 5 for s in range(10)]


def test_foreign_or_damaged_records_take_the_one_by_one_path():
    ours = _messages([("p-0", 0, 0, s, False) for s in range(4)])
    theirs = _messages([("p-9", 0, 0, 0, False)], run_id="run-other")
    plain = [FakeMessage(1, 7, None, b"not a soak record")]
    damaged = _messages([("p-0", 0, 1, 4, False)])
    damaged[0]._h = damaged[0]._h[:3] + [("soak.seq", b"four")] + damaged[0]._h[4:]
    for extra in (theirs, plain, damaged):
        messages = ours + extra
        assert decode_batch(RUN.encode(), [m.partition() for m in messages], [m.headers() for m in messages],
                            [m.value() or b"" for m in messages]) is None
        bulk = _bulk(messages)
        assert _state(bulk) == _state(_one_by_one(messages))
        assert bulk.foreign == 1 and bulk.consumed == 5 and bulk.ledger.pending_counts().in_order == 4
