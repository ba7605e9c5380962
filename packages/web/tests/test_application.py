"""Application.listen: socket keywords go to the bind, the rest to HTTPServer."""

from __future__ import annotations

import socket

import pytest

from squall.testing import raw_exchange
from squall.web import Application, RequestHandler


class RemoteIp(RequestHandler):
    def get(self):
        self.write(self.request.remote_ip or "")


def _reuse_port_placeholder() -> socket.socket:
    """A loopback socket bound with SO_REUSEPORT, holding a free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


needs_reuse_port = pytest.mark.skipif(
    not hasattr(socket, "SO_REUSEPORT"), reason="SO_REUSEPORT is not available"
)


@needs_reuse_port
async def test_listen_routes_socket_and_server_keywords():
    placeholder = _reuse_port_placeholder()
    port = placeholder.getsockname()[1]
    app = Application([(r"/", RemoteIp)])
    # reuse_port is what lets the bind share the placeholder's port;
    # xheaders is a constructor argument of the server.
    server = app.listen(
        port,
        "127.0.0.1",
        reuse_port=True,
        backlog=16,
        family=socket.AF_INET,
        flags=socket.AI_NUMERICHOST,
        xheaders=True,
        max_body_size=1024,
    )
    placeholder.close()
    try:
        assert server.xheaders is True
        data = await raw_exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Real-Ip: 10.1.2.3\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 200 ")
        assert data.endswith(b"\r\n\r\n10.1.2.3")
    finally:
        server.stop()


@needs_reuse_port
async def test_listen_without_reuse_port_cannot_share_the_port():
    placeholder = _reuse_port_placeholder()
    try:
        with pytest.raises(OSError):
            Application([(r"/", RemoteIp)]).listen(placeholder.getsockname()[1], "127.0.0.1")
    finally:
        placeholder.close()


async def test_listen_passes_family_and_flags_to_the_bind():
    app = Application([(r"/", RemoteIp)])
    # An IPv4 literal has no IPv6 address: the family reached getaddrinfo.
    with pytest.raises(socket.gaierror):
        app.listen(0, "127.0.0.1", family=socket.AF_INET6)
    # A host name is not numeric: the flags reached getaddrinfo.
    with pytest.raises(socket.gaierror):
        app.listen(0, "localhost", flags=socket.AI_NUMERICHOST)


async def test_listen_refuses_unknown_keywords():
    with pytest.raises(TypeError):
        Application([(r"/", RemoteIp)]).listen(0, "127.0.0.1", no_such_option=True)
