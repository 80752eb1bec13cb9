"""Exactly-once through a hard-killed verifier (a Ray actor) and through a broker restart."""

from __future__ import annotations

import os
import signal
import time

import pytest

from agents.consumer import ConsumerVerifierAgent
from agents.kafka.broker_watch import BROKERLESS_LIMIT_S, BrokerWatch
from agents.producer import ProducerAgent
from agents.ray_actors import remote_agent_class
from tests.integration.agents.conftest import table_verdict, wait_for
from tests.integration.kafka_helpers import create_topic
from workloads.specs import ConsumerSpec, ProducerSpec, RateSpec

# How the records a replaced client still held are reported: failed, never acknowledged.
PURGED = {"_PURGE_QUEUE", "_PURGE_INFLIGHT", "_UNREPORTED"}


def actor_call(ray, method, timeout_s: float = 10.0):
    """One call to an actor that may be restarting: None until it answers."""
    try:
        return ray.get(method.remote(), timeout=timeout_s)
    except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError, ray.exceptions.GetTimeoutError):
        return None


@pytest.fixture
def actors(ray_local):
    made = []
    yield made
    for actor in made:
        ray_local.kill(actor, no_restart=True)


def test_verifier_hard_killed_mid_stream_resumes_exactly_once(bootstrap, table_ref, ray_local, actors):
    ray = ray_local
    topic = create_topic(bootstrap, partitions=3)
    total = 240_000
    Producer = remote_agent_class(ProducerAgent)
    Verifier = remote_agent_class(ConsumerVerifierAgent, max_restarts=3)
    verifier = Verifier.remote("c-0", "run-k", topic, bootstrap, "g-kill", table_ref, ConsumerSpec(commit_interval_s=1))
    producer = Producer.remote("p-0", "run-k", topic, bootstrap,
                               ProducerSpec(rate=RateSpec(profile="constant", per_second=20_000), max_records=total))
    actors += [producer, verifier]

    def committed():
        stats = actor_call(ray, verifier.stats)
        return stats and stats["committed_records"]

    try:
        wait_for(lambda: (committed() or 0) >= total // 4, 300, what="a quarter of the stream in the table")
    except AssertionError as exc:  # say where the stream stood
        raise AssertionError(f"{exc}; producer {actor_call(ray, producer.health)}, "
                             f"verifier {actor_call(ray, verifier.health)} {actor_call(ray, verifier.stats)}") from exc
    first = actor_call(ray, verifier.health)
    os.kill(first["pid"], signal.SIGKILL)  # no clean stop: its open batch dies with it

    restarted = wait_for(lambda: (h := actor_call(ray, verifier.health)) and h["pid"] != first["pid"] and h, 60,
                         what="Ray to restart the verifier")
    assert restarted["state"] == "running"
    wait_for(lambda: (actor_call(ray, producer.health) or {}).get("state") == "finished", 120, what="the producer")
    acks = ray.get(producer.ack_ledger.remote())
    assert sum(e - s for ranges in acks["acked"].values() for s, e in ranges) == total
    wait_for(lambda: table_verdict(table_ref, topic, "run-k", [acks])["table_rows"] >= total, 120,
             what="the restarted verifier to catch up")

    verdict = table_verdict(table_ref, topic, "run-k", [acks])
    assert (verdict["missing"], verdict["duplicates"], verdict["unexpected"]) == (0, 0, 0)
    assert verdict["table_rows"] == verdict["table_distinct"] == total
    assert verdict["state_losses"] == 0
    after = actor_call(ray, verifier.stats)
    v = after["verdicts"]
    # The new incarnation resumed from the table's state: no false gap, duplicate or loss.
    assert (v["gaps"], v["gap_records"], v["duplicate"], v["reordered"], v["corrupt"]) == (0, 0, 0, 0, 0)
    assert after["candidate_losses"]["records"] == 0
    assert 0 < v["in_order"] < total  # it re-read only what the table lacked


def steady_pair(bootstrap: str, table_ref, run_id: str, group: str, total: int, commit_interval_s: float):
    """A producer at 10,000 records/s for `total` records and one verifier, on a new topic."""
    topic = create_topic(bootstrap, partitions=3)
    producer = ProducerAgent("p-0", run_id, topic, bootstrap,
                             ProducerSpec(rate=RateSpec(profile="constant", per_second=10_000), max_records=total))
    verifier = ConsumerVerifierAgent("c-0", run_id, topic, bootstrap, group, table_ref,
                                     ConsumerSpec(commit_interval_s=commit_interval_s))
    return topic, producer, verifier


def test_broker_restart_mid_stream_loses_no_acknowledged_record(fault_stack, table_ref, started):
    # The breakable broker: the session's serves the long steady pipeline meanwhile.
    kafka = fault_stack.kafka
    bootstrap = kafka.bootstrap
    total = 150_000
    topic, producer, verifier = steady_pair(bootstrap, table_ref, "run-b", "g-broker", total, commit_interval_s=1)
    started(verifier, producer)
    wait_for(lambda: producer.stats()["acked"] >= total // 4, 60, what="a quarter of the stream acknowledged")

    kafka.stop()
    assert kafka.status().state == "stopped"
    kafka.start()

    assert producer.wait(240) and producer.health()["state"] == "finished", producer.health()
    p = producer.stats()
    assert p["acked"] + p["failed"] == total and p["unflushed_at_stop"] == 0, p
    acks = producer.ack_ledger()
    wait_for(lambda: verifier.stats()["committed_records"] >= p["acked"], 120, what="the verifier to drain")
    v = verifier.stats()["verdicts"]
    verifier.stop()

    verdict = table_verdict(table_ref, topic, "run-b", [acks])
    assert verdict["missing"] == 0 and verdict["state_losses"] == 0, verdict
    assert verdict["duplicates"] == 0 and v["duplicate"] == 0 and v["reordered"] == 0
    if p["client_replacements"] == 0:
        assert p["acked"] == total, f"records failed during a short restart: {p['errors']}"
    else:  # the client asked for metadata mid-shutdown and forgot the broker (librdkafka#5301)
        assert set(p["errors"]) <= PURGED, f"records failed during a short restart: {p['errors']}"
    assert verdict["table_rows"] == p["acked"]
    # The outage shows up as ack latency, measured from each record's due time.
    from agents.core.histogram import LatencyHistogram

    assert LatencyHistogram.from_json(p["ack_latency"]).max_value > 1_000_000


def test_a_client_that_forgets_the_broker_during_the_final_flush_is_replaced(fault_stack):
    """The producer has handed over its last record and waits for the acks when its client
    forgets every broker (librdkafka#5301): it is replaced even then, so each record ends
    acknowledged or failed well before the flush timeout, and none is left unaccounted for."""
    proxied = fault_stack.toxiproxy.kafka_proxy_address
    toxi = fault_stack.toxiproxy.client()
    total = 20_000
    topic = create_topic(fault_stack.kafka.bootstrap, partitions=3)
    producer = ProducerAgent("p-0", "run-d", topic, proxied,
                             ProducerSpec(rate=RateSpec(profile="constant", per_second=5_000), max_records=total,
                                          flush_timeout_s=600))
    producer.broker_watch = ForgetfulClientWatch()
    producer.start()
    try:
        wait_for(lambda: producer.stats()["acked"] >= total // 10, 60, what="a first part acknowledged")
        toxi.set_enabled("kafka", False)  # the rest stays in the client's queue
        wait_for(lambda: producer.flushing, 60, what="the producer's final flush")
        assert producer.stats()["acked"] < total
        producer.broker_watch.forget(time.monotonic())
        assert producer.wait(60) and producer.health()["state"] == "finished", producer.health()
    finally:
        toxi.set_enabled("kafka", True)
        producer.stop()
    p = producer.stats()
    assert p["client_replacements"] == 1 and p["unflushed_at_stop"] == 0, p
    assert p["acked"] + p["failed"] == total and p["failed"] > 0, p
    assert set(p["errors"]) <= PURGED, p["errors"]


def test_verifier_replaces_a_fatally_fenced_consumer_and_stays_exact(bootstrap, table_ref, started):
    """Another member claims the verifier's static group.instance.id (as after some broker
    fail-overs): librdkafka fences the verifier's consumer fatally; the verifier starts a
    new consumer and resumes from the table's state without a gap or a duplicate."""
    from confluent_kafka import Consumer

    total = 60_000
    topic, producer, verifier = steady_pair(bootstrap, table_ref, "run-x", "g-fence", total, commit_interval_s=0.5)
    started(verifier, producer)
    wait_for(lambda: verifier.stats()["committed_records"] >= total // 5, 60, what="a first part in the table")

    usurper = Consumer({"bootstrap.servers": bootstrap, "group.id": "g-fence", "group.instance.id": "g-fence-c-0",
                        "session.timeout.ms": 6000})
    usurper.subscribe([topic])
    usurper.consume(num_messages=1, timeout=5)  # joins the group under the verifier's identity
    usurper.close()

    wait_for(lambda: verifier.stats()["consumer_restarts"] >= 1, 60, what="the verifier to replace its consumer")
    assert producer.wait(60)
    wait_for(lambda: table_verdict(table_ref, topic, "run-x", [producer.ack_ledger()])["table_rows"] >= total, 120,
             what="the verifier to catch up")
    verdict = table_verdict(table_ref, topic, "run-x", [producer.ack_ledger()])
    assert (verdict["missing"], verdict["duplicates"], verdict["table_rows"]) == (0, 0, total)
    v = verifier.stats()["verdicts"]
    assert (v["gaps"], v["duplicate"], v["reordered"]) == (0, 0, 0)


class ForgetfulClientWatch(BrokerWatch):
    """Once `forget()` is called, every statistics report of the agent's current client says
    what a client hit by librdkafka#5301 reports, no broker, and there is no grace; the
    agent's next client (`reset()`) is a healthy one again. Sticky, as the real failure is:
    a report of the working client cannot undo it before the agent looks."""

    def __init__(self):
        super().__init__()
        self.forgotten = False

    def forget(self, now_s: float) -> None:
        self.forgotten, self.limit_s = True, 0
        self.observe(now_s, 0)

    def observe(self, now_s: float, brokers: int) -> None:
        super().observe(now_s, 0 if self.forgotten else brokers)

    def reset(self) -> None:
        self.forgotten, self.limit_s = False, BROKERLESS_LIMIT_S
        super().reset()


def test_agents_replace_clients_that_forgot_every_broker_and_stay_exact(bootstrap, table_ref, started):
    """A client that asked for metadata while the broker shut down may forget every broker
    and never reconnect (confluentinc/librdkafka#5301). That moment cannot be provoked on
    demand, so each agent's BrokerWatch hears what such a client's statistics say (no
    broker), with no grace: the producer and the verifier put new clients in place of their
    working ones, and the stream stays exact through both replacements."""
    total = 60_000  # at 2,000/s: the producer still sends when its client is replaced
    topic = create_topic(bootstrap, partitions=3)
    producer = ProducerAgent("p-0", "run-f", topic, bootstrap,
                             ProducerSpec(rate=RateSpec(profile="constant", per_second=2_000), max_records=total))
    verifier = ConsumerVerifierAgent("c-0", "run-f", topic, bootstrap, "g-forgot", table_ref,
                                     ConsumerSpec(commit_interval_s=0.5))
    producer.broker_watch, verifier.broker_watch = ForgetfulClientWatch(), ForgetfulClientWatch()
    started(verifier, producer)
    wait_for(lambda: verifier.stats()["committed_records"] >= total // 10, 60, what="a first part in the table")

    for agent, replaced in ((producer, lambda: producer.stats()["client_replacements"]),
                            (verifier, lambda: verifier.stats()["consumer_restarts"])):
        agent.broker_watch.forget(time.monotonic())
        wait_for(lambda: replaced() >= 1, 30, what=f"{agent.agent_id} to replace its client")
        wait_for(lambda: not agent.broker_watch.forgotten, 30, what=f"{agent.agent_id}'s new client")

    assert producer.wait(60) and producer.health()["state"] == "finished", producer.health()
    p = producer.stats()
    assert p["acked"] + p["failed"] == total
    assert p["acked"] > total * 0.9  # the replaced producer's unsent queue is failed, not lost
    assert (p["client_replacements"], verifier.stats()["consumer_restarts"]) == (1, 1)  # healthy clients stay
    acks = producer.ack_ledger()
    wait_for(lambda: table_verdict(table_ref, topic, "run-f", [acks])["table_rows"] >= p["acked"], 120,
             what="the verifier to catch up")
    verdict = table_verdict(table_ref, topic, "run-f", [acks])
    assert (verdict["missing"], verdict["duplicates"], verdict["state_losses"]) == (0, 0, 0), verdict
    v = verifier.stats()["verdicts"]
    assert (v["duplicate"], v["reordered"]) == (0, 0), v
