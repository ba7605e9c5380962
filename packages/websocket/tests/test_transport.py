"""Taking a connection over: the detach() shapes and the IOStream adapter."""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

import pytest
from wsraw import build_frame

from squall.iostream import IOStream
from squall.websocket import WebSocketError
from squall.websocket._connection import WebSocketProtocol
from squall.websocket._transport import StreamTransport, take_over


class Delegate:
    def __init__(self) -> None:
        self.messages: asyncio.Queue[Any] = asyncio.Queue()
        self.closed = asyncio.Event()

    def _ws_on_message(self, message: str | bytes) -> None:
        self.messages.put_nowait(message)

    def _ws_on_ping(self, data: bytes) -> None:
        pass

    def _ws_on_pong(self, data: bytes) -> None:
        pass

    def _ws_on_close(self) -> None:
        self.closed.set()


async def read_exactly(sock: socket.socket, n: int) -> bytes:
    loop = asyncio.get_running_loop()
    data = b""
    while len(data) < n:
        chunk = await asyncio.wait_for(loop.sock_recv(sock, n - len(data)), 10)
        assert chunk, "peer closed early"
        data += chunk
    return data


async def test_websocket_over_an_iostream() -> None:
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    stream = IOStream(ours)
    transport = StreamTransport(stream)
    delegate = Delegate()
    protocol = WebSocketProtocol(delegate, is_client=False, max_message_size=1 << 20)
    transport.set_protocol(protocol)
    protocol.attach(transport)
    loop = asyncio.get_running_loop()
    await loop.sock_sendall(theirs, build_frame(1, b"over a stream"))
    assert await asyncio.wait_for(delegate.messages.get(), 10) == "over a stream"
    await protocol.send_message(b"x" * 300, binary=True)
    assert await read_exactly(theirs, 4) == b"\x82\x7e" + struct.pack("!H", 300)
    assert await read_exactly(theirs, 300) == b"x" * 300
    await loop.sock_sendall(theirs, build_frame(8, struct.pack("!H", 1000)))
    assert await read_exactly(theirs, 4) == b"\x88\x02\x03\xe8"
    await asyncio.wait_for(delegate.closed.wait(), 10)
    assert protocol.close_code == 1000
    assert await asyncio.wait_for(loop.sock_recv(theirs, 10), 10) == b""
    theirs.close()


async def test_take_over_shapes() -> None:
    class NoDetach:
        pass

    with pytest.raises(WebSocketError, match="detach"):
        take_over(NoDetach())

    class Weird:
        def detach(self) -> object:
            return object()

    with pytest.raises(WebSocketError, match="expected"):
        take_over(Weird())

    ours, theirs = socket.socketpair()
    stream = IOStream(ours)

    class StreamDetach:
        def detach(self) -> IOStream:
            return stream

    transport, leftover = take_over(StreamDetach())
    assert isinstance(transport, StreamTransport) and leftover == b""
    stream.close()
    theirs.close()
