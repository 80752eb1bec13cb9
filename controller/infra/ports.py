"""Is a TCP port free on this host, and if not, who holds it."""

from __future__ import annotations

import errno
import socket
from contextlib import ExitStack

import psutil

from controller.errors import InfraError


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR, as servers use it: a TIME_WAIT left by a restarted service is no conflict.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def holder_of(port: int) -> str | None:
    """'pid 123 (java)' for the process listening on `port`, when we may see it."""
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                try:
                    return f"pid {conn.pid} ({psutil.Process(conn.pid).name()})"
                except psutil.Error:
                    return f"pid {conn.pid}"
    except psutil.Error:
        return None
    return None


def require_free(host: str, port: int, setting: str) -> None:
    if port_is_free(host, port):
        return
    who = holder_of(port)
    held = f" by {who}" if who else ""
    raise InfraError(
        f"port {port} on {host} is already in use{held}",
        fix=f"stop that process, or choose another port with SOAK_{setting.upper()}",
    )


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct ports the kernel says are free now (for tests and ad-hoc stacks).

    All sockets stay bound until every port is chosen, so no port is handed out twice.
    """
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for sock in socks:
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in socks]
