"""Tests of squall.netutil."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import ssl
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from squall.ioloop import IOLoop
from squall.netutil import (
    DefaultLoopResolver,
    OverrideResolver,
    Resolver,
    add_accept_handler,
    bind_sockets,
    bind_unix_socket,
    is_valid_ip,
    ssl_options_to_context,
)


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


HAS_IPV6 = _has_ipv6_loopback()


def _close(socks: list[socket.socket]) -> None:
    for s in socks:
        s.close()


def test_bind_sockets_ipv4_port_zero() -> None:
    socks = bind_sockets(0, "127.0.0.1")
    try:
        assert len(socks) == 1
        s = socks[0]
        assert s.family == socket.AF_INET
        assert not s.getblocking()
        port = s.getsockname()[1]
        assert port > 0
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        _close(socks)


def test_bind_sockets_localhost_binds_every_resolved_address() -> None:
    expected = {
        info[4][0]
        for info in socket.getaddrinfo("localhost", 0, 0, socket.SOCK_STREAM)
        if info[0] == socket.AF_INET or HAS_IPV6
    }
    socks = bind_sockets(0, "localhost")
    try:
        assert {s.getsockname()[0] for s in socks} == expected
        ports = {s.getsockname()[1] for s in socks}
        assert len(ports) == 1
        port = ports.pop()
        for host in expected:
            with socket.create_connection((str(host), port), timeout=5):
                pass
    finally:
        _close(socks)


@pytest.mark.skipif(not HAS_IPV6, reason="no IPv6 loopback")
def test_bind_sockets_dual_stack_port_zero_shares_one_port() -> None:
    socks = bind_sockets(0, None)
    try:
        assert {s.family for s in socks} == {socket.AF_INET, socket.AF_INET6}
        ports = {s.getsockname()[1] for s in socks}
        assert len(ports) == 1
        port = ports.pop()
        for host in ("127.0.0.1", "::1"):
            with socket.create_connection((host, port), timeout=5):
                pass
    finally:
        _close(socks)


@pytest.mark.skipif(not HAS_IPV6, reason="no IPv6 loopback")
def test_bind_sockets_family_restriction() -> None:
    socks = bind_sockets(0, None, family=socket.AF_INET6)
    try:
        assert [s.family for s in socks] == [socket.AF_INET6]
    finally:
        _close(socks)


def test_bind_sockets_all_interfaces_when_address_none() -> None:
    socks = bind_sockets(0, None)
    try:
        hosts = {s.getsockname()[0] for s in socks}
        assert "0.0.0.0" in hosts
    finally:
        _close(socks)


def test_bind_sockets_address_in_use_raises_and_leaks_nothing() -> None:
    socks = bind_sockets(0, "127.0.0.1")
    port = socks[0].getsockname()[1]
    try:
        with pytest.raises(OSError) as info:
            bind_sockets(port, "127.0.0.1")
        assert info.value.errno == errno.EADDRINUSE
        assert str(port) in str(info.value)
    finally:
        _close(socks)


def test_bind_sockets_reuse_port_allows_two_binds() -> None:
    if not hasattr(socket, "SO_REUSEPORT"):
        pytest.skip("no SO_REUSEPORT")
    first = bind_sockets(0, "127.0.0.1", reuse_port=True)
    port = first[0].getsockname()[1]
    try:
        second = bind_sockets(port, "127.0.0.1", reuse_port=True)
        assert second[0].getsockname()[1] == port
        _close(second)
    finally:
        _close(first)


def test_bind_sockets_backlog_and_bad_port() -> None:
    socks = bind_sockets(0, "127.0.0.1", backlog=5)
    _close(socks)
    with pytest.raises(ValueError, match="port"):
        bind_sockets(70000, "127.0.0.1")
    with pytest.raises(ValueError, match="port"):
        bind_sockets("80", "127.0.0.1")  # type: ignore[arg-type]


def test_bind_unix_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "sock")
    sock = bind_unix_socket(path)
    try:
        mode = os.stat(path).st_mode
        assert stat.S_ISSOCK(mode)
        assert stat.S_IMODE(mode) == 0o600
        assert not sock.getblocking()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
    finally:
        sock.close()
    # A stale socket file is replaced.
    sock2 = bind_unix_socket(path, mode=0o660)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o660
    sock2.close()


def test_bind_unix_socket_refuses_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "not-a-socket"
    path.write_text("keep me")
    with pytest.raises(ValueError, match="not a socket"):
        bind_unix_socket(str(path))
    assert path.read_text() == "keep me"


def test_add_accept_handler_accepts_and_removes(io_loop: IOLoop) -> None:
    socks = bind_sockets(0, "127.0.0.1")
    port = socks[0].getsockname()[1]
    accepted: list[tuple[socket.socket, Any]] = []

    def on_accept(conn: socket.socket, address: Any) -> None:
        accepted.append((conn, address))
        if len(accepted) == 3:
            remove()
            io_loop.stop()

    remove = add_accept_handler(socks[0], on_accept)
    clients: list[socket.socket] = []

    def connect() -> None:
        for _ in range(3):
            clients.append(socket.create_connection(("127.0.0.1", port)))

    thread = threading.Thread(target=connect)
    thread.start()
    io_loop.call_later(5, io_loop.stop)
    io_loop.start()
    thread.join()
    assert len(accepted) == 3
    for conn, address in accepted:
        assert not conn.getblocking()
        assert address[0] == "127.0.0.1"
        conn.close()
    remove()  # a second call is harmless
    _close(clients)
    _close(socks)


def test_is_valid_ip() -> None:
    assert is_valid_ip("127.0.0.1")
    assert is_valid_ip("::1")
    assert is_valid_ip("fe80::1%lo")
    assert not is_valid_ip("localhost")
    assert not is_valid_ip("")
    assert not is_valid_ip("1.2.3.4.5")
    assert not is_valid_ip("127.0.0.1\x00")
    assert not is_valid_ip(None)  # type: ignore[arg-type]


def test_default_resolver_resolves_localhost(io_loop: IOLoop) -> None:
    resolver = Resolver()
    assert isinstance(resolver, DefaultLoopResolver)

    async def main() -> list[tuple[int, Any]]:
        return await resolver.resolve("127.0.0.1", 80, socket.AF_INET)

    result = io_loop.run_sync(main, timeout=10)
    assert result[0][0] == socket.AF_INET
    assert result[0][1][:2] == ("127.0.0.1", 80)
    resolver.close()


def test_resolver_unknown_host_raises(io_loop: IOLoop) -> None:
    async def main() -> None:
        await Resolver().resolve("no-such-host.invalid", 80)

    with pytest.raises(socket.gaierror):
        io_loop.run_sync(main, timeout=10)


def test_override_resolver(io_loop: IOLoop) -> None:
    resolver = OverrideResolver(
        DefaultLoopResolver(),
        {
            "example.test": "127.0.0.1",
            ("api.test", 443): ("127.0.0.1", 8443),
            ("v6.test", 80, socket.AF_INET): ("127.0.0.2", 81),
        },
    )

    async def main() -> list[Any]:
        a = await resolver.resolve("example.test", 80, socket.AF_INET)
        b = await resolver.resolve("api.test", 443, socket.AF_INET)
        c = await resolver.resolve("v6.test", 80, socket.AF_INET)
        return [a[0][1][:2], b[0][1][:2], c[0][1][:2]]

    assert io_loop.run_sync(main, timeout=10) == [
        ("127.0.0.1", 80),
        ("127.0.0.1", 8443),
        ("127.0.0.2", 81),
    ]


def test_resolver_configure() -> None:
    class Fixed(Resolver):
        def __init__(self, answer: str = "none") -> None:
            self.answer = answer

        async def resolve(
            self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
        ) -> list[tuple[int, Any]]:
            return [(socket.AF_INET, (self.answer, port))]

    try:
        Resolver.configure(Fixed, answer="10.0.0.1")
        r = Resolver()
        assert isinstance(r, Fixed) and r.answer == "10.0.0.1"
        assert Resolver.configured_class() is Fixed
        r2 = Resolver(answer="10.0.0.2")  # type: ignore[call-arg]
        assert isinstance(r2, Fixed) and r2.answer == "10.0.0.2"
        with pytest.raises(TypeError, match="Resolver subclass"):
            Resolver.configure(int)  # type: ignore[arg-type]
        Resolver.configure("squall.netutil.DefaultLoopResolver")
        assert isinstance(Resolver(), DefaultLoopResolver)
    finally:
        Resolver.configure(None)
    assert isinstance(Resolver(), DefaultLoopResolver)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def test_ssl_options_to_context_dict_server(ca: trustme.CA, tmp_path: Path) -> None:
    cert = ca.issue_cert("localhost")
    certfile = tmp_path / "cert.pem"
    keyfile = tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(str(certfile), append=True)
    cert.private_key_pem.write_to_path(str(keyfile))
    ctx = ssl_options_to_context({"certfile": str(certfile), "keyfile": str(keyfile)})
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.protocol == ssl.PROTOCOL_TLS_SERVER
    assert ctx.options & ssl.OP_NO_COMPRESSION


def test_ssl_options_to_context_client_and_passthrough(ca: trustme.CA, tmp_path: Path) -> None:
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    ctx = ssl_options_to_context({"ca_certs": str(cafile)}, server_side=False)
    assert ctx.protocol == ssl.PROTOCOL_TLS_CLIENT
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    loose = ssl_options_to_context({"cert_reqs": ssl.CERT_NONE}, server_side=False)
    assert loose.verify_mode == ssl.CERT_NONE and not loose.check_hostname
    assert ssl_options_to_context(ctx) is ctx


def test_ssl_options_to_context_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown ssl_options"):
        ssl_options_to_context({"certfil": "x"})
    with pytest.raises(TypeError, match="dict or an ssl.SSLContext"):
        ssl_options_to_context("cert.pem")  # type: ignore[arg-type]
    with pytest.raises(OSError):
        ssl_options_to_context({"certfile": str(tmp_path / "missing.pem")})
