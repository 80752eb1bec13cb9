"""The verification protocol end to end against the real broker, Iceberg and DuckDB."""

from __future__ import annotations

import io
import struct
import time

import fastavro
import pytest

from agents.consumer import ConsumerVerifierAgent
from agents.core.envelope import EnvelopeWriter
from agents.core.record_key import SEQ_AT, crc32c
from agents.core.histogram import LatencyHistogram
from agents.lakehouse.catalog import TableRef
from agents.producer import ProducerAgent
from agents.query import QueryAgent
from tests.integration.agents.conftest import table_verdict, wait_for
from tests.integration.kafka_helpers import consume_records, create_topic, produce
from controller.runs.verdict import PASS, Evidence, judge
from workloads.model import SLOSpec
from workloads.specs import (ConsumerSpec, FaultyMode, PayloadSpec, ProducerSpec, QuerySpec, RateSpec,
                            RecordSpec)

MAX = RateSpec(profile="max")


@pytest.mark.parametrize("envelope_headers", [True, False], ids=["key-and-headers", "key-only"])
def test_faulty_producer_anomalies_are_reported_exactly(bootstrap, table_ref, started, envelope_headers):
    topic = create_topic(bootstrap, partitions=3)
    faulty = FaultyMode(seed=11, skip=5, duplicate=7, reorder=6, corrupt=4, within=2_000)
    producer = ProducerAgent("p-faulty", "run-f", topic, bootstrap,
                             ProducerSpec(rate=MAX, max_records=9_000, faulty=faulty, envelope_headers=envelope_headers))
    verifier = ConsumerVerifierAgent("c-0", "run-f", topic, bootstrap, f"g-faulty-{envelope_headers}", table_ref,
                                     ConsumerSpec(commit_interval_s=0.5))
    started(verifier, producer)
    assert producer.wait(60) and producer.health()["state"] == "finished"
    sent = producer.stats()["sent"]
    assert sent == 9_000 - 5 + 7  # skips are never sent, duplicates are sent twice
    wait_for(lambda: verifier.stats()["committed_records"] >= sent, 60, what="all records in the table")
    stats = verifier.stats()  # while it still owns the partitions and their ledgers
    verifier.stop()

    v = stats["verdicts"]
    assert (v["duplicate"], v["reordered"], v["corrupt"]) == (7, 6, 4)
    assert v["gap_records"] == 5 + 6  # each skip and each swap opens a gap; swaps fill theirs
    assert stats["candidate_losses"]["records"] == 5
    assert v["in_order"] + v["gaps"] == sent - 7 - 6 - 4

    verdict = table_verdict(table_ref, topic, "run-f", [producer.ack_ledger()])
    assert (verdict["missing"], verdict["duplicates"], verdict["unexpected"]) == (5, 7, 0)
    assert verdict["state_losses"] == 5
    assert verdict["table_rows"] == sent and verdict["table_distinct"] == 9_000 - 5


def test_a_key_only_run_on_a_shared_topic_has_every_record_in_the_table_once(bootstrap, table_ref, started):
    """The run's producers write the envelope in the key only, on a topic that already holds an
    earlier run's records and plain ones, and gets more of both meanwhile (another run reuses
    our producer id): batches mix them, and every record of the run is verified and stored once.
    The earlier run's records, written long before this run was created, are not read at all."""
    topic = create_topic(bootstrap, partitions=3)
    two_hours_ago_ms = time.time_ns() // 1_000_000 - 2 * 3600 * 1000
    assert produce_earlier_run(bootstrap, topic, "run-earlier", 3_000, two_hours_ago_ms) == 3_000
    assert produce(bootstrap, topic, 500)[0] == 500  # records that are no soak's at all
    key_only = dict(rate=MAX, envelope_headers=False)
    verifier = ConsumerVerifierAgent("c-0", "run-k", topic, bootstrap, "g-key-only", table_ref,
                                     ConsumerSpec(commit_interval_s=0.5), run_created_ns=time.time_ns())
    ours = [ProducerAgent(f"p-{i}", "run-k", topic, bootstrap, ProducerSpec(max_records=30_000, **key_only))
            for i in range(2)]
    other = ProducerAgent("p-0", "run-other", topic, bootstrap,
                          ProducerSpec(rate=RateSpec(per_second=2_000), max_records=4_000, envelope_headers=False))
    started(verifier, other, *ours)
    assert produce(bootstrap, topic, 500)[0] == 500  # while the runs write
    for producer in (other, *ours):
        assert producer.wait(120) and producer.health()["state"] == "finished", producer.health()
    acked = sum(p.stats()["acked"] for p in ours)
    assert acked == 60_000
    foreign = 500 + 500 + other.stats()["acked"]  # the plain records are recent: within the clock margin
    wait_for(lambda: verifier.stats()["committed_records"] >= acked and verifier.stats()["foreign"] >= foreign,
             120, what="every record verified")
    stats = verifier.stats()
    verifier.stop()
    v = stats["verdicts"]
    assert (stats["foreign"], stats["consumed"], v["in_order"], v["gaps"], v["duplicate"], v["reordered"],
            v["corrupt"]) == (foreign, acked + foreign, acked, 0, 0, 0, 0)
    check = table_verdict(table_ref, topic, "run-k", [p.ack_ledger() for p in ours])
    assert (check["missing"], check["duplicates"], check["unexpected"], check["state_losses"]) == (0, 0, 0, 0)
    assert check["table_rows"] == check["table_distinct"] == acked
    verdict = judge(Evidence(check=check, acked=acked, anomalies={k: v[k] for k in ("corrupt", "reordered", "duplicate")}),
                    SLOSpec())
    assert verdict.level == PASS, verdict.reasons


