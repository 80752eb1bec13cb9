"""The local KRaft broker started by the project's own infra code, for real."""

from __future__ import annotations

from confluent_kafka.admin import AdminClient

from tests.integration.kafka_helpers import consume_keys, create_topic, produce

RECORDS = 10_000


def test_produce_acks_all_and_consume_back(bootstrap):
    topic = create_topic(bootstrap)
    acked, errors = produce(bootstrap, topic, RECORDS)
    assert (acked, errors) == (RECORDS, [])
    keys = consume_keys(bootstrap, topic, RECORDS)
    assert sorted(keys) == list(range(RECORDS))


def test_records_survive_a_broker_restart(fault_stack):
    # The breakable broker: the session's serves the long steady pipeline meanwhile.
    kafka = fault_stack.kafka
    bootstrap = kafka.bootstrap
    topic = create_topic(bootstrap)
    acked, _ = produce(bootstrap, topic, RECORDS)
    assert acked == RECORDS
    pid_before = kafka.status().pid

    assert kafka.stop() is True
    assert kafka.status().state == "stopped"
    status = kafka.start()

    assert status.state == "ready" and status.pid != pid_before
    keys = consume_keys(bootstrap, topic, RECORDS)
    assert sorted(keys) == list(range(RECORDS))


def test_proxied_clients_stay_behind_toxiproxy(local_stack):
    """Clients bootstrapped on the proxy learn the proxy's address, so a partition cuts them off."""
    toxi = local_stack.toxiproxy
    proxied = toxi.kafka_proxy_address
    brokers = AdminClient({"bootstrap.servers": proxied}).list_topics(timeout=10).brokers
    assert {f"{b.host}:{b.port}" for b in brokers.values()} == {proxied}

    topic = create_topic(local_stack.kafka.bootstrap)
    assert produce(proxied, topic, 1_000)[0] == 1_000

    client = toxi.client()
    client.set_enabled("kafka", False)
    try:
        acked, errors = produce(proxied, topic, 10, timeout_s=3)
        assert (acked, len(errors)) == (0, 10), "records were acknowledged through a disabled proxy"
    finally:
        client.set_enabled("kafka", True)
    assert produce(proxied, topic, 100)[0] == 100


def test_status_reports_ready_on_loopback(local_stack):
    status = local_stack.kafka.status()
    assert status.state == "ready"
    assert status.address == f"127.0.0.1:{local_stack.settings.kafka_port}"
