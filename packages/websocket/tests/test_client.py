"""websocket_connect and WebSocketClientConnection."""

from __future__ import annotations

import asyncio
import ssl
import struct
import types
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from wsraw import expected_accept, mask_bytes

try:  # a plain import, so that tools/isolation.py installs it for these tests
    import trustme
except ImportError:
    trustme = None

import squall.web
from squall.websocket import (
    WebSocketClosedError,
    WebSocketHandler,
    WebSocketHandshakeError,
    websocket_connect,
)


class Echo(WebSocketHandler):
    def on_message(self, message: str | bytes) -> None:
        if message == "close":
            self.close(1001, "going away")
        else:
            self.write_message(message, binary=isinstance(message, bytes))


@pytest.fixture
def app() -> squall.web.Application:
    """Served by squall-testing's ``http_server`` fixture (``http_port``)."""
    return squall.web.Application([(r"/ws", Echo)])


async def test_read_message_async_for_and_close(http_port: int) -> None:
    conn = await websocket_connect(f"ws://127.0.0.1:{http_port}/ws")
    for word in ("one", "two", "close"):
        await conn.write_message(word)
    received = [message async for message in conn]
    assert received == ["one", "two"]
    assert (conn.close_code, conn.close_reason) == (1001, "going away")
    assert await conn.read_message() is None
    with pytest.raises(WebSocketClosedError):
        conn.write_message("too late")


async def test_on_message_callback_and_connect_callback(http_port: int) -> None:
    got: list[Any] = []
    finished = asyncio.Event()
    connected: list[Any] = []

    def on_message(message: Any) -> None:
        got.append(message)
        if message is None:
            finished.set()

    future = websocket_connect(
        f"ws://127.0.0.1:{http_port}/ws", callback=connected.append, on_message_callback=on_message
    )
    conn = await future
    assert connected == [future]
    await conn.write_message(b"\x01\x02", binary=True)
    await conn.write_message("close")
    await asyncio.wait_for(finished.wait(), 10)
    assert got == [b"\x01\x02", None]
    with pytest.raises(RuntimeError):
        conn.read_message()


async def test_client_close_handshake(serve: Any) -> None:
    closed = asyncio.Event()
    codes: list[Any] = []

    class Watch(WebSocketHandler):
        def on_message(self, message: str | bytes) -> None:
            pass

        def on_close(self) -> None:
            codes.append((self.close_code, self.close_reason))
            closed.set()

    port = serve(squall.web.Application([(r"/ws", Watch)])).port
    conn = await websocket_connect(f"ws://127.0.0.1:{port}/ws")
    conn.close(4100, "client leaving")
    assert await conn.read_message() is None
    await asyncio.wait_for(closed.wait(), 10)
    assert codes == [(4100, "client leaving")]
    assert conn.close_code == 4100  # the server echoed it


async def test_handshake_refused_raises_with_the_status(http_port: int) -> None:
    with pytest.raises(Exception) as info:
        await websocket_connect(f"ws://127.0.0.1:{http_port}/nowhere")
    assert getattr(info.value, "code", None) == 404


async def test_connection_refused_raises_oserror() -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(OSError):
        await websocket_connect(f"ws://127.0.0.1:{port}/")


async def test_bad_url_scheme() -> None:
    with pytest.raises(ValueError, match="scheme"):
        await websocket_connect("ftp://127.0.0.1/")


# ----------------------------------------------------------------------
# A scripted server, to send the client what a good server would not


@asynccontextmanager
async def scripted(
    script: Callable[[asyncio.StreamReader, asyncio.StreamWriter, str], Awaitable[None]],
) -> AsyncIterator[int]:
    tasks: list[asyncio.Task[None]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        key = ""
        for line in head.split("\r\n"):
            if line.lower().startswith("sec-websocket-key:"):
                key = line.split(":", 1)[1].strip()
        try:
            await script(reader, writer, head.replace("\r\n", "\n") + "\n" + key)
        finally:
            writer.close()

    def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tasks.append(asyncio.ensure_future(handle(reader, writer)))

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def response(key: str, extra: str = "", accept: str | None = None) -> bytes:
    accept = accept if accept is not None else expected_accept(key)
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n{extra}\r\n"
    ).encode()


