from agents.core.correctness import compare
from agents.core.intervals import IntervalSet

K1, K2 = ("p-0", 1, 0), ("p-0", 1, 1)


def test_exact_table_is_ok():
    r = compare({K1: [(0, 100, 100)]}, {K1: IntervalSet([(0, 100)])})
    assert r.ok and r.missing == 0 and r.duplicates == 0 and r.summary()["rows"] == 100


def test_missing_duplicated_and_unexpected_rows_are_counted_with_examples():
    islands = {K1: [(0, 40, 41), (45, 100, 55)], K2: [(0, 12, 12)]}
    acked = {K1: IntervalSet([(0, 100)]), K2: IntervalSet([(0, 10)])}
    r = compare(islands, acked)
    assert (r.missing, r.duplicates, r.unexpected) == (5, 1, 2)
    s = r.summary()
    assert not s["ok"]
    assert s["examples"]["missing"] == [["p-0|1|0", 40, 45]]
    assert s["examples"]["duplicated"] == [["p-0|1|0", 1]]
    assert s["examples"]["unexpected"] == [["p-0|1|1", 10, 12]]
    assert r.streams[K1].min_seq == 0 and r.streams[K1].max_seq == 99


def test_a_stream_absent_from_the_table_is_all_missing():
    r = compare({}, {K1: IntervalSet([(0, 7)])})
    assert r.missing == 7 and r.streams[K1].rows == 0


def test_unsettled_check_ignores_the_tail_still_in_flight():
    islands = {K1: [(0, 50, 50)]}
    acked = {K1: IntervalSet([(0, 80)])}
    assert compare(islands, acked, settled=False).missing == 0
    assert compare(islands, acked, settled=True).missing == 30
    holes = {K1: [(0, 20, 20), (30, 50, 20)]}
    assert compare(holes, acked, settled=False).missing == 10
