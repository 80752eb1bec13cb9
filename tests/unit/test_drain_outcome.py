"""When the end phase's drain is over: zero lag read after the producers stopped, or the
drain limit, counted from the stop or from a resumed controller's start."""

from controller.control.end_phase import DRAIN_TIMEOUT, DRAINED, drain_outcome

S = 1_000_000_000
STOP = 1_000 * S
LIMIT_S = 300.0


def outcome(now_s: float, lag_read_s: float, lag_left: int, watched_from_s: float = 0.0):
    return drain_outcome(STOP, int(watched_from_s * S), int(now_s * S), int(lag_read_s * S), lag_left, LIMIT_S)


def test_zero_lag_counts_only_when_read_after_the_stop():
    assert outcome(1_010, lag_read_s=1_005, lag_left=0) == DRAINED
    assert outcome(1_010, lag_read_s=999, lag_left=0) is None  # read before the producers stopped
    assert outcome(1_010, lag_read_s=1_005, lag_left=12) is None


def test_the_limit_counts_from_the_stop():
    assert outcome(1_000 + LIMIT_S, lag_read_s=1_290, lag_left=5) is None
    assert outcome(1_000 + LIMIT_S + 1, lag_read_s=1_290, lag_left=5) == DRAIN_TIMEOUT


def test_a_resumed_controller_gets_the_whole_limit_again():
    # The controller died at 1,060 s and a new one started at 1,600 s, past the first limit.
    assert outcome(1_600, lag_read_s=1_599, lag_left=4_212, watched_from_s=1_600) is None
    assert outcome(1_600 + LIMIT_S, lag_read_s=1_890, lag_left=10, watched_from_s=1_600) is None
    assert outcome(1_600 + LIMIT_S + 1, lag_read_s=1_890, lag_left=10, watched_from_s=1_600) == DRAIN_TIMEOUT
    assert outcome(1_650, lag_read_s=1_640, lag_left=0, watched_from_s=1_600) == DRAINED
