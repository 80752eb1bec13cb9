"""Consumer lag per partition, from the broker (AdminClient): newest offset minus the
offset the consumer group committed.

The verifiers commit offsets to Kafka only after the Iceberg commit that holds those
records, so this lag is "records not yet in the table": the end phase drains it to zero.
"""

from __future__ import annotations

import contextlib

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from agents.kafka.clients import librdkafka_log


# The group's coordinator is loading or moving (a broker that just started, a restart): Kafka
# says to retry, so there is no reading this time rather than a failure.
COORDINATOR_NOT_READY = frozenset({KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                                   KafkaError.COORDINATOR_NOT_AVAILABLE})


def coordinator_not_ready(exc: BaseException) -> bool:
    error = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    return isinstance(error, KafkaError) and error.code() in COORDINATOR_NOT_READY


def partition_lag(newest: dict[int, int], committed: dict[int, int], oldest: dict[int, int]) -> dict[int, int]:
    """Pure: lag per partition. Without a committed offset the whole retained partition
    is behind; a committed offset older than retention counts from the oldest record."""
    return {p: max(0, high - max(committed.get(p, -1), oldest.get(p, 0))) for p, high in newest.items()}


class KafkaLag:
    def __init__(self, bootstrap: str, group_id: str, topic: str, timeout_s: float = 10.0):
        self.bootstrap, self.group_id, self.topic, self.timeout_s = bootstrap, group_id, topic, timeout_s
        self._partitions: list[int] | None = None
        self._connect()

    def _connect(self) -> None:
        self.admin = AdminClient({"bootstrap.servers": self.bootstrap, "logger": librdkafka_log})
        # Committed offsets through a consumer of the group that never subscribes (so it
        # never joins): AdminClient.list_consumer_group_offsets crashes the process in
        # librdkafka when the coordinator moves (confluentinc/librdkafka#5040).
        self.reader = Consumer({"bootstrap.servers": self.bootstrap, "group.id": self.group_id,
                                "enable.auto.commit": False, "logger": librdkafka_log})

    def partitions(self) -> list[int]:
        if self._partitions is None:
            meta = self.admin.list_topics(self.topic, timeout=self.timeout_s)
            info = meta.topics.get(self.topic)
            if info is None or info.error is not None:
                raise RuntimeError(f"topic {self.topic!r} is not available: {info.error if info else 'missing'}")
            self._partitions = sorted(info.partitions)
        return self._partitions

    def _offsets(self, spec: OffsetSpec) -> dict[int, int]:
        request = {TopicPartition(self.topic, p): spec for p in self.partitions()}
        futures = self.admin.list_offsets(request, request_timeout=self.timeout_s)
        return {tp.partition: f.result(timeout=self.timeout_s).offset for tp, f in futures.items()}

    def committed(self) -> dict[int, int]:
        found = self.reader.committed([TopicPartition(self.topic, p) for p in self.partitions()],
                                      timeout=self.timeout_s)
        return {tp.partition: tp.offset for tp in found if tp.error is None and tp.offset >= 0}

    def close(self) -> None:
        self.reader.close()

    def lag(self) -> dict[int, int] | None:
        """Lag per partition, or None while the group's coordinator is not ready."""
        try:
            return partition_lag(self._offsets(OffsetSpec.latest()), self.committed(),
                                 self._offsets(OffsetSpec.earliest()))
        except Exception as exc:
            if coordinator_not_ready(exc):
                return None
            self._reconnect()
            raise

    def _reconnect(self) -> None:
        # New clients for the next sample: a client that asked for metadata while the
        # broker shut down may have forgotten every broker (agents/kafka/broker_watch.py).
        with contextlib.suppress(Exception):
            self.close()
        self._connect()
