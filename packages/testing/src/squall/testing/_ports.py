"""Listening sockets on free ports for tests."""

from __future__ import annotations

import socket

from squall.netutil import bind_sockets

__all__ = ["bind_unused_port"]


def bind_unused_port(
    reuse_port: bool = False, address: str = "127.0.0.1"
) -> tuple[socket.socket, int]:
    """Bind a listening socket to a free port chosen by the operating system.

    The socket is bound before its port is known, so no other process can
    take the port in between (unlike picking a number first). Hand the socket
    to ``HTTPServer.add_sockets([sock])`` or ``TCPServer.add_socket(sock)``.

    Args:
        reuse_port: set ``SO_REUSEPORT`` on the socket.
        address: the IP address to bind, ``"127.0.0.1"`` by default (use
            ``"::1"`` for IPv6 loopback). It must be one address: a host
            name that resolves to several is refused.

    Returns:
        ``(socket, port)``: the non-blocking listening socket and its port.

    Raises:
        ValueError: ``address`` is not a single IP address.
        OSError: the address cannot be bound on this machine.
    """
    try:
        socket.inet_pton(socket.AF_INET, address)
        family = socket.AF_INET
    except OSError:
        try:
            socket.inet_pton(socket.AF_INET6, address)
            family = socket.AF_INET6
        except OSError:
            raise ValueError(
                f"bind_unused_port needs an IP address such as '127.0.0.1' or '::1', "
                f"got {address!r}"
            ) from None
    sockets = bind_sockets(0, address, family=family, reuse_port=reuse_port)
    sock = sockets[0]
    for extra in sockets[1:]:  # one address and one family: never expected
        extra.close()
    port: int = sock.getsockname()[1]
    return sock, port
