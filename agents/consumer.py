"""ConsumerVerifierAgent: verifies every record and ingests it into Iceberg exactly once.

Per batch (every `commit_interval_s`): the Arrow rows, the next offset of each partition
and the partitions' sequence ledgers go into ONE Iceberg commit (state in the snapshot
summary); offsets are committed to Kafka only after it (they serve lag monitoring). On
assignment the verifier seeks to the offsets of the table's state, not Kafka's, so after
a crash it re-reads exactly what the table lacks; a batch whose partitions were moved
on by another owner is fenced and dropped.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, TopicPartition
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_random_exponential

from agents.base import Agent
from agents.clock import Clock
from agents.core.bulk_envelopes import DecodedBatch, decode_batch
from agents.core.corrupt_records import ENVELOPE, ENVELOPE_REPAIRED, ENVELOPE_UNPLACED, PAYLOAD, CorruptRecords
from agents.core.record_key import run_tag
from agents.core.first_reads import first_reads
from agents.core.histogram import LatencyHistogram
from agents.core.sequence_ledger import SequenceLedger
from agents.kafka.broker_watch import BrokerWatch, known_brokers
from agents.kafka.clients import consumer_config
from agents.lakehouse.catalog import TableRef
from agents.lakehouse.rows import RowBatch
from agents.lakehouse.sink_state import Fenced, PartitionState, SinkState
from workloads.specs import ConsumerSpec

if TYPE_CHECKING:  # imported on use (see _attach)
    from agents.lakehouse.iceberg_sink import IcebergSink

log = logging.getLogger(__name__)
CONSUME_BATCH = 5_000
# Records written this long before the run was created may still be the run's: the clocks of the
# nodes that stamp them (producers' CreateTime) and of the one that created the run can differ.
CLOCK_SKEW_MARGIN_S = 300.0
OFFSET_LOOKUP_TIMEOUT_S = 10.0
# How long reading the table's state may keep failing (a SQLite catalog locked by another
# writer, a catalog database restarting) before the consumer is given up and replaced.
STATE_READ_BUDGET_S = 30.0


class ConsumerVerifierAgent(Agent):
    kind = "consumer"

    def __init__(self, agent_id: str, run_id: str, topic: str, bootstrap: str, group_id: str,
                 table: TableRef | None, spec: ConsumerSpec | None = None, clock: Clock | None = None,
                 run_created_ns: int | None = None):
        super().__init__(agent_id, clock)
        self.run_id, self.topic, self.bootstrap, self.group_id = run_id, topic, bootstrap, group_id
        self._run_id_bytes, self._run_tag = run_id.encode(), run_tag(run_id)
        self.spec = spec or ConsumerSpec()
        if self.spec.write_table and table is None:
            raise ValueError("a consumer-verifier that writes the table needs a TableRef")
        self.table_ref = table
        # Where a partition with nothing of this run read yet is read from: the first record written
        # since the run was created, so a shared topic's earlier runs are not read again.
        self._read_from_ms = (None if run_created_ns is None
                              else int(run_created_ns / 1e6 - CLOCK_SKEW_MARGIN_S * 1000))
        self._run_start: dict[int, int] = {}  # per partition: its first offset that can be this run's
        self.ledger = SequenceLedger()
        self.corrupt_records = CorruptRecords()
        self.batch = RowBatch(run_id, table.payload_mode if table else "raw")
        self._lock = threading.Lock()
        self._begin: dict[int, int | None] = {}  # per owned partition: where the table's state ends
        self._next: dict[int, int | None] = {}  # per owned partition: the next offset to read
        self._consumer: Consumer | None = None
        self._sink: IcebergSink | None = None
        self._transient: tuple[type[Exception], ...] = ()  # commit failures worth retrying (with a sink)
        self.e2e_latency = LatencyHistogram()  # send -> consumed
        self.ingest_latency = LatencyHistogram()  # send -> committed to the table
        self.commit_latency = LatencyHistogram()  # one Iceberg commit
        self.consumed = 0
        self.bytes_consumed = 0
        self.committed_records = 0
        self.foreign = 0
        self.rereads = 0  # records read again within one consumed batch (agents/core/first_reads.py)
        self.fenced = 0
        self.commit_errors = 0
        self.rebalances = 0
        self.consumer_restarts = 0
        self._fatal: str | None = None
        self.broker_watch = BrokerWatch()
        self.kafka_errors: Counter[str] = Counter()

    # -- rebalance callbacks (run inside consume(), on the agent's thread) ---------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.rebalances += 1
        state = self._table_state() if self._sink else SinkState(self.topic)
        self._adopt(state, [tp.partition for tp in partitions])
        if self._sink is not None:
            resume = self._resume_offsets(consumer, [tp.partition for tp in partitions])
            for tp in partitions:
                tp.offset = resume[tp.partition]
        else:  # read-only: the group's committed offsets, else where the run starts
            self._start_uncommitted(consumer, partitions)
        consumer.assign(partitions)

    def _resume_offsets(self, consumer: Consumer, partitions: list[int]) -> dict[int, int]:
        """Where to read each partition from: the table's next offset, else where the run starts."""
        fresh = self._run_start_offsets(consumer, [p for p in partitions if self._next[p] is None])
        return {p: self._next[p] if self._next[p] is not None else fresh[p] for p in partitions}

    def _start_uncommitted(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        try:
            committed = consumer.committed([TopicPartition(self.topic, tp.partition) for tp in partitions],
                                           timeout=OFFSET_LOOKUP_TIMEOUT_S)
        except KafkaException as exc:
            log.warning("%s: could not read the group's offsets (%s); reading from the beginning", self.agent_id, exc)
            return
        fresh = self._run_start_offsets(consumer, [tp.partition for tp in committed if tp.offset < 0])
        for tp in partitions:
            if tp.partition in fresh:
                tp.offset = fresh[tp.partition]

    def _run_start_offsets(self, consumer: Consumer, partitions: list[int]) -> dict[int, int]:
        """Per partition, the first offset that can hold a record of this run: the first record
        stamped at or after the run's creation (less CLOCK_SKEW_MARGIN_S), else the end as it was
        before that lookup, a concrete offset (never "the end", which would move past records
        written meanwhile). The beginning when the run's creation is unknown or a lookup fails."""
        todo = [p for p in partitions if p not in self._run_start]
        if todo and self._read_from_ms is not None:
            try:
                ends = {p: consumer.get_watermark_offsets(TopicPartition(self.topic, p),
                                                          timeout=OFFSET_LOOKUP_TIMEOUT_S)[1] for p in todo}
                found = consumer.offsets_for_times([TopicPartition(self.topic, p, self._read_from_ms) for p in todo],
                                                   timeout=OFFSET_LOOKUP_TIMEOUT_S)
            except KafkaException as exc:
                log.warning("%s: could not find where the run starts (%s); reading from the beginning",
                            self.agent_id, exc)
                found = []
            for tp in found:
                if tp.error is None:
                    self._run_start[tp.partition] = tp.offset if tp.offset >= 0 else ends[tp.partition]
        return {p: self._run_start.get(p, OFFSET_BEGINNING) for p in partitions}

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._commit()  # hand over a clean cut: everything read so far is in the table
        with self._lock:
            self._forget([tp.partition for tp in partitions])

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Someone else owns them already: committing now would be a zombie write.
        self._drop_uncommitted([tp.partition for tp in partitions])

    def _table_state(self) -> SinkState:
        """The table's state, read again while the catalog is briefly unavailable. An error
        here (inside a rebalance callback) would otherwise end the agent."""
        try:
            for attempt in Retrying(retry=retry_if_exception_type(self._transient), reraise=True,
                                    wait=wait_random_exponential(multiplier=0.1, max=2.0),
                                    stop=stop_after_delay(STATE_READ_BUDGET_S)):
                with attempt:
                    return self._sink.load_state()
        except self._transient as exc:
            raise ConsumerFatal(f"could not read the table's state for {STATE_READ_BUDGET_S:.0f} s: "
                                f"{type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")

    def _adopt(self, state: SinkState, partitions: list[int]) -> None:
        """Take the table's offsets and ledgers of `partitions` as this verifier's own."""
        with self._lock:  # stats() reads the ledger from another thread
            for p in partitions:
                stored = state.partitions.get(p)
                self.ledger.load_partition_state(p, stored.ledger if stored else {})
                self._begin[p] = self._next[p] = state.offset(p)

    def _forget(self, partitions: list[int]) -> None:
        """Drop what this verifier knows of `partitions` (call with the lock held)."""
        for p in partitions:
            self.ledger.forget_partition(p)
            self._begin.pop(p, None)
            self._next.pop(p, None)

    def _drop_uncommitted(self, partitions: list[int]) -> None:
        """Discard the open batch and the partitions' state: their next owner (maybe a new
        consumer of ours) starts again from the table."""
        with self._lock:
            self.ledger.rollback()
            self.corrupt_records.rollback()
            self._forget(partitions)
        self.batch.clear()

    # -- the loop ---------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        if self.spec.write_table:
            from agents.lakehouse.iceberg_sink import IcebergSink

            self._attach(IcebergSink(self.table_ref, self.topic))
        while not stop.is_set():
            consumer = self._consumer = self._new_consumer()
            try:
                self._consume(consumer, stop)
                return
            except ConsumerFatal as exc:
                # librdkafka gave this consumer up (for instance a static member fenced
                # after a broker restart), or it forgot every broker (see
                # agents/kafka/broker_watch.py). Drop what is not in the table and start a
                # new consumer: on assignment it resumes from the table's state.
                self.consumer_restarts += 1
                log.warning("%s: consumer failed fatally (%s); starting a new one", self.agent_id, exc)
                self._drop_uncommitted(list(self._next))
            finally:
                try:
                    consumer.close()  # leaves the group; the revoke callback commits what is left
                except KafkaException:
                    pass

    def _attach(self, sink) -> None:
        """Write to the table through `sink`. pyiceberg is imported here, in the agent's own
        process: the controller imports this class and keeps pyiceberg out of its process."""
        from agents.lakehouse.iceberg_sink import TRANSIENT_COMMIT_ERRORS

        self._sink, self._transient = sink, TRANSIENT_COMMIT_ERRORS

    def _new_consumer(self) -> Consumer:
        instance = f"{self.group_id}-{self.agent_id}"
        self._fatal = None
        conf = consumer_config(self.bootstrap, self.group_id, instance, self.spec.session_timeout_ms, self.spec.kafka)
        conf["error_cb"] = self._on_error
        conf["stats_cb"] = self._on_stats
        self.broker_watch.reset()
        consumer = Consumer(conf)
        consumer.subscribe([self.topic], on_assign=self._on_assign, on_revoke=self._on_revoke,
                           on_lost=self._on_lost)
        return consumer

    def _on_error(self, err) -> None:
        # Called inside consume(). A fatal error (an async offset commit fenced, say) never
        # comes back as a message, so it is noted here and acted on by the loop.
        self.kafka_errors[err.name()] += 1
        if err.fatal() or err.code() == KafkaError._FATAL:
            self._fatal = err.str()

    def _on_stats(self, stats_json: str) -> None:  # called inside consume()
        self.broker_watch.observe(self.clock.monotonic(), known_brokers(stats_json))

    def _consume(self, consumer: Consumer, stop: threading.Event) -> None:
        spec = self.spec
        next_commit = self.clock.monotonic() + spec.commit_interval_s
        while not stop.is_set():
            if self._fatal is not None:
                raise ConsumerFatal(self._fatal)
            if self.broker_watch.lost(self.clock.monotonic()):
                raise ConsumerFatal("the consumer knows no broker any more")
            if len(self.batch) < spec.max_batch_records:
                self._process(consumer.consume(num_messages=CONSUME_BATCH, timeout=0.2))
            else:
                self.clock.sleep(0.2)  # the table is behind: stop reading until a commit lands
            now = self.clock.monotonic()
            if now >= next_commit or len(self.batch) >= spec.max_batch_records:
                self._commit()
                next_commit = now + spec.commit_interval_s
            self.progressed()
        self._commit()

    def _process(self, messages) -> None:
        if not messages:
            return
        records = messages
        if any(map(Message.error, messages)):
            records = [msg for msg in messages if not self._is_error(msg)]
            if not records:
                return
        now_us = self.clock.wall_ns() // 1000
        # Columns first (one pass per accessor), then the whole batch at once.
        parts = list(map(Message.partition, records))
        offsets = list(map(Message.offset, records))
        keep = first_reads(parts, offsets, self._next)
        if keep is not None:  # a batch across a rebalance: verify each record once
            self.rereads += int(len(keep) - keep.sum())
            records = [r for r, k in zip(records, keep.tolist()) if k]
            if not records:
                return
            parts = list(map(Message.partition, records))
            offsets = list(map(Message.offset, records))
        values = list(map(Message.value, records))
        if None in values:
            values = [v or b"" for v in values]
        self._next.update({p: o + 1 for p, o in dict(zip(parts, offsets)).items()})  # offsets ascend per partition
        self.consumed += len(records)
        self.bytes_consumed += sum(map(len, values))
        decoded = decode_batch(self._run_tag, self._run_id_bytes, parts, list(map(Message.key, records)),
                               lambda at: [records[i].headers() for i in at], values)
        if not decoded.all_placed:  # foreign or unidentified records: no row, no place
            self.foreign += decoded.foreign
            self.ledger.count_unplaced_corrupt(len(decoded.unplaced))
            for i in decoded.unplaced.tolist():
                self.corrupt_records.note(parts[i], offsets[i], ENVELOPE_UNPLACED)
            kept = decoded.rows.tolist()
            offsets, values = [offsets[i] for i in kept], [values[i] for i in kept]
            if not kept:
                return
        seqs, crc_ok = decoded.seqs, decoded.crc_ok
        if not crc_ok.all():
            self._note_corrupt(decoded, offsets)
        observe, observe_run = self.ledger.observe, self.ledger.observe_run
        for seg in decoded.segments:
            if not (seg.crc_ok and observe_run(seg.key, int(seqs[seg.start]), seg.stop - seg.start)):
                for i in range(seg.start, seg.stop):
                    observe(seg.key, int(seqs[i]), bool(crc_ok[i]))
        if self.spec.write_table:  # verification alone keeps no rows
            self.batch.extend(decoded.producer_codes, decoded.producer_names, decoded.incarnations,
                              decoded.partitions, offsets, seqs, decoded.sent_us, now_us, crc_ok, values)
        with self._lock:
            self.e2e_latency.record_many(now_us - decoded.sent_us)

    def _is_error(self, msg) -> bool:
        err = msg.error()
        if err is None:
            return False
        self.kafka_errors[err.name()] += 1
        if err.fatal() or err.code() == KafkaError._FATAL:
            raise ConsumerFatal(err.str())
        return True

    def _note_corrupt(self, decoded: DecodedBatch, offsets: list[int]) -> None:
        """Where the placed corrupt records of a batch were (`offsets`: of the placed records)."""
        position = {row: at for at, row in enumerate(decoded.rows.tolist())}
        damaged = {position[i]: ENVELOPE for i in decoded.damaged.tolist()}
        damaged.update({position[i]: ENVELOPE_REPAIRED for i in decoded.repaired.tolist()})
        for at in np.flatnonzero(~decoded.crc_ok).tolist():
            self.corrupt_records.note(int(decoded.partitions[at]), offsets[at], damaged.get(at, PAYLOAD))

    def _commit(self) -> None:
        consumer = self._consumer
        moved = {p: n for p, n in self._next.items() if n is not None and n != self._begin.get(p)}
        if not moved:
            return
        if self._sink is None:
            self._finish_commit(moved)
            self._kafka_commit(consumer, moved)
            return
        if len(self.batch) == 0:
            return  # only foreign records: nothing for the table; re-reading them is harmless
        rows = self.batch.to_arrow()
        updates = {p: PartitionState(n, self.ledger.partition_state(p, include_pending=True)) for p, n in moved.items()}
        expected = {p: self._begin.get(p) for p in moved}
        started = self.clock.monotonic()
        try:
            self._sink.commit(rows, expected, updates)
        except Fenced as exc:
            log.warning("%s fenced, dropping its batch: %s", self.agent_id, exc)
            self.fenced += 1
            self._rewind_to_table()
            return
        except self._transient as exc:  # catalog or storage unavailable: keep the batch, retry
            self.commit_errors += 1
            log.warning("%s could not commit to Iceberg (%s: %s); will retry", self.agent_id,
                        type(exc).__name__, exc)
            return
        done_us = self.clock.wall_ns() // 1000
        with self._lock:
            self.commit_latency.record(int((self.clock.monotonic() - started) * 1e6))
            self.ingest_latency.record_many(done_us - self.batch.sent_us())
            self.committed_records += len(self.batch)
        self._finish_commit(moved)
        self._kafka_commit(consumer, moved)

    def _finish_commit(self, moved: dict[int, int]) -> None:
        with self._lock:
            self.ledger.commit()
            self.corrupt_records.commit()
        self.batch.clear()
        self._begin.update(moved)

    def _kafka_commit(self, consumer: Consumer, moved: dict[int, int]) -> None:
        try:
            consumer.commit(offsets=[TopicPartition(self.topic, p, n) for p, n in moved.items()], asynchronous=True)
        except KafkaException as exc:  # only lag monitoring depends on it; the table is the truth
            self.kafka_errors[exc.args[0].name()] += 1

    def _rewind_to_table(self) -> None:
        owned = list(self._next)
        self._drop_uncommitted(owned)
        self._adopt(self._table_state(), owned)
        for p, offset in self._resume_offsets(self._consumer, owned).items():
            self._consumer.seek(TopicPartition(self.topic, p, offset))

    # -- observation ------------------------------------------------------------------------------
    def kind_stats(self) -> dict:
        with self._lock:
            counts = self.ledger.committed_counts.as_dict()
            corrupt = self.corrupt_records.examples()
            missing = self.ledger.missing()
            owned = sorted(self._next)
            e2e, ingest, commit = (self.e2e_latency.to_json(), self.ingest_latency.to_json(),
                                   self.commit_latency.to_json())
        return {"run_id": self.run_id, "consumed": self.consumed, "bytes_consumed": self.bytes_consumed,
                "committed_records": self.committed_records, "foreign": self.foreign, "verdicts": counts,
                "corrupt_examples": corrupt,
                "candidate_losses": _bounded_examples(missing), "fenced": self.fenced,
                "commit_errors": self.commit_errors, "rebalances": self.rebalances,
                "consumer_restarts": self.consumer_restarts, "kafka_errors": dict(self.kafka_errors),
                "iceberg_commits": self._sink.commits if self._sink else 0,
                "iceberg_conflicts": self._sink.conflicts if self._sink else 0,
                "owned_partitions": owned, "e2e_latency": e2e, "ingest_latency": ingest,
                "commit_latency": commit}

    def received(self) -> dict:
        """Committed received sequences of the partitions this verifier owns now."""
        with self._lock:
            return {stream_name(k): v.to_list() for k, v in self.ledger.received().items()}


class ConsumerFatal(Exception):
    """The Kafka consumer is unusable; a new one must take its place."""


def stream_name(key) -> str:
    return f"{key[0]}|{key[1]}|{key[2]}"


def _bounded_examples(missing: dict, limit: int = 20) -> dict:
    """Candidate losses for a stats snapshot: the total and a few examples, never all."""
    total = sum(len(v) for v in missing.values())
    examples = []
    for key, holes in missing.items():
        for start, end in holes:
            if len(examples) >= limit:
                break
            examples.append([stream_name(key), start, end])
    return {"records": total, "streams": len(missing), "examples": examples}
