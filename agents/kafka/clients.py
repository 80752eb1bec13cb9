"""Client configuration shared by the agents' Kafka clients."""

from __future__ import annotations

import logging

from confluent_kafka.admin import AdminClient

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
        "statistics.interval.ms": 0,
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
        "fetch.max.bytes": 64 * 1024 * 1024,
        "queued.max.messages.kbytes": 128 * 1024,
        "enable.partition.eof": False,
        "logger": librdkafka_log,
    }
    if instance_id:
        # Static membership: a restarted verifier takes its partitions back at once
        # instead of waiting for the session of its dead predecessor to time out.
        conf["group.instance.id"] = instance_id
    conf.update(overrides)
    return conf


def topic_partitions(bootstrap: str, topic: str, timeout_s: float = 30.0) -> list[int]:
    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": librdkafka_log})
    meta = admin.list_topics(topic, timeout=timeout_s)
    info = meta.topics.get(topic)
    if info is None or info.error is not None or not info.partitions:
        raise RuntimeError(f"topic {topic!r} is not available: {info.error if info else 'missing'}")
    return sorted(info.partitions)


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
