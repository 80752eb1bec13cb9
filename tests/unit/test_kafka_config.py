from pathlib import Path

import pytest

from controller.infra.kafka_config import BrokerLayout, jvm_argv, new_cluster_id, server_properties

LAYOUT = BrokerLayout(host="127.0.0.1", port=9092, controller_port=9093, proxied_port=9094,
                      proxy_port=19094, log_dirs=Path("/data/kafka"))


def props(layout=LAYOUT) -> dict[str, str]:
    lines = server_properties(layout).splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_kraft_single_node_with_standalone_quorum():
    p = props()
    assert p["process.roles"] == "broker,controller"
    assert p["controller.quorum.bootstrap.servers"] == "127.0.0.1:9093"
    assert "controller.quorum.voters" not in p  # incompatible with format --standalone
    assert p["controller.listener.names"] == "CONTROLLER"
    assert p["log.dirs"] == "/data/kafka"


def test_proxied_listener_advertises_the_proxy_so_traffic_stays_behind_it():
    p = props()
    assert p["listeners"] == ("PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,"
                              "PROXIED://127.0.0.1:9094")
    assert p["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9092,PROXIED://127.0.0.1:19094"
    assert p["inter.broker.listener.name"] == "PLAINTEXT"
    mapping = dict(pair.split(":") for pair in p["listener.security.protocol.map"].split(","))
    assert mapping == {"PLAINTEXT": "PLAINTEXT", "CONTROLLER": "PLAINTEXT", "PROXIED": "PLAINTEXT"}


def test_internal_topics_fit_one_node():
    p = props()
    for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                "transaction.state.log.min.isr", "share.coordinator.state.topic.replication.factor",
                "share.coordinator.state.topic.min.isr"):
        assert p[key] == "1", key


def test_retention_bounds_the_disk():
    small = BrokerLayout(**{**LAYOUT.__dict__, "retention_bytes": 64 * 1024**2})
    p = props(small)
    assert p["log.retention.bytes"] == str(64 * 1024**2)
    assert int(p["log.segment.bytes"]) <= 64 * 1024**2


def test_cluster_id_is_kafka_shaped():
    cid = new_cluster_id(bytes(range(16)))
    assert cid == "AAECAwQFBgcICQoLDA0ODw" and len(cid) == 22
    assert all(len(new_cluster_id()) == 22 for _ in range(100))


def test_cluster_id_never_starts_with_a_dash_or_is_zero():
    with pytest.raises(ValueError):
        new_cluster_id(b"\xf8" + bytes(15))  # base64url '-' first
    with pytest.raises(ValueError):
        new_cluster_id(bytes(16))
    assert not any(new_cluster_id().startswith("-") for _ in range(2000))


def test_jvm_argv_puts_every_cached_jar_on_the_classpath():
    argv = jvm_argv("/usr/bin/java", Path("/cache/jars"), "512m", Path("/logs"), Path("/l4j.properties"),
                    "kafka.Kafka", ["/cfg/server.properties"])
    assert argv[0] == "/usr/bin/java"
    assert argv[argv.index("-cp") + 1] == "/cache/jars/*"
    assert "-Xmx512m" in argv and "-Dkafka.logs.dir=/logs" in argv
    assert argv[-2:] == ["kafka.Kafka", "/cfg/server.properties"]
