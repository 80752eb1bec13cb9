"""The lag poller hands the control loop each new reading once, each new failure once, and
never makes it wait for a read (a broker outage makes every read wait out its timeout); a
group coordinator that is not ready yet is no reading, not a failure."""

from __future__ import annotations

import threading
import time

import pytest
from confluent_kafka import KafkaError, KafkaException

from controller.sampling.lag import coordinator_not_ready
from controller.sampling.lag_poller import LagPoller


class Source:
    def __init__(self):
        self.results: list = []

    def read(self):
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


def poller(source: Source, stamps=None) -> LagPoller:
    stamps = stamps if stamps is not None else iter(range(100, 10_000))
    return LagPoller(source.read, 1.0, lambda: next(stamps))


def test_each_reading_is_taken_once_stamped_when_its_read_started():
    source = Source()
    p = poller(source, iter([7, 8]))
    assert p.take() is None
    source.results = [{0: 5}, {0: 3}]
    p.poll_once()
    p.poll_once()
    assert p.take() == ({0: 3}, 8)  # the newest
    assert p.take() is None


def test_a_failure_is_raised_once_and_a_reading_before_it_still_delivered():
    source = Source()
    p = poller(source)
    source.results = [{0: 1}, TimeoutError("broker down")]
    p.poll_once()
    p.poll_once()
    assert p.take()[0] == {0: 1}
    with pytest.raises(TimeoutError):
        p.take()
    assert p.take() is None
    source.results = [RuntimeError("first"), {0: 0}]
    p.poll_once()
    p.poll_once()  # a reading after a failure clears it
    assert p.take()[0] == {0: 0} and p.take() is None


def test_no_reading_yet_is_neither_a_reading_nor_a_failure():
    source = Source()
    p = poller(source)
    source.results = [{0: 4}, None]
    p.poll_once()
    p.poll_once()  # the coordinator was not ready: the earlier reading stays the newest
    assert p.take()[0] == {0: 4}
    source.results = [None]
    p.poll_once()
    assert p.take() is None


def test_only_a_coordinator_that_is_not_ready_means_no_reading_yet():
    for code in (KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                 KafkaError.COORDINATOR_NOT_AVAILABLE):
        assert coordinator_not_ready(KafkaException(KafkaError(code)))
    assert not coordinator_not_ready(KafkaException(KafkaError(KafkaError._TRANSPORT)))
    assert not coordinator_not_ready(KafkaException(KafkaError(KafkaError._TIMED_OUT)))
    assert not coordinator_not_ready(TimeoutError("broker down"))
    assert not coordinator_not_ready(KafkaException("no KafkaError inside"))


def test_a_slow_read_never_blocks_take_and_stop_ends_the_thread():
    release = threading.Event()

    def slow():
        release.wait(5)
        return {0: 9}

    p = LagPoller(slow, 0.01, time.time_ns)
    p.start()
    started = time.monotonic()
    assert p.take() is None and time.monotonic() - started < 0.5
    release.set()
    deadline = time.monotonic() + 5
    while (reading := p.take()) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert reading[0] == {0: 9}
    p.stop()
    assert not p._thread.is_alive()
