"""The connection takeover on squall.httpserver.HTTPServer, on asyncio and on uvloop.

Every server-side test of this package runs on the real server (through
squall-testing's fixtures). This module runs the parts that depend on the
server's ``detach()`` and on the event loop's transports on both loops:
uvloop's transports are not ``asyncio.Transport`` subclasses and pause,
resume and hand over differently.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from wsraw import RawClient, build_frame, upgrade_request

import squall.web
from squall.ioloop import IOLoop
from squall.websocket import WebSocketHandler, websocket_connect

try:  # a plain import, so that tools/isolation.py installs it for these tests
    import uvloop
except ImportError:
    uvloop = None


@pytest.fixture(params=["asyncio", "uvloop"])
def loop_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """Make the plugin's ``io_loop`` build an asyncio or a uvloop loop."""
    if request.param == "asyncio":
        yield "asyncio"
        return
    if uvloop is None:
        pytest.skip("uvloop is not installed")
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        yield "uvloop"
    finally:
        asyncio.set_event_loop_policy(previous)


@pytest.fixture
def io_loop(loop_kind: str, io_loop: IOLoop) -> IOLoop:
    """squall-testing's loop, made under the policy chosen by ``loop_kind``."""
    module = type(io_loop.asyncio_loop).__module__
    assert module.startswith("uvloop") == (loop_kind == "uvloop"), module
    return io_loop


class Echo(WebSocketHandler):
    def get_compression_options(self) -> dict[str, Any] | None:
        return {}

    def on_message(self, message: str | bytes) -> None:
        self.write_message(message, binary=isinstance(message, bytes))


class Hello(squall.web.RequestHandler):
    def get(self) -> None:
        self.write("plain http")


class Flood(WebSocketHandler):
    """Writes until the transport pushes back, then reports how many writes it took."""

    def initialize(self, outcome: asyncio.Future[int]) -> None:
        self.outcome = outcome

    async def open(self) -> None:
        chunk = b"z" * 65536
        for count in range(1, 2000):
            future = self.write_message(chunk, binary=True)
            if not future.done():
                self.outcome.set_result(count)
                await future  # completes once the client reads
                self.write_message("done")
                return
        self.outcome.set_result(-1)


@pytest.fixture
def outcome(io_loop: IOLoop) -> asyncio.Future[int]:
    return io_loop.asyncio_loop.create_future()


@pytest.fixture
def app(outcome: asyncio.Future[int]) -> squall.web.Application:
    return squall.web.Application(
        [(r"/ws", Echo), (r"/hello", Hello), (r"/flood", Flood, {"outcome": outcome})]
    )


async def test_squall_client_echo_with_and_without_compression(http_port: int) -> None:
    for options in (None, {}):
        conn = await websocket_connect(
            f"ws://127.0.0.1:{http_port}/ws", compression_options=options
        )
        assert conn.headers is not None
        assert ("Sec-WebSocket-Extensions" in conn.headers) == (options is not None)
        for i in range(50):
            await conn.write_message(f"msg {i}")
        assert [await conn.read_message() for _ in range(50)] == [f"msg {i}" for i in range(50)]
        conn.close(1000)
        assert await conn.read_message() is None
        assert conn.close_code == 1000


async def test_frames_in_the_same_packet_as_the_upgrade_request(http_port: int) -> None:
    """Bytes the server read past the request head reach the WebSocket (detach's leftover)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", http_port)
    client = RawClient(reader, writer)
    writer.write(
        upgrade_request("/ws", port=http_port)
        + build_frame(1, b"early")
        + build_frame(2, b"\x00bin")
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101 ")
    assert await client.read_frame() == (True, 1, b"early")
    assert await client.read_frame() == (True, 2, b"\x00bin")
    client.close()


async def test_upgrade_after_a_keep_alive_request_on_the_same_connection(http_port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", http_port)
    writer.write(f"GET /hello HTTP/1.1\r\nHost: 127.0.0.1:{http_port}\r\n\r\n".encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 200 ")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    assert await reader.readexactly(length) == b"plain http"
    client = RawClient(reader, writer)
    writer.write(upgrade_request("/ws", port=http_port))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101 ")
    client.send_frame(1, b"upgraded")
    assert await client.read_frame() == (True, 1, b"upgraded")
    client.close()


async def test_protocol_violation_closes_the_tcp_connection(http_port: int) -> None:
    client = await RawClient.open(http_port)
    assert client.status == 101
    client.send_frame(1, b"unmasked", mask=False)
    code, _ = await client.read_close()
    assert code == 1002
    assert await client.at_eof()
    client.close()


async def test_write_back_pressure_through_the_detached_transport(
    http_port: int, outcome: asyncio.Future[int]
) -> None:
    client = await RawClient.open(http_port, path="/flood")
    assert client.status == 101
    count = await asyncio.wait_for(outcome, 10)
    assert count > 0  # a write had to wait for the client
    while True:
        _, opcode, payload = await client.read_frame()
        if opcode == 1:
            assert payload == b"done"
            break
    client.close()


async def test_client_close_frame_is_echoed_and_tcp_closed(http_port: int) -> None:
    client = await RawClient.open(http_port)
    client.send_frame(8, struct.pack("!H", 1000))
    assert await client.read_close() == (1000, b"")
    assert await client.at_eof()
    client.close()
