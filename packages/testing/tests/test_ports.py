"""bind_unused_port."""

from __future__ import annotations

import socket

import pytest

from squall.testing import bind_unused_port


def test_socket_is_listening_on_the_returned_port() -> None:
    sock, port = bind_unused_port()
    try:
        assert sock.getsockname() == ("127.0.0.1", port)
        assert not sock.getblocking()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        sock.close()


def test_two_calls_give_two_ports() -> None:
    first, port1 = bind_unused_port()
    second, port2 = bind_unused_port()
    first.close()
    second.close()
    assert port1 != port2


def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 support")
    try:
        sock, port = bind_unused_port(address="::1")
    except OSError:
        pytest.skip("::1 cannot be bound here")
    try:
        assert sock.family == socket.AF_INET6
        assert sock.getsockname()[1] == port
    finally:
        sock.close()


def test_reuse_port() -> None:
    if not hasattr(socket, "SO_REUSEPORT"):
        pytest.skip("no SO_REUSEPORT on this platform")
    sock, _port = bind_unused_port(reuse_port=True)
    try:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
    finally:
        sock.close()


@pytest.mark.parametrize("address", ["localhost", "", "not an address"])
def test_address_must_be_one_ip(address: str) -> None:
    with pytest.raises(ValueError, match="IP address"):
        bind_unused_port(address=address)
