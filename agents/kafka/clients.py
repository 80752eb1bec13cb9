"""Client configuration shared by the agents' Kafka clients."""

from __future__ import annotations

import logging
import time

from confluent_kafka.admin import AdminClient

from agents.kafka.broker_watch import STATS_INTERVAL_MS

# librdkafka's own log lines (connection refused while a broker restarts, ...) go to
# Python logging at WARNING instead of raw stderr.
librdkafka_log = logging.getLogger("soak.librdkafka")


def producer_config(bootstrap: str, overrides: dict) -> dict:
    conf = {
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "enable.idempotence": True,
        "linger.ms": 5,
        "batch.num.messages": 10_000,
        "queue.buffering.max.messages": 200_000,
        "queue.buffering.max.kbytes": 256 * 1024,
        # A broker outage longer than this turns into counted delivery failures.
        "message.timeout.ms": 300_000,
        # Read by the agent's BrokerWatch (a client that forgot every broker is replaced).
        "statistics.interval.ms": STATS_INTERVAL_MS,
        "logger": librdkafka_log,
    }
    conf.update(overrides)
    return conf


def consumer_config(bootstrap: str, group_id: str, instance_id: str | None, session_timeout_ms: int,
                    overrides: dict) -> dict:
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": session_timeout_ms,
        "heartbeat.interval.ms": max(500, session_timeout_ms // 5),
        # A small prefetch: a verifier that falls behind would otherwise fill up to 64 MB
        # (librdkafka's default) of fetched records, and its memory would follow its lag
        # rather than stay flat (which is what the leak detector judges it by).
        "fetch.max.bytes": 8 * 1024 * 1024,
        "queued.max.messages.kbytes": 16 * 1024,
        "queued.min.messages": 20_000,
        # librdkafka pauses fetching for this long whenever that queue is full (1 s by
        # default): with a queue this small, a verifier read at a tenth of its speed.
        "fetch.queue.backoff.ms": 10,
        "enable.partition.eof": False,
        "statistics.interval.ms": STATS_INTERVAL_MS,
        "logger": librdkafka_log,
    }
    if instance_id:
        # Static membership: a restarted verifier takes its partitions back at once
        # instead of waiting for the session of its dead predecessor to time out.
        conf["group.instance.id"] = instance_id
    conf.update(overrides)
    return conf


def topic_partitions(bootstrap: str, topic: str, timeout_s: float = 30.0) -> list[int]:
    """The topic's partitions. A topic created a moment ago may not be in every broker's
    metadata yet (UNKNOWN_TOPIC_OR_PART, or no partitions): asked again until `timeout_s`."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": librdkafka_log})
    deadline = time.monotonic() + timeout_s
    while True:
        meta = admin.list_topics(topic, timeout=max(1.0, deadline - time.monotonic()))
        info = meta.topics.get(topic)
        if info is not None and info.error is None and info.partitions:
            return sorted(info.partitions)
        if time.monotonic() >= deadline:
            raise RuntimeError(f"topic {topic!r} is not available: {info.error if info else 'missing'}")
        time.sleep(0.2)


def ensure_topic(bootstrap: str, topic: str, partitions: int, replication_factor: int,
                 timeout_s: float = 30.0) -> bool:
    """Create the topic unless it exists (idempotent); True if this call created it."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": librdkafka_log})
    future = admin.create_topics([NewTopic(topic, partitions, replication_factor)],
                                 request_timeout=timeout_s)[topic]
    try:
        future.result(timeout=timeout_s)
    except KafkaException as exc:
        if exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
            return False
        raise
    return True
