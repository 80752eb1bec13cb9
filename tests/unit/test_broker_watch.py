"""BrokerWatch: a client replaced only after knowing no broker for the whole limit."""

from __future__ import annotations

import json
import socket
import time

from confluent_kafka import Producer

from agents.kafka.broker_watch import BrokerWatch, known_brokers


def test_known_brokers_counts_the_statistics_broker_entries():
    assert known_brokers(json.dumps({"brokers": {}})) == 0
    assert known_brokers(json.dumps({"name": "p#producer-1"})) == 0
    two = {"brokers": {"a:9092/1": {"nodeid": 1}, "a:9092/bootstrap": {"nodeid": -1}}}
    assert known_brokers(json.dumps(two)) == 2


def test_known_brokers_reads_librdkafkas_own_statistics():
    # A client whose bootstrap server is down still knows that server: one broker entry.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens on it once closed
    seen: list[str] = []
    producer = Producer({"bootstrap.servers": f"127.0.0.1:{port}", "statistics.interval.ms": 100,
                         "stats_cb": seen.append, "log_level": 0})
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        producer.poll(0.1)
    assert seen, "no statistics from librdkafka"
    assert known_brokers(seen[-1]) == 1


def test_lost_only_after_the_limit_without_a_broker():
    watch = BrokerWatch(limit_s=20)
    watch.observe(0, 1)
    watch.observe(10, 0)
    assert not watch.lost(29.9)
    assert watch.lost(30)


def test_a_broker_seen_again_starts_the_limit_over():
    watch = BrokerWatch(limit_s=20)
    watch.observe(0, 0)
    watch.observe(15, 1)  # a rebootstrap librdkafka did by itself
    watch.observe(16, 0)
    assert not watch.lost(30)
    assert watch.lost(36)


def test_reset_forgets_the_lost_client():
    watch = BrokerWatch(limit_s=5)
    watch.observe(0, 0)
    assert watch.lost(10)
    watch.reset()
    assert not watch.lost(100)
