"""WebSocketHandler behind squall.httpserver.HTTPServer itself.

Skipped until the server's request connections offer ``detach()`` (the hook
squall.websocket needs; see docs/websocket.md, "Serving").
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import squall.web
from squall.websocket import WebSocketHandler, websocket_connect


def _server_can_detach() -> bool:
    try:
        from squall.httpserver import _connection
    except ImportError:
        return False
    return hasattr(getattr(_connection, "_RequestConnection", None), "detach")


pytestmark = pytest.mark.skipif(
    not _server_can_detach(), reason="squall.httpserver connections have no detach() yet"
)


class Echo(WebSocketHandler):
    def get_compression_options(self) -> dict[str, Any] | None:
        return {}

    def on_message(self, message: str | bytes) -> None:
        self.write_message(message, binary=isinstance(message, bytes))


async def _echo_through_httpserver() -> None:
    from squall.httpserver import HTTPServer
    from squall.netutil import bind_sockets

    sockets = bind_sockets(0, "127.0.0.1")
    port = sockets[0].getsockname()[1]
    server = HTTPServer(squall.web.Application([(r"/ws", Echo)]))
    server.add_sockets(sockets)
    try:
        for options in (None, {}):
            conn = await websocket_connect(f"ws://127.0.0.1:{port}/ws", compression_options=options)
            for i in range(50):
                await conn.write_message(f"msg {i}")
            assert [await conn.read_message() for _ in range(50)] == [f"msg {i}" for i in range(50)]
            conn.close(1000)
            assert await conn.read_message() is None
            assert conn.close_code == 1000
    finally:
        server.stop()
        await asyncio.sleep(0)


async def test_echo_through_httpserver() -> None:
    await _echo_through_httpserver()


def test_echo_through_httpserver_on_uvloop() -> None:
    """uvloop's transports are not asyncio.Transport subclasses; the takeover must not care."""
    uvloop = pytest.importorskip("uvloop")
    loop = uvloop.new_event_loop()
    try:
        loop.run_until_complete(_echo_through_httpserver())
    finally:
        loop.close()
