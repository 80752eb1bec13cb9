from hypothesis import given, settings
from hypothesis import strategies as st

from agents.core.intervals import IntervalSet

values = st.lists(st.integers(min_value=0, max_value=300), max_size=200)


def as_set(s: IntervalSet) -> set[int]:
    return {v for a, b in s for v in range(a, b)}


def well_formed(s: IntervalSet) -> bool:
    pairs = list(s)
    return all(a < b for a, b in pairs) and all(b1 < a2 for (_, b1), (a2, _) in zip(pairs, pairs[1:]))


@given(values)
def test_add_matches_a_python_set(xs):
    s, ref = IntervalSet(), set()
    for x in xs:
        assert s.add(x) == (x not in ref)
        ref.add(x)
    assert as_set(s) == ref and len(s) == len(ref) and well_formed(s)


@given(values, values)
def test_remove_matches_a_python_set(adds, removes):
    s = IntervalSet()
    for x in adds:
        s.add(x)
    ref = set(adds)
    for x in removes:
        assert s.remove(x) == (x in ref)
        ref.discard(x)
    assert as_set(s) == ref and well_formed(s)


@given(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 40)), max_size=40), values)
def test_ranges_difference_and_intersection(ranges, other_values):
    s = IntervalSet((a, a + n) for a, n in ranges)
    ref = {v for a, n in ranges for v in range(a, a + n)}
    other = IntervalSet()
    for v in other_values:
        other.add(v)
    assert as_set(s) == ref and well_formed(s)
    assert as_set(s.difference(other)) == ref - set(other_values)
    assert as_set(s.intersection(other)) == ref & set(other_values)
    assert well_formed(s.difference(other))


def test_in_order_values_take_one_interval():
    s = IntervalSet()
    for i in range(1_000_000):
        s.add(i)
    assert s.interval_count == 1 and len(s) == 1_000_000 and s.last() == 999_999


@settings(max_examples=50)
@given(values)
def test_json_round_trip(xs):
    s = IntervalSet()
    for x in xs:
        s.add(x)
    assert IntervalSet.from_list(s.to_list()) == s
