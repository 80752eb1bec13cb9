"""ProducerAgent: open-loop, idempotent, acks=all producer that keeps an ack ledger.

Each record is stamped with the time it was *due* (its intended send time); the ack
latency is measured from there, so back-pressure and broker stalls show up as latency
instead of a silently lower rate. Every delivery failure is counted by error code.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
import numpy as np
from confluent_kafka import Producer

from agents.base import Agent
from agents.clock import Clock
from agents.core.ack_ledger import AckLedger
from agents.core.anomalies import CORRUPT, DUPLICATE, REORDER, SKIP, plan_anomalies
from agents.core.bulk_envelopes import key_seqs_and_sent_ns
from agents.core.envelope import EnvelopeWriter, crc32c
from agents.core.histogram import LatencyHistogram
from agents.core.payloads import PayloadPool
from agents.core.record_schema import RecordValues
from agents.core.retainer import MemoryRetainer
from agents.kafka.broker_watch import BrokerWatch, known_brokers
from agents.kafka.clients import producer_config, topic_partitions
from workloads.specs import ProducerSpec

log = logging.getLogger(__name__)

MAX_BATCH = 5_000  # records handed to librdkafka per loop turn
MAX_IDLE_S = 0.005
PURGE_WAIT_S = 10.0
FLUSH_SLICE_S = 1.0


class ProducerAgent(Agent):
    kind = "producer"

    def __init__(self, agent_id: str, run_id: str, topic: str, bootstrap: str, spec: ProducerSpec | None = None,
                 incarnation: int | None = None, clock: Clock | None = None):
        super().__init__(agent_id, clock)
        self.run_id, self.topic, self.bootstrap = run_id, topic, bootstrap
        self.spec = spec or ProducerSpec()
        # New on every construction: a restarted producer is a new incarnation whose
        # sequences start again at 0, so its stream is verified on its own.
        self.incarnation = incarnation if incarnation is not None else self.clock.wall_ns() // 1000
        self.acks = AckLedger(agent_id, self.incarnation)
        self.envelope = EnvelopeWriter(run_id, agent_id, self.incarnation)
        self.latency = LatencyHistogram()
        self._delivered: list = []  # delivery reports of acknowledged records, not yet in the ledger
        self._lock = threading.Lock()
        self.sent = 0
        self.bytes_sent = 0
        self.acked = 0
        self.failed = 0
        self.buffer_full_waits = 0
        self.errors: Counter[str] = Counter()
        self.anomalies_injected: Counter[str] = Counter()
        self.behind_records = 0
        self.intended = 0  # records the rate profile asked for so far (what `acked` is judged against)
        self.unflushed_at_stop = 0  # records still unacknowledged when the final flush gave up
        self.flushing = False  # every record is handed over; waiting for their delivery reports
        self.broker_watch = BrokerWatch()
        self.client_replacements = 0  # librdkafka clients replaced after they forgot every broker

    # -- delivery reports (called inside poll/flush on the agent's thread) ---------------------
    def _on_delivery(self, err, msg) -> None:
        # One callback for every record (a callback bound per record costs more than the
        # rest of produce()); the record's key says its seq and due time.
        if err is None:
            self._delivered.append(msg)
        else:
            with self._lock:  # rare path; stats() copies these from another thread
                self.acks.fail()
                self.failed += 1
                self.errors[err.name()] += 1

    def _drain_reports(self) -> None:
        """Fold buffered delivery reports into the ledger and histogram, under the lock
        that snapshots take, so a snapshot never sees a half-updated ledger. The ack
        latency runs from a record's due time to now: when the agent learns of the ack."""
        if not self._delivered:
            return
        delivered, self._delivered = self._delivered, []
        now_us = self.clock.wall_ns() // 1000
        partitions = np.fromiter([m.partition() for m in delivered], np.int64, len(delivered))
        seqs, sent_ns = key_seqs_and_sent_ns([m.key() for m in delivered])
        with self._lock:
            self.acks.ack_many(partitions, seqs)
            self.acked += len(delivered)
            self.latency.record_many(now_us - sent_ns // 1000)

    def _on_stats(self, stats_json: str) -> None:
        self.broker_watch.observe(self.clock.monotonic(), known_brokers(stats_json))

    def _new_producer(self) -> Producer:
        conf = producer_config(self.bootstrap, self.spec.kafka)
        conf["stats_cb"] = self._on_stats
        conf["on_delivery"] = self._on_delivery
        self.broker_watch.reset()
        return Producer(conf)

    def _replace_producer(self, old: Producer) -> Producer:
        """A new librdkafka producer in place of one that knows no broker any more (see
        agents/kafka/broker_watch.py). What the old one still held is reported failed: never
        acknowledged, so never owed to the table. The sequence stream goes on unchanged."""
        self.client_replacements += 1
        log.warning("%s: the Kafka producer knows no broker any more; replacing it", self.agent_id)
        old.purge()
        # Serves the purged records' delivery reports (failed, counted as such); nothing
        # is left once they are served.
        left = old.flush(PURGE_WAIT_S)
        self._drain_reports()
        if left:
            with self._lock:
                self.failed += left
                self.errors["_UNREPORTED"] += left
        return self._new_producer()

    # -- the loop ---------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        spec = self.spec
        producer = self._new_producer()
        partitions = topic_partitions(self.bootstrap, self.topic)
        limit = spec.max_records
        anomalies = {}
        if spec.faulty:
            f = spec.faulty
            if limit is not None and f.within > limit // len(partitions):
                raise ValueError(f"faulty.within ({f.within}) exceeds the records per partition "
                                 f"({limit // len(partitions)}): anomalies would never be sent")
            anomalies = plan_anomalies(f.seed, partitions, f.within, f.skip, f.duplicate, f.reorder, f.corrupt)
        seed = crc32c(f"{self.agent_id}:{self.incarnation}".encode())
        if spec.payload.mode == "record":  # a fresh record per send, in the team's schema
            pool = None
            make_value = RecordValues(spec.payload.record.build(), seed, self.agent_id, self.incarnation,
                                      self.run_id).value
            next_refill = float("inf")
        else:  # ready-made values and their CRCs, replayed round the pool
            pool = PayloadPool(spec.payload.mode, spec.payload.size.build(), seed=seed,
                               pool_size=spec.payload.pool_size)
            pool.refill(self.clock.wall_ns() // 1000)
            next_refill = self.clock.monotonic() + spec.payload.refresh_s
        profile = spec.rate.build()
        next_seq = {p: 0 for p in partitions}
        deferred: dict[int, tuple] = {}  # per partition: a record held back to swap with its successor
        n_parts = len(partitions)
        t0, t0_wall = self.clock.monotonic(), self.clock.wall_ns()
        scheduled = 0  # records whose send slot has come (index into the open-loop schedule)
        produce, poll = producer.produce, producer.poll
        topic = self.topic
        make_headers, make_key = self.envelope.headers, self.envelope.key
        with_headers = spec.envelope_headers
        lost = self.broker_watch.lost

        def replace_if_lost() -> None:
            nonlocal producer, produce, poll
            if lost(self.clock.monotonic()):
                producer = self._replace_producer(producer)
                produce, poll = producer.produce, producer.poll

        def send(p: int, seq: int, due_ns: int, slot: int, corrupt: bool = False) -> None:
            if pool is not None:
                i = slot % len(pool.payloads)
                payload, crc = pool.payloads[i], pool.crcs[i]
            else:
                payload = make_value(p, seq, due_ns)
                crc = crc32c(payload)
            if corrupt:  # a flipped byte after the CRC was taken: what the verifier must catch
                payload = bytes([payload[0] ^ 0xFF]) + payload[1:]
            key = make_key(seq, due_ns, crc)
            hdrs = make_headers(seq, due_ns, crc) if with_headers else None
            while True:
                try:
                    if hdrs is None:  # not headers=None: confluent-kafka takes longer over that
                        produce(topic, payload, key, partition=p)
                    else:
                        produce(topic, payload, key, partition=p, headers=hdrs)
                    break
                except BufferError:
                    # librdkafka's queue is full: wait for acks. The record keeps its due
                    # time, so this wait is part of its latency.
                    self.buffer_full_waits += 1
                    poll(0.05)
                    self._drain_reports()
                    if stop.is_set():
                        raise _Stopped
                    replace_if_lost()  # a full queue is also what a forgotten cluster looks like
            self.sent += 1
            self.bytes_sent += len(payload)

        retainer = MemoryRetainer(spec.leak_mb_per_hour, t0) if spec.leak_mb_per_hour else None
        try:
            while not stop.is_set():
                now = self.clock.monotonic()
                if retainer is not None:
                    retainer.tick(now)
                if now >= next_refill:
                    pool.refill(self.clock.wall_ns() // 1000)
                    next_refill = now + spec.payload.refresh_s
                due = scheduled + MAX_BATCH if profile is None else profile.due_count(now - t0)
                if limit is not None:
                    due = min(due, limit)
                if profile is not None:
                    self.intended = due
                n = min(due - scheduled, MAX_BATCH)
                if n <= 0:
                    if limit is not None and scheduled >= limit:
                        break
                    poll(0)
                    self._drain_reports()
                    replace_if_lost()
                    wait = float(profile.due_time(np.asarray([scheduled]))[0]) - (now - t0)
                    self.clock.sleep(min(max(wait, 0.0), MAX_IDLE_S))
                    continue
                if profile is None:
                    due_ns = [self.clock.wall_ns()] * n
                else:
                    offsets = profile.due_time(np.arange(scheduled, scheduled + n, dtype=np.float64))
                    due_ns = (t0_wall + offsets * 1e9).astype(np.int64).tolist()
                    self.behind_records = int(profile.due_count(now - t0) - scheduled)
                for j in range(n):
                    slot = scheduled + j
                    p = partitions[slot % n_parts]
                    seq = next_seq[p]
                    next_seq[p] = seq + 1
                    kind = anomalies.get((p, seq)) if anomalies else None
                    if kind is None:
                        send(p, seq, due_ns[j], slot)
                    else:
                        self._send_anomaly(kind, send, p, seq, due_ns[j], slot, deferred)
                    if anomalies and p in deferred and deferred[p][0] != seq:
                        send(p, *deferred.pop(p))  # the held-back record, now after its successor
                scheduled += n
                poll(0)
                self._drain_reports()
                replace_if_lost()
                self.progressed()
        except _Stopped:
            pass
        finally:
            # Flushed in slices so that a client which forgets every broker while the last
            # records are in its queue is still replaced: otherwise they would end neither
            # acknowledged nor failed.
            self.flushing = True
            deadline = self.clock.monotonic() + self.spec.flush_timeout_s
            remaining = producer.flush(0)
            while remaining:
                left = deadline - self.clock.monotonic()
                if left <= 0:
                    break
                remaining = producer.flush(min(FLUSH_SLICE_S, left))
                self._drain_reports()
                if remaining:
                    replace_if_lost()
                    remaining = len(producer)
            self._drain_reports()
            self.unflushed_at_stop = remaining

    def _send_anomaly(self, kind, send, p, seq, due_ns, slot, deferred) -> None:
        self.anomalies_injected[kind] += 1
        if kind == SKIP:
            with self._lock:
                self.acks.ack(p, seq)  # claimed as acknowledged, never sent: a loss to find
        elif kind == DUPLICATE:
            send(p, seq, due_ns, slot)
            send(p, seq, due_ns, slot)
        elif kind == CORRUPT:
            send(p, seq, due_ns, slot, corrupt=True)
        elif kind == REORDER:
            deferred[p] = (seq, due_ns, slot)  # sent right after seq + 1

    # -- observation ----------------------------------------------------------------------------
    def kind_stats(self) -> dict:
        with self._lock:
            latency = self.latency.to_json()
            acked, failed, errors = self.acked, self.failed, dict(self.errors)
        return {"run_id": self.run_id, "producer_id": self.agent_id, "incarnation": self.incarnation,
                "sent": self.sent, "bytes_sent": self.bytes_sent, "acked": acked, "failed": failed,
                "errors": errors, "buffer_full_waits": self.buffer_full_waits,
                "behind_records": self.behind_records, "intended": self.intended,
                "unflushed_at_stop": self.unflushed_at_stop,
                "client_replacements": self.client_replacements,
                "ack_latency": latency,
                "anomalies_injected": dict(self.anomalies_injected)}

    def ack_ledger(self) -> dict:
        """The acknowledged sequence ranges, per partition (compact intervals)."""
        with self._lock:
            return self.acks.to_json()


class _Stopped(Exception):
    pass
