import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.core.histogram import BUCKETS, MAX_VALUE, LatencyHistogram, bucket_index, bucket_upper


def test_small_values_are_exact():
    v = np.arange(0, 2048)
    assert (bucket_index(v) == v).all()
    assert (bucket_upper(v) == v).all()


@settings(max_examples=500)
@given(st.integers(min_value=0, max_value=MAX_VALUE))
def test_every_value_lies_in_its_bucket_within_a_tenth_of_a_percent(value):
    i = int(bucket_index(np.asarray([value]))[0])
    upper = int(bucket_upper(i))
    assert 0 <= i < BUCKETS
    assert value <= upper <= value + max(0, value) // 1000 + 1
    if i > 0:
        assert int(bucket_upper(i - 1)) < value  # the buckets tile the line


def test_percentiles_match_numpy_within_precision():
    rng = np.random.default_rng(7)
    values = rng.lognormal(mean=8, sigma=1.2, size=200_000).astype(np.int64)
    h = LatencyHistogram()
    h.record_many(values)
    for p in (50, 90, 99, 99.9):
        exact = np.percentile(values, p, method="inverted_cdf")
        assert abs(h.percentile(p) - exact) <= exact * 0.001 + 1, p
    assert h.total == values.size and h.max_value == values.max()


def test_merge_equals_recording_everything_in_one():
    rng = np.random.default_rng(1)
    a_vals, b_vals = rng.integers(1, 10**7, 5000), rng.integers(1, 10**4, 5000)
    a, b, both = LatencyHistogram(), LatencyHistogram(), LatencyHistogram()
    a.record_many(a_vals)
    b.record_many(b_vals)
    both.record_many(np.concatenate([a_vals, b_vals]))
    a.merge(b)
    assert (a.counts == both.counts).all() and a.percentile(99) == both.percentile(99)


def test_sparse_json_round_trip_and_bounds():
    h = LatencyHistogram()
    h.record_many([5, 5, 3000, MAX_VALUE * 4])
    h.record(-3)  # clock steps backwards: counted as 0, not lost
    back = LatencyHistogram.from_json(h.to_json())
    assert (back.counts == h.counts).all() and back.total == 5 and back.overflow == 1
    assert back.summary() == h.summary()
    assert len(h.to_json()["i"]) == 4
    assert LatencyHistogram().percentile(99) == 0