def produce_earlier_run(bootstrap: str, topic: str, run_id: str, count: int, timestamp_ms: int) -> int:
    """An earlier run's key-only records, stamped `timestamp_ms`; returns how many were acknowledged."""
    from confluent_kafka import Producer

    writer, acked = EnvelopeWriter(run_id, "p-0", 1), []
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    for seq in range(count):
        value = b"x" * 20
        producer.produce(topic, value=value, key=writer.key(seq, timestamp_ms * 1_000_000, crc32c(value)),
                         partition=seq % 3, timestamp=timestamp_ms, on_delivery=lambda err, _m: acked.append(err))
        producer.poll(0)
    assert producer.flush(60) == 0
    return sum(1 for err in acked if err is None)


def test_records_in_a_teams_avro_schema_are_verified_exactly_and_decode_by_that_schema(bootstrap, tmp_path, started):
    """Payload mode `record`: Avro market ticks with the envelope also in named fields. The
    verifier finds the planted anomalies exactly, the raw table holds every acked record,
    and a plain consumer decodes each value by the schema and finds the key's envelope."""
    topic = create_topic(bootstrap, partitions=3)
    table = TableRef(f"sqlite:///{tmp_path / 'catalog.db'}", (tmp_path / "warehouse").as_uri(), payload_mode="raw")
    record = RecordSpec(format="avro", preset="market_ticks",
                        envelope_fields={"producer_id": "source", "seq": "seq", "sent_us": "sent_us"})
    faulty = FaultyMode(seed=5, skip=3, duplicate=4, corrupt=2, within=1_000)
    producer = ProducerAgent("p-avro", "run-a", topic, bootstrap,
                             ProducerSpec(rate=MAX, max_records=6_000, faulty=faulty,
                                          payload=PayloadSpec(mode="record", record=record)))
    verifier = ConsumerVerifierAgent("c-0", "run-a", topic, bootstrap, "g-avro", table,
                                     ConsumerSpec(commit_interval_s=0.5))
    started(verifier, producer)
    assert producer.wait(60) and producer.health()["state"] == "finished", producer.health()
    sent = producer.stats()["sent"]
    assert sent == 6_000 - 3 + 4
    wait_for(lambda: verifier.stats()["committed_records"] >= sent, 60, what="all records in the table")
    stats = verifier.stats()
    verifier.stop()
    v = stats["verdicts"]
    assert (v["duplicate"], v["corrupt"]) == (4, 2) and stats["candidate_losses"]["records"] == 3
    verdict = table_verdict(table, topic, "run-a", [producer.ack_ledger()])
    assert (verdict["missing"], verdict["duplicates"], verdict["unexpected"]) == (3, 4, 0)

    schema = fastavro.parse_schema(record.build().avro_schema)
    records = consume_records(bootstrap, topic, sent)
    assert len(records) == sent
    decoded = 0
    for key, value in records:
        seq, sent_ns, crc = struct.unpack_from(">qqI", key, SEQ_AT)
        if crc32c(value) != crc:
            continue  # one of the corrupted ones
        row = fastavro.schemaless_reader(io.BytesIO(value), schema)
        assert (row["source"], row["seq"]) == ("p-avro", seq)
        assert int(row["sent_us"].timestamp() * 1_000_000) == sent_ns // 1000
        assert row["symbol"] and row["price"] > 0 and row["quantity"] % 100 == 0
        decoded += 1
    assert decoded == sent - 2


def test_clean_pipeline_two_producers_three_partitions(bootstrap, table_ref, started):
    """2 producers x 3 partitions x 200,000 records: no anomaly, every ack once in Iceberg."""
    topic = create_topic(bootstrap, partitions=3)
    per_producer = 3 * 200_000
    producers = [ProducerAgent(f"p-{i}", "run-c", topic, bootstrap, ProducerSpec(rate=MAX, max_records=per_producer))
                 for i in range(2)]
    verifier = ConsumerVerifierAgent("c-0", "run-c", topic, bootstrap, "g-clean", table_ref,
                                     ConsumerSpec(commit_interval_s=2))
    # DuckDB's own iceberg extension here; table_verdict below reads through pyiceberg's plan.
    query = QueryAgent("q-0", "run-c", table_ref, QuerySpec(interval_s=1, engine="extension"))
    started(verifier, *producers, query)
    for p in producers:
        assert p.wait(180) and p.health()["state"] == "finished", p.health()
    total = 2 * per_producer
    wait_for(lambda: verifier.stats()["committed_records"] >= total, 180, what="all records in the table")
    wait_for(lambda: query.stats()["cycles"] >= 2, 30, what="query cycles")
    stats = verifier.stats()
    verifier.stop()
    q = query.stop()

    assert [p.stats()["acked"] for p in producers] == [per_producer] * 2
    assert stats["verdicts"] == {"in_order": total, "gaps": 0, "gap_records": 0, "duplicate": 0, "reordered": 0,
                                 "corrupt": 0}
    assert stats["candidate_losses"]["records"] == 0 and stats["fenced"] == 0

    verdict = table_verdict(table_ref, topic, "run-c", [p.ack_ledger() for p in producers])
    assert verdict["ok"] and verdict["acked"] == total
    assert verdict["table_rows"] == verdict["table_distinct"] == total
    assert verdict["state_losses"] == 0

    assert q["errors"] == {}
    for name in ("point_lookup", "window_aggregate", "full_count"):
        assert LatencyHistogram.from_json(q["query_latency"][name]).total >= 2, name
    assert q["freshness_s"] is not None
    assert query.check([p.ack_ledger() for p in producers])["ok"]