async def answer_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Skip the client's frames up to its close frame; echo it (a server's part)."""
    while True:
        opcode, payload = await read_client_frame(reader)
        if opcode == 8:
            writer.write(bytes((0x88, len(payload))) + payload)
            return


async def read_client_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readexactly(2)
    assert head[1] & 0x80, "client frames must be masked"
    n = head[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", await reader.readexactly(8))[0]
    key = await reader.readexactly(4)
    return head[0] & 0x0F, mask_bytes(key, await reader.readexactly(n))


async def test_client_sends_a_valid_request_and_masked_frames() -> None:
    seen: asyncio.Queue[Any] = asyncio.Queue()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: str) -> None:
        key = head.rsplit("\n", 1)[1]
        seen.put_nowait(head)
        writer.write(response(key))
        seen.put_nowait(await read_client_frame(reader))
        writer.write(b"\x81\x02ok" + b"\x88\x02\x03\xe8")
        seen.put_nowait(await read_client_frame(reader))
        writer.close()

    async with scripted(script) as port:
        conn = await websocket_connect(f"ws://127.0.0.1:{port}/path?q=1")
        head = await seen.get()
        assert head.startswith("GET /path?q=1 HTTP/1.1\n")
        lowered = head.lower()
        assert f"host: 127.0.0.1:{port}" in lowered
        assert "upgrade: websocket" in lowered and "sec-websocket-version: 13" in lowered
        await conn.write_message("hello")
        assert await asyncio.wait_for(seen.get(), 10) == (1, b"hello")
        assert await conn.read_message() == "ok"
        assert await conn.read_message() is None
        assert await asyncio.wait_for(seen.get(), 10) == (8, b"\x03\xe8")  # the echo


@pytest.mark.parametrize(
    "extra, accept",
    [
        ("", "wrong"),
        ("Sec-WebSocket-Protocol: chat\r\n", None),  # none offered
        ("Sec-WebSocket-Extensions: permessage-deflate\r\n", None),  # not offered
    ],
)
async def test_invalid_upgrade_responses_are_refused(extra: str, accept: str | None) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: str) -> None:
        writer.write(response(head.rsplit("\n", 1)[1], extra, accept))
        await reader.read()

    async with scripted(script) as port:
        with pytest.raises(WebSocketHandshakeError):
            await websocket_connect(f"ws://127.0.0.1:{port}/")


async def test_server_closing_before_answering() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: str) -> None:
        writer.close()

    async with scripted(script) as port:
        with pytest.raises(WebSocketHandshakeError, match="closed"):
            await websocket_connect(f"ws://127.0.0.1:{port}/")


async def test_frames_sent_with_the_101_are_not_lost() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: str) -> None:
        writer.write(response(head.rsplit("\n", 1)[1]) + b"\x81\x05early")
        await answer_close(reader, writer)

    async with scripted(script) as port:
        conn = await websocket_connect(f"ws://127.0.0.1:{port}/")
        assert await conn.read_message() == "early"
        conn.close()
        assert await conn.read_message() is None


@pytest.mark.parametrize(
    "frame, code",
    [
        (b"\x81\x82abcd" + mask_bytes(b"abcd", b"hi"), 1002),  # masked server frame
        (b"\x82\x7f" + struct.pack("!Q", 1 << 63), 1009),
        (b"\x82\x0b" + b"x" * 11, 1009),  # over max_message_size=10
        (b"\xc1\x01x", 1002),  # RSV1 without compression
    ],
)
async def test_client_fails_the_connection_on_violations(frame: bytes, code: int) -> None:
    closes: asyncio.Queue[Any] = asyncio.Queue()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: str) -> None:
        writer.write(response(head.rsplit("\n", 1)[1]) + frame)
        closes.put_nowait(await read_client_frame(reader))
        await reader.read()

    async with scripted(script) as port:
        conn = await websocket_connect(f"ws://127.0.0.1:{port}/", max_message_size=10)
        assert await conn.read_message() is None
        opcode, payload = await asyncio.wait_for(closes.get(), 10)
        assert opcode == 8 and struct.unpack("!H", payload[:2])[0] == code


async def test_client_ping_timeout_closes() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: str) -> None:
        writer.write(response(head.rsplit("\n", 1)[1]))
        await reader.read()  # never answers pings

    async with scripted(script) as port:
        conn = await websocket_connect(f"ws://127.0.0.1:{port}/", ping_interval=0.05, ping_timeout=0.1)
        assert await asyncio.wait_for(conn.read_message(), 10) is None


async def test_unread_messages_pause_the_connection() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: str) -> None:
        writer.write(response(head.rsplit("\n", 1)[1]))
        for i in range(3000):
            writer.write(b"\x82\x7e\x10\x00" + b"%08d" % i * 512)
        await answer_close(reader, writer)

    async with scripted(script) as port:
        conn = await websocket_connect(f"ws://127.0.0.1:{port}/")
        await asyncio.sleep(0.2)
        # The client stopped taking messages off the socket: not all are buffered.
        assert len(conn._messages) <= 40
        for i in range(3000):
            message = await conn.read_message()
            assert message == b"%08d" % i * 512
        conn.close()
        assert await conn.read_message() is None


# ----------------------------------------------------------------------
# TLS


@pytest.fixture
def tls() -> Any:
    if trustme is None:
        pytest.skip("trustme (test certificates) is not installed")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    return types.SimpleNamespace(ca=ca, server_ctx=server_ctx)


@asynccontextmanager
async def tls_echo(server_ctx: ssl.SSLContext) -> AsyncIterator[int]:
    from websockets.asyncio.server import serve as ws_serve

    async def handler(ws: Any) -> None:
        async for message in ws:
            await ws.send(message)

    async with ws_serve(handler, "127.0.0.1", 0, ssl=server_ctx) as server:
        yield next(iter(server.sockets)).getsockname()[1]


async def test_wss_verifies_certificates_by_default(tls: Any) -> None:
    async with tls_echo(tls.server_ctx) as port:
        with pytest.raises(ssl.SSLError):
            await websocket_connect(f"wss://localhost:{port}/")


async def test_wss_with_a_trusted_ca(tls: Any, tmp_path: Any) -> None:
    ca_file = tmp_path / "ca.pem"
    tls.ca.cert_pem.write_to_path(str(ca_file))
    request = types.SimpleNamespace(url="", ca_certs=str(ca_file), headers={"X-Test": "1"})
    async with tls_echo(tls.server_ctx) as port:
        request.url = f"wss://localhost:{port}/"
        conn = await websocket_connect(request)
        await conn.write_message("secure")
        assert await conn.read_message() == "secure"
        conn.close()
        client_ctx = ssl.create_default_context()
        tls.ca.configure_trust(client_ctx)
        by_ctx = types.SimpleNamespace(url=f"wss://localhost:{port}/", ssl_options=client_ctx)
        conn = await websocket_connect(by_ctx)
        await conn.write_message("again")
        assert await conn.read_message() == "again"
        conn.close()


async def test_wss_validate_cert_false(tls: Any) -> None:
    async with tls_echo(tls.server_ctx) as port:
        request = types.SimpleNamespace(url=f"wss://localhost:{port}/", validate_cert=False)
        conn = await websocket_connect(request)
        await conn.write_message("unverified")
        assert await conn.read_message() == "unverified"
        conn.close()
