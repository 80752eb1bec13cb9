"""Plain confluent-kafka produce/consume used by the foundation tests."""

from __future__ import annotations

import logging
import time
import uuid

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic


# librdkafka's connection errors go to this logger, not to the test output.
_client_log = logging.getLogger("tests.kafka-client")
_client_log.addHandler(logging.NullHandler())
_client_log.propagate = False


def create_topic(bootstrap: str, partitions: int = 3) -> str:
    name = f"t-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])[name].result(30)
    return name


def produce(bootstrap: str, topic: str, count: int, timeout_s: float = 60.0) -> tuple[int, list]:
    """Produce `count` keyed records with acks=all; returns (acknowledged, errors)."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 5, "message.timeout.ms": int(timeout_s * 1000),
                         "logger": _client_log})
    acked, errors = 0, []

    def on_delivery(err, _msg):
        nonlocal acked
        if err is None:
            acked += 1
        else:
            errors.append(err)

    for i in range(count):
        while True:
            try:
                producer.produce(topic, key=str(i).encode(), value=f"value-{i}".encode(),
                                 on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(timeout_s + 10)
    assert remaining == 0, f"{remaining} records still in flight after {timeout_s} s"
    return acked, errors


def consume_keys(bootstrap: str, topic: str, expected: int, timeout_s: float = 60.0) -> list[int]:
    """Read the topic from the beginning with a fresh group until `expected` records or timeout."""
    return [int(key) for key, _ in consume_records(bootstrap, topic, expected, timeout_s)]


def consume_records(bootstrap: str, topic: str, expected: int, timeout_s: float = 60.0) -> list[tuple[bytes, bytes]]:
    """(key, value) of each record, read from the beginning with a fresh group until
    `expected` records or timeout."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{uuid.uuid4().hex[:8]}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    records: list[tuple[bytes, bytes]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1000, timeout=1.0):
                if msg.error():
                    if msg.error().code() != KafkaError._PARTITION_EOF:
                        raise RuntimeError(msg.error())
                    continue
                records.append((msg.key(), msg.value()))
    finally:
        consumer.close()
    return records
