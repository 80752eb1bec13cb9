import socket

import pytest

from controller.errors import InfraError
from controller.infra.ports import free_ports, port_is_free, require_free


def test_listening_port_is_taken_and_named_in_the_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        with pytest.raises(InfraError) as info:
            require_free("127.0.0.1", port, "kafka_port")
    line = info.value.one_line()
    assert f"port {port} on 127.0.0.1 is already in use" in line and "SOAK_KAFKA_PORT" in line


def test_free_ports_are_distinct_and_free():
    ports = free_ports(8)
    assert len(set(ports)) == 8
    assert all(port_is_free("127.0.0.1", p) for p in ports)
