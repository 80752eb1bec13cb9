import json
import random

import pytest

from agents.core.envelope import CRC, SEQ, EnvelopeWriter, crc32c, decode
from agents.core.payloads import PayloadPool, SizeDistribution, tick


def test_headers_round_trip():
    h = EnvelopeWriter("run-1", "producer-3", 42).headers(seq=7, sent_ns=1_700_000_000_123_456_789, crc=99)
    env = decode(h)
    assert (env.run_id, env.producer_id, env.incarnation, env.seq, env.sent_ns, env.crc) == (
        "run-1", "producer-3", 42, 7, 1_700_000_000_123_456_789, 99)
    assert dict(h)[SEQ] == b"7"  # readable by other tools


def test_headers_in_any_order_and_foreign_records():
    h = EnvelopeWriter("r", "p", 1).headers(1, 2, 3)
    assert decode(list(reversed(h))) == decode(h)
    assert decode(None) is None and decode([("other", b"1")]) is None
    broken = [(k, b"not-a-number" if k == CRC else v) for k, v in h]
    assert decode(broken) is None


def test_crc32c_known_vector():
    assert crc32c(b"123456789") == 0xE3069283


def test_tick_is_json_of_the_requested_size():
    raw = tick(random.Random(1), 1_700_000_000_000_000, 200)
    body = json.loads(raw)
    assert len(raw) == 200
    assert set(body) >= {"symbol", "price", "quantity", "side", "exchange_ts_us", "exchange"}
    assert len(tick(random.Random(1), 0, 10)) > 10  # never truncated below the content


@pytest.mark.parametrize("mode", ["ticks", "raw"])
def test_pool_payloads_carry_their_crc(mode):
    pool = PayloadPool(mode, SizeDistribution("uniform", low=50, high=300), seed=3, pool_size=64)
    pool.refill(now_us=0)
    assert len(pool.payloads) == 64
    assert all(crc32c(p) == c for p, c in zip(pool.payloads, pool.crcs))
    assert all(50 <= len(p) <= 300 for p in pool.payloads) or mode == "ticks"


def test_size_distributions():
    rng = random.Random(0)
    logn = SizeDistribution("lognormal", mean=1000, low=100, high=5000, sigma=1.0)
    sizes = [logn.sample(rng) for _ in range(2000)]
    assert min(sizes) >= 100 and max(sizes) <= 5000
    assert 700 < sorted(sizes)[1000] < 1400
    with pytest.raises(ValueError):
        SizeDistribution("zipf").sample(rng)
    with pytest.raises(ValueError):
        PayloadPool("avro", SizeDistribution(), 1)


def test_the_key_packs_the_same_envelope_in_fixed_places():
    import struct

    import crc32c

    from agents.core.record_key import MAGIC_V2, run_tag

    key = EnvelopeWriter("run-1", "producer-3", 42).key(seq=7, sent_ns=1_700_000_000_123_456_789, crc=99)
    assert key[:4] == MAGIC_V2 and key[4:12] == run_tag("run-1") != run_tag("run-2")
    assert struct.unpack(">qqIq", key[12:40]) == (7, 1_700_000_000_123_456_789, 99, 42)
    assert key[40:-4] == b"producer-3"
    assert key[-4:] == crc32c.crc32c(key[:-4]).to_bytes(4, "little")
