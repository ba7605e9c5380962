"""Interoperability with the independent ``websockets`` library, both ways."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

import squall.web
from squall.websocket import WebSocketHandler, websocket_connect

websockets = pytest.importorskip("websockets")
from websockets.asyncio.client import connect as ws_connect  # noqa: E402
from websockets.asyncio.server import serve as ws_serve  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

COMPRESSION = [None, "deflate"]


class Echo(WebSocketHandler):
    def initialize(self, closes: asyncio.Queue[Any], compression: dict[str, Any] | None) -> None:
        self.closes = closes
        self.compression = compression

    def get_compression_options(self) -> dict[str, Any] | None:
        return self.compression

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return subprotocols[0]

    def on_message(self, message: str | bytes) -> None:
        if message == "bye":
            self.close(4000, "see you")
            return
        self.write_message(message, binary=isinstance(message, bytes))

    def on_close(self) -> None:
        self.closes.put_nowait((self.close_code, self.close_reason))


def echo_app(closes: asyncio.Queue[Any]) -> squall.web.Application:
    return squall.web.Application(
        [
            (r"/plain", Echo, {"closes": closes, "compression": None}),
            (r"/deflate", Echo, {"closes": closes, "compression": {}}),
            (r"/nct", Echo, {"closes": closes, "compression": {"server_no_context_takeover": True,
                                                               "client_no_context_takeover": True}}),
        ]
    )


@pytest.mark.parametrize("compression", COMPRESSION)
async def test_websockets_client_against_squall_server(serve: Any, compression: str | None) -> None:
    closes: asyncio.Queue[Any] = asyncio.Queue()
    path = "/deflate" if compression else "/plain"
    port = serve(echo_app(closes)).port
    async with ws_connect(
        f"ws://127.0.0.1:{port}{path}", compression=compression, max_size=None
    ) as ws:
        negotiated = ws.response.headers.get("Sec-WebSocket-Extensions")
        assert (negotiated is not None) == (compression is not None)
        await ws.send("hello ☃")
        assert await ws.recv() == "hello ☃"
        blob = os.urandom(1 << 20)
        await ws.send(blob)
        assert await ws.recv() == blob
        text = "compressible " * 20_000
        await ws.send(text)
        assert await ws.recv() == text
        # A fragmented message from the client.
        await ws.send(["frag", "mented", " text"])
        assert await ws.recv() == "fragmented text"
        for i in range(200):
            await ws.send(f"m{i}")
        assert [await ws.recv() for _ in range(200)] == [f"m{i}" for i in range(200)]
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 10)
        await ws.close(4002, "done here")
    assert await asyncio.wait_for(closes.get(), 10) == (4002, "done here")


async def test_websockets_client_no_context_takeover(serve: Any) -> None:
    closes: asyncio.Queue[Any] = asyncio.Queue()
    port = serve(echo_app(closes)).port
    async with ws_connect(f"ws://127.0.0.1:{port}/nct", compression="deflate") as ws:
        header = ws.response.headers["Sec-WebSocket-Extensions"]
        assert "server_no_context_takeover" in header
        for _ in range(3):
            await ws.send("same text " * 50)
            assert await ws.recv() == "same text " * 50


async def test_server_close_seen_by_websockets_client(serve: Any) -> None:
    closes: asyncio.Queue[Any] = asyncio.Queue()
    port = serve(echo_app(closes)).port
    async with ws_connect(f"ws://127.0.0.1:{port}/plain", subprotocols=["p1", "p2"]) as ws:
        assert ws.subprotocol == "p1"
        await ws.send("bye")
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
        assert info.value.rcvd is not None
        assert (info.value.rcvd.code, info.value.rcvd.reason) == (4000, "see you")


@asynccontextmanager
async def websockets_echo(**kw: Any) -> AsyncIterator[int]:
    async def handler(ws: Any) -> None:
        try:
            async for message in ws:
                if message == "bye":
                    await ws.close(4003, "server says bye")
                    return
                await ws.send(message)
        except ConnectionClosed:
            pass

    async with ws_serve(handler, "127.0.0.1", 0, max_size=None, **kw) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield port


@pytest.mark.parametrize("compression", COMPRESSION)
async def test_squall_client_against_websockets_server(compression: str | None) -> None:
    options = {} if compression else None
    async with websockets_echo(compression=compression) as port:
        conn = await websocket_connect(f"ws://127.0.0.1:{port}/", compression_options=options)
        assert (conn.headers is not None) and (
            ("Sec-WebSocket-Extensions" in conn.headers) == (compression is not None)
        )
        await conn.write_message("hello ☃")
        assert await conn.read_message() == "hello ☃"
        blob = os.urandom(1 << 20)
        await conn.write_message(blob, binary=True)
        assert await conn.read_message() == blob
        text = "compressible " * 20_000
        await conn.write_message(text)
        assert await conn.read_message() == text
        await conn.write_message({"k": [1, 2]})
        assert await conn.read_message() == '{"k": [1, 2]}'
        for i in range(200):
            conn.write_message(f"m{i}")
        assert [await conn.read_message() for _ in range(200)] == [f"m{i}" for i in range(200)]
        await conn.write_message("bye")
        assert await conn.read_message() is None
        assert (conn.close_code, conn.close_reason) == (4003, "server says bye")


async def test_squall_client_no_context_takeover_against_websockets() -> None:
    async with websockets_echo(compression="deflate") as port:
        conn = await websocket_connect(
            f"ws://127.0.0.1:{port}/",
            compression_options={"client_no_context_takeover": True,
                                 "server_no_context_takeover": True,
                                 "client_max_window_bits": 10},
        )
        assert conn.headers is not None
        assert "server_no_context_takeover" in conn.headers["Sec-WebSocket-Extensions"]
        for _ in range(3):
            await conn.write_message("again " * 100)
            assert await conn.read_message() == "again " * 100
        conn.close(1000)
        assert await conn.read_message() is None


async def test_squall_client_pings_and_subprotocols_with_websockets() -> None:
    async with websockets_echo(subprotocols=["b", "a"]) as port:
        pongs: asyncio.Queue[bytes] = asyncio.Queue()
        conn = await websocket_connect(f"ws://127.0.0.1:{port}/", subprotocols=["a", "b"])
        conn.on_pong = pongs.put_nowait  # type: ignore[method-assign]
        assert conn.selected_subprotocol in ("a", "b")
        conn.ping(b"hey")
        assert await asyncio.wait_for(pongs.get(), 10) == b"hey"
        conn.close(1000, "client done")
        assert await conn.read_message() is None
        assert conn.close_code == 1000


async def test_squall_client_answers_websockets_keepalive() -> None:
    async with websockets_echo(ping_interval=0.05, ping_timeout=0.5) as port:
        conn = await websocket_connect(f"ws://127.0.0.1:{port}/")
        await asyncio.sleep(0.3)  # several keepalive pings come and go
        await conn.write_message("alive")
        assert await conn.read_message() == "alive"
        conn.close()
